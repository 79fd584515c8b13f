from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):  # the "History" button shows the audit trail
    list_display = ["code", "name", "contact_number", "email", "insurance_number", "created_at"]
    search_fields = ["code", "name", "email", "insurance_number"]
    list_filter = ["created_at"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["code"]
