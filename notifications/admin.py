from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from config.exceptions import DomainError
from notifications.models import SmsNotification, SmsStatus
from notifications.services import resend_order_confirmation


@admin.register(SmsNotification)
class SmsNotificationAdmin(admin.ModelAdmin[SmsNotification]):
    list_display = [
        "id",
        "order",
        "status",
        "attempts",
        "next_attempt_at",
        "provider_message_id",
        "last_error",
        "updated_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["provider_message_id", "order__id", "order__customer__code"]
    list_select_related = ["order"]
    actions = ["resend"]
    date_hierarchy = "created_at"
    # The outbox is written by the services only; the admin reads it and resends.
    readonly_fields = [f.name for f in SmsNotification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: SmsNotification | None = None
    ) -> bool:
        return False

    @admin.action(description="Send the selected failed SMS again")
    def resend(self, request: HttpRequest, queryset: QuerySet[SmsNotification]) -> None:
        queued = 0
        for notification in queryset.filter(status=SmsStatus.FAILED).select_related(
            "order__customer"
        ):
            try:
                resend_order_confirmation(order=notification.order)
            except DomainError as exc:
                self.message_user(request, f"{notification}: {exc.message}", messages.WARNING)
            else:
                queued += 1
        skipped = queryset.count() - queued
        self.message_user(request, f"Queued {queued} SMS again; skipped {skipped} not failed.")
