"""HTTP glue for SMS: Africa's Talking's delivery reports, and resending a failed SMS."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.models import SmsNotification
from notifications.services import record_delivery_report, resend_order_confirmation
from orders.selectors import order_get


class SmsSummarySerializer(serializers.ModelSerializer[SmsNotification]):
    """What an order's representation says about its SMS."""

    class Meta:
        model = SmsNotification
        fields = ["status", "attempts", "last_error", "provider_message_id", "updated_at"]
        read_only_fields = fields


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


class DeliveryReportView(APIView):
    """Delivery reports from Africa's Talking.

    Called by the gateway, not a user: no authentication, no CSRF (DRF exempts its views, and
    with no authentication class there is no session to protect) and no scope. The dashboard
    cannot sign callbacks, so the shared secret rides in the URL (`?token=`), compared in
    constant time; the access-log filter in settings keeps it out of logs.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser]

    @extend_schema(
        parameters=[CALLBACK_TOKEN_PARAMETER],
        request={"application/x-www-form-urlencoded": DeliveryReportSerializer},
        responses={200: None},
    )
    def post(self, request: Request) -> Response:
        secret = settings.AFRICASTALKING_CALLBACK_SECRET
        token = request.query_params.get("token", "")
        # No secret configured: the endpoint is closed rather than open to anyone.
        if not secret or not hmac.compare_digest(token.encode(), secret.encode()):
            return Response({"detail": "Invalid token."}, status=status.HTTP_403_FORBIDDEN)
        report = DeliveryReportSerializer(data=request.data)
        report.is_valid(raise_exception=True)
        record_delivery_report(
            message_id=report.validated_data["id"],
            report_status=report.validated_data["status"],
            failure_reason=report.validated_data.get("failureReason", ""),
        )
        # Unknown ids too: a non-2xx answer would only make the gateway retry the report.
        return Response(status=status.HTTP_200_OK)


class ResendSmsView(APIView):
    """Queue a new attempt for an order's failed SMS (409 when it has not failed)."""

    # Needs the "orders:write" scope (identity app: POST on the "orders" resource).
    scope_resource = "orders"

    @extend_schema(request=None, responses={202: SmsSummarySerializer})
    def post(self, request: Request, pk: int) -> Response:
        order = order_get(pk)
        if order is None:
            raise Http404
        notification = resend_order_confirmation(order=order)
        return Response(SmsSummarySerializer(notification).data, status=status.HTTP_202_ACCEPTED)
