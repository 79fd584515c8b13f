"""HTTP glue for SMS: Africa's Talking's callbacks (delivery reports, patients' replies,
opt-outs), resending a failed SMS, and how an order shows its messages."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.serializers import StrictInputMixin
from notifications.models import SmsKind, SmsNotification
from notifications.selectors import (
    NotificationSummary,
    notifications_of,
    oldest_first,
    order_received_sms,
)
from notifications.services import (
    receive_gateway_opt_out,
    receive_inbound_sms,
    record_delivery_report,
    resend_notification,
)
from orders.models import Order
from orders.selectors import order_get


def _iso_utc(moment: datetime) -> str:
    # As DRF's DateTimeField writes it with TIME_ZONE = "UTC".
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _SummarySerializer(serializers.ModelSerializer[SmsNotification]):
    """A message's plain values, written out directly: an order list shows one or more per
    order, and DRF's field-by-field path (with a time zone lookup per timestamp) made them
    the larger part of a page's cost. The declared fields still describe the schema."""

    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: SmsNotification | NotificationSummary) -> dict[str, Any]:
        if isinstance(instance, dict):
            data = {name: instance[name] for name in self.Meta.fields}  # type: ignore[literal-required]
        else:
            data = {name: getattr(instance, name) for name in self.Meta.fields}
        data["updated_at"] = _iso_utc(data["updated_at"])
        return data


class SmsSummarySerializer(_SummarySerializer):
    """What an order's representation says about its order-received SMS (`sms`, as before
    the other kinds existed, so existing clients keep working)."""

    class Meta:
        model = SmsNotification
        fields = ["status", "attempts", "last_error", "provider_message_id", "updated_at"]
        read_only_fields = fields

    # A field of an order's serializer: its instance is the order, not a message.
    def get_attribute(self, instance: Order) -> NotificationSummary | None:  # type: ignore[override]
        return order_received_sms(instance)


class NotificationSerializer(_SummarySerializer):
    """One of an order's messages."""

    class Meta:
        model = SmsNotification
        fields = [
            "kind",
            "status",
            "language",
            "encoding",
            "segments",
            "attempts",
            "last_error",
            "provider_message_id",
            "updated_at",
        ]
        read_only_fields = fields


def iso_z(moment: datetime) -> str:
    """`_iso_utc` without a time zone conversion for a value already in UTC (as the database
    hands them over): a list of 50 orders writes a few hundred timestamps."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else _iso_utc(moment)


_SMS_FIELDS = tuple(SmsSummarySerializer.Meta.fields)
_NOTIFICATION_FIELDS = tuple(NotificationSerializer.Meta.fields)


def order_messages_representation(
    messages: list[dict[str, Any]] | None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """An order's `sms` and `notifications`, as SmsSummarySerializer and
    NotificationSerializer write them, from the JSON array `with_notifications` (or
    `order_rows`) reads with the order."""
    notifications = []
    sms = None
    for summary in oldest_first(messages):
        updated_at = iso_z(summary["updated_at"])
        shown = {name: summary[name] for name in _NOTIFICATION_FIELDS}  # type: ignore[literal-required]
        shown["updated_at"] = updated_at
        notifications.append(shown)
        if sms is None and summary["kind"] == SmsKind.ORDER_RECEIVED:
            sms = {name: shown[name] for name in _SMS_FIELDS}
    return sms, notifications


class OrderNotificationsField(serializers.ListSerializer):
    """Every message of an order, oldest first, from the order's own query."""

    def get_attribute(self, instance: Order) -> list[NotificationSummary]:
        return notifications_of(instance)


class HasCallbackToken(BasePermission):
    """The dashboard cannot sign callbacks, so the shared secret rides in the URL
    (`?token=`), compared in constant time; the access-log filter in settings keeps it out
    of logs. No secret configured: the callbacks are closed rather than open to anyone."""

    message = "Invalid token."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            # Nothing to protect: OPTIONS describes the endpoint, other methods are 405.
            return True
        secret = settings.AFRICASTALKING_CALLBACK_SECRET
        token = request.query_params.get("token", "")
        return bool(secret) and hmac.compare_digest(token.encode(), secret.encode())


class GatewayCallbackView(APIView):
    """A callback from Africa's Talking, not a user: no authentication, no CSRF (DRF exempts
    its views, and with no authentication class there is no session to protect), no scope;
    the token instead (403 when wrong, before the body is read). The gateway posts
    urlencoded forms. A well-formed callback is answered 200 whatever it is about: any other
    answer only makes the gateway send it again."""

    authentication_classes: list[Any] = []
    permission_classes = [HasCallbackToken]
    parser_classes = [FormParser, MultiPartParser]


