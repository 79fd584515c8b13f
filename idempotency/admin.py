from __future__ import annotations

from django.contrib import admin

from idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin[IdempotencyKey]):
    list_display = ["key", "user", "response_status", "created_at", "completed_at"]
    search_fields = ["key"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in IdempotencyKey._meta.fields]
