"""A real browser (Debian's Chromium, headless, driven by Playwright) logs in through the
authorization code flow with PKCE at a real OpenID Provider and places an order through the
browsable API's form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from identity.models import Identity
from orders.models import Order
from tests.factories import CustomerFactory
from tests.support.chromium import launched_chromium, requires_chromium
from tests.support.oidc_provider import AUDIENCE, OidcProvider, node_available, rsa_key

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    requires_chromium,
]


@pytest.fixture
def browser_provider(tmp_path, live_server, settings) -> Iterator[OidcProvider]:
    """A provider that knows this live server's callback, and the API switched to it."""
    reason = node_available()
    if reason:
        pytest.fail(f"the test OpenID Provider cannot run: {reason}")
    provider = OidcProvider(
        tmp_path / "jwks.json", redirect_uris=[f"{live_server.url}/auth/callback/"]
    )
    provider.publish([rsa_key("browser-test")])
    provider.start()
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_AUDIENCE = AUDIENCE
    settings.OIDC_RP_CLIENT_ID = "browser"
    settings.OIDC_RP_CLIENT_SECRET = "browser-secret"
    yield provider
    provider.stop()


def test_browser_logs_in_and_places_an_order_through_the_form(live_server, browser_provider):
    from playwright.sync_api import expect

    CustomerFactory(code="CUST007")

    with launched_chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(15_000)

        page.goto(f"{live_server.url}/api/orders/")
        page.get_by_role("link", name="Log in").click()

        # oidc-provider's development login form: any name is an account.
        page.wait_for_url(f"{browser_provider.issuer}/**")
        page.fill("input[name=login]", "nurse-42")
        page.fill("input[name=password]", "any password")
        page.locator("button[type=submit]").click()
        # Its consent screen lists the API scopes the service asked for.
        expect(page.locator("body")).to_contain_text("orders:write")
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(f"{live_server.url}/api/orders/")
        form = page.locator("#post-object-form")
        form.locator("input[name=customer_code]").fill("CUST007")
        form.locator("input[name=item]").fill("Amoxicillin")
        form.locator("input[name=amount]").fill("12.50")
        form.locator("input[name=physician_name]").fill("Dr Who")
        form.get_by_role("button", name="POST").click()

        expect(page.locator(".response-info")).to_contain_text("HTTP 201 Created")

    order = Order.objects.get()
    assert order.item == "Amoxicillin"
    identity = Identity.objects.get(issuer=browser_provider.issuer, subject="nurse-42")
    assert order.created_by == identity.user
