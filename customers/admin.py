from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from customers.models import Customer, SmsOptOutSource
from customers.services import customer_set_sms_opt_out


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):  # the "History" button shows the audit trail
    list_display = [
        "code",
        "name",
        "contact_number",
        "email",
        "insurance_number",
        "preferred_language",
        "sms_opt_out",
        "created_at",
    ]
    search_fields = ["code", "name", "email", "insurance_number"]
    list_filter = ["preferred_language", "sms_opt_out", "created_at"]
    # The opt-out changes through the actions below (and the patient's replies), which keep
    # its time and source with it.
    readonly_fields = [
        "sms_opt_out",
        "sms_opt_out_at",
        "sms_opt_out_source",
        "created_at",
        "updated_at",
    ]
    ordering = ["code"]
    actions = ["opt_out_of_sms", "opt_back_in_to_sms"]

    def _set_sms_opt_out(
        self, request: HttpRequest, queryset: QuerySet[Customer], *, opt_out: bool
    ) -> None:
        for customer in queryset:
            customer_set_sms_opt_out(
                customer=customer, opt_out=opt_out, source=SmsOptOutSource.STAFF
            )
        self.message_user(request, f"Updated {len(queryset)} patient(s).")

    @admin.action(description="Stop SMS to the selected patients")
    def opt_out_of_sms(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._set_sms_opt_out(request, queryset, opt_out=True)

    @admin.action(description="Send SMS to the selected patients again")
    def opt_back_in_to_sms(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._set_sms_opt_out(request, queryset, opt_out=False)
