"""The front desk in a real browser (Debian's Chromium, headless, driven by Playwright) against
the live server: the whole journey of a member of staff, the read-only user, and axe-core's
accessibility check on every page on the way.

Set DESK_SCREENSHOTS=1 to write screenshots of each page at 1280 and 390 px wide to
docs/desk/ (and the README's two to docs/images/).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command

from identity.authentication import SESSION_GRANT_KEY
from identity.dev_clients import ensure_dev_clients
from identity.scopes import API_SCOPES, CUSTOMERS_READ, ORDERS_READ
from notifications.models import SmsStatus
from orders.models import Order, OrderStatus
from orders.services import place_order
from tests.factories import CustomerFactory, UserFactory
from tests.support.chromium import launched_chromium, requires_chromium
from tests.support.gateway import API_KEY, GatewayDouble

AXE = Path(__file__).resolve().parents[1] / "support/browser/node_modules/axe-core/axe.min.js"
DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOTS = os.environ.get("DESK_SCREENSHOTS") == "1"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    requires_chromium,
]


@pytest.fixture
def gateway(settings) -> Iterator[GatewayDouble]:
    """Africa's Talking's double over real HTTP, and the SMS worker pointed at it."""
    double = GatewayDouble().start()
    settings.SMS_BACKEND = "africastalking"
    settings.AFRICASTALKING_API_KEY = API_KEY
    settings.AFRICASTALKING_API_URL = double.url
    settings.SMS_TIMEOUT = 2.0
    settings.DESK_SMS_REFRESH_SECONDS = 1
    yield double
    double.stop()


@pytest.fixture
def chromium(monkeypatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread, and the test reads and writes
    # the database (and runs the SMS worker) between browser steps, never concurrently.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not AXE.exists():
        pytest.fail("axe-core is not installed: npm ci --prefix tests/support/browser")
    with launched_chromium() as browser:
        yield browser


def new_page(browser: Any) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(10_000)
    # Any script or style the CSP blocks, any error a page's script raises, and any asset or
    # htmx request that fails, fails the test. (Pages themselves may answer 400 or 403.)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    page.problems = problems
    return page


def signed_in_page(browser: Any, live_server: Any, *scopes: str) -> Any:
    """A page of a new user already signed in, as the login leaves a session, with a grant of
    exactly `scopes`."""
    user: Any = UserFactory()
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "identity.backends.RecentModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session[SESSION_GRANT_KEY] = {
        "issuer": "tests",
        "subject": str(user.pk),
        "scopes": list(scopes),
    }
    session.save()
    page = new_page(browser)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    return page


def check_page(page: Any, name: str) -> None:
    """axe-core finds no serious or critical problem; the page raised no script error; and,
    when asked for, its screenshots at a desktop's and a phone's width."""
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)"""
    )
    assert violations == [], f"{name}: {violations}"
    assert page.problems == [], f"{name}: {page.problems}"
    # On a phone nothing is wider than the screen (no sideways scrolling).
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 390, f"{name}: {width} px wide on a 390 px phone"
    if SCREENSHOTS:
        (DOCS / "desk").mkdir(parents=True, exist_ok=True)
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=DOCS / "desk" / f"{name}-{label}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        if name in ("patients", "order"):
            (DOCS / "images").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=DOCS / "images" / f"desk-{name}.png")


def send_due_sms() -> None:
    """What the SMS worker beside the web server does: send everything due."""
    call_command("sms_worker", "--once")


