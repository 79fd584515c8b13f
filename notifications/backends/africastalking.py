"""Africa's Talking bulk SMS API, spoken directly with httpx.

The official SDK hard-codes its hosts (so it cannot be pointed at a test double) and turns
every HTTP status into the same exception, losing what we need to tell a rejected API key
from a gateway hiccup. The wire format is small:

    POST {AFRICASTALKING_API_URL}/version1/messaging
    apiKey: ...           Accept: application/json
    username=...&to=+254...&message=...[&from=SENDER]

    201 {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000",
         "Recipients": [{"statusCode": 101, "number": "+254...", "status": "Success",
                         "cost": "KES 0.8000", "messageId": "ATXid_..."}]}}
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications.backends import BaseSmsBackend, TransportError

ACCEPTED = {100: "Processed", 101: "Sent", 102: "Queued"}

# Every per-recipient failure code Africa's Talking documents, and whether it is worth trying
# the same message again later (False: fail at once, a person has to act).
RETRYABLE: dict[int, tuple[str, bool]] = {
    # Held by the gateway's fraud checks: needs Africa's Talking support, not a retry.
    401: ("RiskHold", False),
    # The sender id is not approved for this account or network: a configuration fix.
    402: ("InvalidSenderId", False),
    # Not a phone number the gateway can address: the number must be corrected.
    403: ("InvalidPhoneNumber", False),
    # A landline or another number type that cannot take SMS.
    404: ("UnsupportedNumberType", False),
    # Out of credit: a top-up fixes it, so keep trying within the retry limit.
    405: ("InsufficientBalance", True),
    # The subscriber opted out of messages from this sender (or all bulk SMS).
    406: ("UserInBlacklist", False),
    # No route to the subscriber's network from this account.
    407: ("CouldNotRoute", False),
    # The subscriber is on the operator's Do-Not-Disturb list.
    409: ("DoNotDisturbRejection", False),
    # The gateway's own trouble.
    500: ("InternalServerError", True),
    # The operator's gateway failed to take the message.
    501: ("GatewayError", True),
    # The operator's gateway refused it, often because of load; documented as temporary.
    502: ("RejectedByGateway", True),
}


def default_api_url(username: str) -> str:
    if username == "sandbox":
        return "https://api.sandbox.africastalking.com"
    return "https://api.africastalking.com"


class AfricasTalkingBackend(BaseSmsBackend):
    def __init__(
        self,
        *,
        username: str | None = None,
        api_key: str | None = None,
        sender_id: str | None = None,
        api_url: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.username = username or settings.AFRICASTALKING_USERNAME
        self.api_key = api_key or settings.AFRICASTALKING_API_KEY
        if not self.api_key:
            raise ImproperlyConfigured(
                "SMS_BACKEND is africastalking but AFRICASTALKING_API_KEY (or _FILE) is not set."
            )
        self.sender_id = sender_id if sender_id is not None else settings.AFRICASTALKING_SENDER_ID
        api_url = api_url or settings.AFRICASTALKING_API_URL or default_api_url(self.username)
        self.url = api_url.rstrip("/") + "/version1/messaging"
        # One client shared by the worker's threads (httpx.Client is thread-safe), with room
        # for one kept-alive connection per thread.
        concurrency = settings.SMS_WORKER_CONCURRENCY
        self.client = httpx.Client(
            timeout=timeout or settings.SMS_TIMEOUT,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={"apiKey": self.api_key, "Accept": "application/json"},
        )

    def close(self) -> None:
        self.client.close()

    def send(self, *, to: str, message: str) -> str:
        form = {"username": self.username, "to": to, "message": message}
        if self.sender_id:
            form["from"] = self.sender_id
        try:
            response = self.client.post(self.url, data=form)
        except httpx.TimeoutException:
            raise TransportError("Africa's Talking did not answer in time") from None
        except httpx.TransportError as exc:
            raise TransportError(
                f"Could not reach Africa's Talking ({type(exc).__name__})"
            ) from None
        return self._message_id(response)

    def _message_id(self, response: httpx.Response) -> str:
        code = response.status_code
        if code in (401, 403):
            raise TransportError(
                f"Africa's Talking rejected the credentials (HTTP {code}); "
                "check AFRICASTALKING_USERNAME and AFRICASTALKING_API_KEY",
                permanent=True,
            )
        if code in (408, 429) or code >= 500:
            raise TransportError(f"Africa's Talking is unavailable (HTTP {code})")
        if code >= 400:
            # Our request was malformed (the gateway says why in plain text); sending the same
            # request again would be refused again.
            raise TransportError(
                f"Africa's Talking refused the request (HTTP {code}): {response.text[:200]}",
                permanent=True,
            )
        try:
            data = response.json()["SMSMessageData"]
            recipients = data["Recipients"]
        except (ValueError, KeyError, TypeError):
            raise TransportError(
                f"Africa's Talking answered HTTP {code} with an unreadable body"
            ) from None
        if not recipients:
            # Request-wide refusals (e.g. "InvalidSenderId") come back with no recipient.
            reason = str(data.get("Message", "")) or "no recipient accepted"
            permanent = any(name == reason for name, retry in RETRYABLE.values() if not retry)
            raise TransportError(
                f"Africa's Talking accepted no recipient: {reason}", permanent=permanent
            )
        recipient = recipients[0]
        status_code = recipient.get("statusCode")
        if status_code in ACCEPTED:
            return str(recipient["messageId"])
        name, retry = RETRYABLE.get(status_code, (str(recipient.get("status", "unknown")), True))
        raise TransportError(
            f"Africa's Talking: {name} (status {status_code})", permanent=not retry
        )
