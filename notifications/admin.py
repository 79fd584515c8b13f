from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from config.exceptions import DomainError
from notifications.models import InboundSms, SmsNotification, SmsStatus, SmsStatusChange
from notifications.services import resend_notification


class ReadOnlyAdminMixin:
    """Rows written by the services only: the admin reads them."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SmsStatusChangeInline(
    ReadOnlyAdminMixin, admin.TabularInline[SmsStatusChange, SmsNotification]
):
    model = SmsStatusChange
    fields = ["at", "status", "note", "changed_by"]
    readonly_fields = ["at", "status", "note", "changed_by"]
    extra = 0


@admin.register(SmsNotification)
class SmsNotificationAdmin(admin.ModelAdmin[SmsNotification]):
    list_display = [
        "id",
        "order",
        "kind",
        "language",
        "status",
        "attempts",
        "segments",
        "next_attempt_at",
        "provider_message_id",
        "last_error",
        "updated_at",
    ]
    list_filter = ["status", "kind", "language", "encoding", "created_at"]
    search_fields = ["provider_message_id", "order__id", "order__customer__code"]
    list_select_related = ["order"]
    actions = ["resend"]
    date_hierarchy = "created_at"
    inlines = [SmsStatusChangeInline]
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
        by = request.user if isinstance(request.user, User) else None
        for notification in queryset.filter(status=SmsStatus.FAILED).select_related(
            "order__customer"
        ):
            try:
                resend_notification(order=notification.order, kind=notification.kind, by=by)
            except DomainError as exc:
                self.message_user(request, f"{notification}: {exc.message}", messages.WARNING)
            else:
                queued += 1
        skipped = queryset.count() - queued
        self.message_user(request, f"Queued {queued} SMS again; skipped {skipped} not failed.")


@admin.register(InboundSms)
class InboundSmsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[InboundSms]):
    list_display = ["id", "received_at", "action", "customers_matched", "recipient"]
    list_filter = ["action", "received_at"]
    date_hierarchy = "received_at"
