from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from orders.models import Order


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):  # the "History" button shows the audit trail
    list_display = ["id", "customer", "item", "amount", "physician_name", "status", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["customer__code", "customer__name", "item", "physician_name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        # Orders are medical records: cancel them, never delete.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).select_related("customer")
