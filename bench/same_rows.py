"""The same-rows ceiling of placing an order (issue 14, target 2): the rows a create writes,
written by hand in one statement.

A measuring instrument, not a second way to place orders. It writes what `place_order` writes
(the order, its audit-trail row, its SMS in the outbox, with the customer held until they
commit), and `tests/bench/test_same_rows.py` checks it still does. It skips what the ORM,
django-simple-history and DRF's serializer cost: it finds the customer and takes the order's
id in one query, then writes the three rows in one data-modifying statement (PostgreSQL only),
which is its own transaction. What a create costs beyond this ceiling is the price of
those libraries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from customers.selectors import folded_code
from notifications.messages import render_message
from notifications.models import SmsKind, SmsStatus
from orders.models import OrderStatus

# The customer by code as `customers_with_code` finds them (the LOWER(code) index), and the
# order's id, which the SMS text quotes, from the order table's own sequence.
FIND = """
SELECT c.id, c.name, c.contact_number, c.preferred_language,
       nextval(pg_get_serial_sequence('orders_order', 'id'))
FROM customers_customer c
WHERE LOWER(c.code) = %s
LIMIT 1
"""

# The customer held (FOR KEY SHARE, as `hold_customer`): if they were deleted since FIND, no row
# is written. The audit row is the order's creation, as django-simple-history records it.
PLACE = """
WITH customer AS (
    SELECT id FROM customers_customer WHERE id = %(customer)s FOR KEY SHARE
), placed AS (
    INSERT INTO orders_order
        (id, customer_id, item, amount, physician_name, status, created_by_id,
         created_at, updated_at)
    SELECT %(order)s, customer.id, %(item)s, %(amount)s, %(physician_name)s, %(placed)s,
           %(user)s, %(now)s, %(now)s
    FROM customer
    RETURNING *
), audited AS (
    INSERT INTO orders_historicalorder
        (id, customer_id, item, amount, physician_name, status, created_by_id, created_at,
         history_date, history_type, history_change_reason, history_user_id)
    SELECT id, customer_id, item, amount, physician_name, status, created_by_id, created_at,
           created_at, '+', NULL, %(user)s
    FROM placed
)
INSERT INTO notifications_smsnotification
    (order_id, kind, language, phone_number, message, encoding, segments, status, attempts,
     next_attempt_at, last_error, provider_message_id, provider_status, created_at, updated_at)
SELECT id, %(kind)s, %(language)s, %(phone_number)s, %(message)s, %(encoding)s, %(segments)s,
       %(queued)s, 0, %(now)s, '', '', '', %(now)s, %(now)s
FROM placed
RETURNING id
"""


@dataclass(frozen=True)
class Placed:
    order_id: int
    sms_id: int
    created_at: datetime


def place_same_rows(
    *, code: str, item: str, amount: Decimal, physician_name: str, user_id: int | None
) -> Placed | None:
    """Place an order as `place_order` would for the customer with `code` (None if there is
    none), by `user_id`, through a request (who the audit trail names)."""
    folded = folded_code(code)
    if folded is None:
        return None
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(FIND, [folded])
        found = cursor.fetchone()
        if found is None:
            return None
        customer, name, phone_number, language, order = found
        sms = render_message(
            kind=SmsKind.ORDER_RECEIVED,
            language=language,
            name=name,
            reference=str(order),
            amount=amount,
        )
        cursor.execute(
            PLACE,
            {
                "customer": customer,
                "order": order,
                "item": item,
                "amount": amount,
                "physician_name": physician_name,
                "placed": OrderStatus.PLACED.value,
                "user": user_id,
                "now": now,
                "kind": SmsKind.ORDER_RECEIVED.value,
                "language": language,
                "phone_number": phone_number,
                "message": sms.text,
                "encoding": sms.encoding,
                "segments": sms.segments,
                "queued": SmsStatus.QUEUED.value,
            },
        )
        written = cursor.fetchone()
    return None if written is None else Placed(order_id=order, sms_id=written[0], created_at=now)
