from __future__ import annotations

from django.contrib import admin

from identity.models import Identity


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin[Identity]):
    list_display = ["issuer", "subject", "user", "created_at"]
    list_filter = ["issuer"]
    search_fields = ["subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["issuer", "subject", "user", "created_at"]