class DeliveryReportSerializer(serializers.Serializer):
    """The form Africa's Talking posts; only `id` and `status` are always there."""

    id = serializers.CharField(max_length=100)
    status = serializers.CharField(max_length=32)
    phoneNumber = serializers.CharField(required=False, allow_blank=True)
    networkCode = serializers.CharField(required=False, allow_blank=True)
    failureReason = serializers.CharField(required=False, allow_blank=True)
    retryCount = serializers.CharField(required=False, allow_blank=True)


CALLBACK_TOKEN_PARAMETER = OpenApiParameter(
    "token",
    str,
    OpenApiParameter.QUERY,
    required=True,
    description="The shared secret (AFRICASTALKING_CALLBACK_SECRET) of the callback URL.",
)


class DeliveryReportView(GatewayCallbackView):
    """Delivery reports from Africa's Talking. Unknown message ids are accepted and ignored."""

    @extend_schema(
        parameters=[CALLBACK_TOKEN_PARAMETER],
        request={"application/x-www-form-urlencoded": DeliveryReportSerializer},
        responses={200: None},
    )
    def post(self, request: Request) -> Response:
        report = DeliveryReportSerializer(data=request.data)
        report.is_valid(raise_exception=True)
        record_delivery_report(
            message_id=report.validated_data["id"],
            report_status=report.validated_data["status"],
            failure_reason=report.validated_data.get("failureReason", ""),
        )
        return Response(status=status.HTTP_200_OK)


class InboundSmsSerializer(serializers.Serializer):
    """Africa's Talking's incoming-message form: a patient's text to the short code."""

    id = serializers.CharField(max_length=100)
    to = serializers.CharField(max_length=32)
    # As typed (a concatenated SMS may be long); case and spaces are folded when read.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=2000)
    date = serializers.CharField(required=False, allow_blank=True, max_length=64)
    linkId = serializers.CharField(required=False, allow_blank=True, max_length=100)
    networkCode = serializers.CharField(required=False, allow_blank=True, max_length=16)
    cost = serializers.CharField(required=False, allow_blank=True, max_length=32)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `from` is a Python keyword: it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(max_length=32, help_text="The sender, E.164.")
        return fields


class InboundSmsView(GatewayCallbackView):
    """A patient's reply to the short code: STOP, STOP ALL, ACHA or SITISHA (any case)
    opts every patient with the sender's number out of SMS; START or ANZA opts them back in;
    any other text is recorded and ignored. The same message id twice is applied once."""

    @extend_schema(
        parameters=[CALLBACK_TOKEN_PARAMETER],
        request={"application/x-www-form-urlencoded": InboundSmsSerializer},
        responses={200: None},
    )
    def post(self, request: Request) -> Response:
        message = InboundSmsSerializer(data=request.data)
        message.is_valid(raise_exception=True)
        data = message.validated_data
        receive_inbound_sms(
            provider_id=data["id"],
            sender=data["from"],
            recipient=data["to"],
            text=data["text"],
            sent_at=data.get("date", ""),
            link_id=data.get("linkId", ""),
        )
        return Response(status=status.HTTP_200_OK)


class GatewayOptOutSerializer(serializers.Serializer):
    """Africa's Talking's bulk SMS opt-out form."""

    senderId = serializers.CharField(max_length=32)
    phoneNumber = serializers.CharField(max_length=32)


class GatewayOptOutView(GatewayCallbackView):
    """The subscriber opted out of our sender id at Africa's Talking: every patient with the
    number is opted out of SMS."""

    @extend_schema(
        parameters=[CALLBACK_TOKEN_PARAMETER],
        request={"application/x-www-form-urlencoded": GatewayOptOutSerializer},
        responses={200: None},
    )
    def post(self, request: Request) -> Response:
        opt_out = GatewayOptOutSerializer(data=request.data)
        opt_out.is_valid(raise_exception=True)
        receive_gateway_opt_out(phone_number=opt_out.validated_data["phoneNumber"])
        return Response(status=status.HTTP_200_OK)


class ResendSerializer(StrictInputMixin, serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=SmsKind.choices,
        default=SmsKind.ORDER_RECEIVED,
        help_text="Which of the order's messages to send again.",
    )


class ResendSmsView(APIView):
    """Queue a new attempt for an order's failed SMS of `kind` (default: the order-received
    message); 409 when it has not failed."""

    # Needs the "orders:write" scope (identity app: POST on the "orders" resource).
    scope_resource = "orders"

    @extend_schema(request=ResendSerializer, responses={202: NotificationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        order = order_get(pk)
        if order is None:
            raise Http404
        choice = ResendSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        notification = resend_notification(
            order=order,
            kind=choice.validated_data["kind"],
            by=request.user if isinstance(request.user, User) else None,
        )
        return Response(NotificationSerializer(notification).data, status=status.HTTP_202_ACCEPTED)