def test_a_nurse_serves_a_patient_from_sign_in_to_sign_out(live_server, chromium, gateway):
    from playwright.sync_api import expect

    ensure_dev_clients(callback_url=f"{live_server.url}/auth/callback/")
    nurse: Any = UserFactory(username="nurse", first_name="Grace", last_name="Njeri")
    nurse.set_password("a long enough password")
    nurse.save()
    page = new_page(chromium)

    # Sign in: the bare address leads to the desk, through the built-in provider's page.
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check_page(page, "sign-in")
    page.get_by_label("Username").fill("nurse")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/desk/patients/")
    expect(page.get_by_text("Signed in as Grace Njeri")).to_be_visible()

    # Register a patient: the first try has mistakes, shown beside their fields.
    page.get_by_role("button", name="Register patient").click()
    page.get_by_label("Name").fill("Ann Wanjiru")
    page.get_by_label("Code").fill("KIT-0042")
    page.get_by_label("Contact number").fill("12345")
    page.get_by_label("Email").fill("ann@example.org")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#id_contact_number_errors")).to_be_visible()
    expect(page.get_by_label("Contact number")).to_have_attribute("aria-invalid", "true")
    check_page(page, "patient-form-errors")
    page.get_by_label("Contact number").fill("0712 345 678")
    page.get_by_label("Preferred language").select_option("sw")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Ann Wanjiru")).to_be_visible()
    expect(page.get_by_text("+254712345678")).to_be_visible()

    # Find her again: results come as the name is typed, with no button pressed.
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Search patients").press_sequentially("wanj", delay=30)
    expect(page.get_by_role("link", name="KIT-0042")).to_be_visible()
    check_page(page, "patients")
    page.get_by_role("link", name="KIT-0042").click()
    check_page(page, "patient")

    # Place an order from her page; a double click places one order.
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_label("Patient")).to_have_value("KIT-0042")
    page.get_by_label("Item").fill("Amoxicillin 250mg")
    page.get_by_label("Amount").fill("250")
    page.get_by_label("Physician name").fill("Dr Achieng")
    check_page(page, "order-form")
    page.get_by_role("button", name="Place order").dblclick()
    # The browser shows the answer to the second click: the order either way.
    expect(
        page.get_by_text(
            re.compile(r"^(Order placed\.|This order was already placed; here it is\.)$")
        )
    ).to_be_visible()
    assert Order.objects.count() == 1
    badge = page.locator("#order-sms .badge")
    expect(badge).to_have_text("Queued")

    # The SMS goes: the badge says so by itself.
    send_due_sms()
    expect(badge).to_have_text("Sent")
    check_page(page, "order")
    page.get_by_role("button", name="Fulfil").click()
    expect(page.get_by_text("Order fulfilled.")).to_be_visible()
    assert Order.objects.get().status == OrderStatus.FULFILLED

    # A second order, whose SMS the gateway refuses: resent once the number is fixed.
    gateway.statuses["+254712345678"] = (406, "UserInBlacklist")
    page.goto(f"{live_server.url}/desk/orders/new/?patient=KIT-0042")
    page.get_by_label("Item").fill("Zinc 20mg")
    page.get_by_label("Amount").fill("80.00")
    page.get_by_label("Physician name").fill("Dr Achieng")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Order placed.")).to_be_visible()
    send_due_sms()
    expect(page.locator("#order-sms .badge")).to_have_text("Failed")
    gateway.statuses.clear()
    page.get_by_role("button", name="Resend SMS").click()
    expect(page.get_by_text("The SMS will be sent again.")).to_be_visible()
    send_due_sms()
    expect(page.locator("#order-sms .badge")).to_have_text("Sent")

    # Cancel it, after saying yes; then read its history.
    page.get_by_role("button", name="Cancel order").click()
    check_page(page, "order-cancel")
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.get_by_text("Order cancelled.")).to_be_visible()
    history = page.locator("ol.history")
    expect(history).to_contain_text("Created")
    expect(history).to_contain_text("Placed → Cancelled")
    expect(history).to_contain_text("by Grace Njeri")
    expect(history).to_contain_text("Failed → Queued")

    page.get_by_role("link", name="Orders", exact=True).click()
    expect(
        page.get_by_role("link", name=f"#{Order.objects.order_by('pk').last().pk}")
    ).to_be_visible()
    check_page(page, "orders")

    # Keyboard only: Tab reaches the search box and its focus shows.
    page.get_by_role("link", name="Patients", exact=True).click()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("Search patients").focus()
    outline = page.get_by_label("Search patients").evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).boxShadow"
    )
    assert outline != "none none", outline

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert [m.to for m in gateway.accepted] == ["+254712345678", "+254712345678"]
    assert {s.status for o in Order.objects.all() for s in o.sms_notifications.all()} >= {
        SmsStatus.SENT,
        SmsStatus.QUEUED,
    }


def test_a_read_only_user_sees_the_orders_but_no_way_to_change_them(live_server, chromium):
    from playwright.sync_api import expect

    customer = CustomerFactory(name="Ann Wanjiru")
    order = place_order(customer=customer, item="Zinc", amount=50, physician_name="Dr Achieng")
    page = signed_in_page(chromium, live_server, CUSTOMERS_READ, ORDERS_READ)

    page.goto(f"{live_server.url}/desk/orders/{order.pk}/")
    expect(page.get_by_role("heading", name=f"Order #{order.pk}")).to_be_visible()
    for name in ("Fulfil", "Cancel order", "Resend SMS", "Place order"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    check_page(page, "order-read-only")
    page.goto(f"{live_server.url}/desk/orders/new/")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    check_page(page, "not-allowed")


def tab_to(page: Any, target: Any, *, limit: int = 40) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would, and check that the
    focus shows (an outline or a ring)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            ring = target.evaluate(
                "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).boxShadow"
            )
            assert ring != "none none", f"no visible focus on {target}"
            return
    pytest.fail(f"Tab never reached {target}")


def test_a_keyboard_alone_finds_a_patient_places_and_fulfils_an_order(live_server, chromium):
    from playwright.sync_api import expect

    CustomerFactory(code="KIT-0042", name="Ann Wanjiru")
    page = signed_in_page(chromium, live_server, *sorted(API_SCOPES))
    page.goto(f"{live_server.url}/desk/patients/")

    tab_to(page, page.get_by_label("Search patients"))
    page.keyboard.type("wanj", delay=30)
    patient = page.get_by_role("link", name="KIT-0042")
    expect(patient).to_be_visible()
    tab_to(page, patient)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Ann Wanjiru")).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Place order"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Patient")).to_have_value("KIT-0042")
    for label, value in (("Item", "Zinc 20mg"), ("Amount", "80"), ("Physician name", "Dr A")):
        tab_to(page, page.get_by_label(label))
        page.keyboard.type(value)
    tab_to(page, page.get_by_role("button", name="Place order"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Order placed.")).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Fulfil"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Order fulfilled.")).to_be_visible()
    assert Order.objects.get().status == OrderStatus.FULFILLED
    assert page.problems == []
