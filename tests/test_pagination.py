"""Pages and cursors: only the ones we issued are followed; numbers are ASCII digits."""

from __future__ import annotations

from base64 import b64encode, urlsafe_b64encode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

INVALID_CURSOR = {"detail": "Invalid cursor"}


def _drf_cursor(querystring: str) -> str:
    """A cursor as DRF itself encodes one: anyone can make these."""
    return b64encode(querystring.encode()).decode()


def _signed(querystring: str, salt: str = "config.pagination.cursor") -> str:
    payload = urlsafe_b64encode(querystring.encode()).decode().rstrip("=")
    return signing.Signer(salt=salt, sep=".").sign(payload)


def _cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.mark.parametrize(
    "cursor",
    [
        "cD0=",  # p= (an empty position)
        _drf_cursor("p=garbage"),
        _drf_cursor("p=10000-01-01"),
        _drf_cursor("p=2020-01-01T00:00:00+20:00"),
        _drf_cursor("o=5&p=2026-01-01+00:00:00+00:00"),
        "not base64 at all",
        "",
        # Well-formed and signed, but not with our key's salt for cursors.
        _signed("p=2026-01-01 00:00:00+00:00", salt="someone.else"),
    ],
)
def test_a_cursor_we_did_not_issue_is_404(api_client, cursor):
    OrderFactory()
    response = api_client.get("/api/orders/", {"cursor": cursor})
    assert response.status_code == 404
    assert response.json() == INVALID_CURSOR


@pytest.mark.parametrize(
    "querystring",
    ["p=garbage", "p=10000-01-01", "p=2020-01-01T00:00:00+20:00", "o=-1", "o=99999", "r=2"],
)
def test_a_signed_cursor_with_impossible_contents_is_still_404(api_client, querystring):
    # Only an old or leaked signing key could make one; it must still never reach a query.
    response = api_client.get("/api/orders/", {"cursor": _signed(querystring)})
    assert response.status_code == 404
    assert response.json() == INVALID_CURSOR


def test_a_tampered_issued_cursor_is_404(api_client):
    for _ in range(3):
        OrderFactory()
    next_url = api_client.get("/api/orders/", {"page_size": 1}).json()["next"]
    cursor = _cursor_of(next_url)
    payload, _, signature = cursor.rpartition(".")
    tampered = f"{payload[:-2]}AA.{signature}"
    response = api_client.get("/api/orders/", {"page_size": 1, "cursor": tampered})
    assert response.status_code == 404


def test_issued_cursors_walk_every_order_once(api_client):
    ids = {OrderFactory().pk for _ in range(7)}
    seen: list[int] = []
    url: str | None = "/api/orders/?page_size=3"
    while url:
        page = api_client.get(url).json()
        seen += [order["id"] for order in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(ids)


@pytest.mark.parametrize("page_size", ["²", "①", "١", "１", "1_0", " 5", "5 ", "+5", "9" * 5000])
@pytest.mark.parametrize("path", ["/api/orders/", "/api/customers/"])
def test_page_size_takes_ascii_digits_only(api_client, path, page_size):
    response = api_client.get(path, {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize("page", ["²", "١", "１", "1_0", "-1", "9" * 5000, ""])
def test_customer_page_numbers_take_ascii_digits_only(api_client, page):
    CustomerFactory()
    response = api_client.get("/api/customers/", {"page": page})
    assert response.status_code == 404
    assert "Invalid page" in response.json()["detail"]


def test_customer_pages_still_work(api_client):
    for _ in range(3):
        CustomerFactory()
    assert (
        len(api_client.get("/api/customers/", {"page": "2", "page_size": "2"}).json()["results"])
        == 1
    )
    assert api_client.get("/api/customers/", {"page": "last", "page_size": "2"}).status_code == 200
