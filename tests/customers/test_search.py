"""`?search=` and the list's count at scale (issue 14): the same answers on SQLite and
PostgreSQL, PostgreSQL's indexes really used, the migration that makes them reversible, and a
count that stops at 1,000 past the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.models import Customer
from customers.selectors import customer_list, customer_search
from tests.conftest import on_postgresql
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients() -> None:
    CustomerFactory(
        code="KNH-0042",
        name="Amina Wanjiru",
        email="amina@example.com",
        contact_number="+254712345678",
    )
    CustomerFactory(
        code="KNH-0043",
        name="Brian Otieno",
        email="brian.o@mail.example",
        contact_number="+254733000111",
    )
    CustomerFactory(
        code="MTRH-7",
        name="Chebet Wanjiru-Kip",
        email="chebet@example.org",
        contact_number="+254722999000",
    )


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("knh-00", ["KNH-0042", "KNH-0043"]),  # the start of a code, any case
        ("0043", ["KNH-0043"]),  # any part of a code
        ("wanjiru", ["KNH-0042", "MTRH-7"]),  # part of a name
        ("anjir amina", ["KNH-0042"]),  # every term must match
        ("EXAMPLE.ORG", ["MTRH-7"]),  # part of an email
        ("0712345678", ["KNH-0042"]),  # a national number finds its patient
        ("+254712345678", ["KNH-0042"]),  # and so does E.164
        ("+2547330", ["KNH-0043"]),  # the start of a number, written with "+"
        ("0712 345 678", ["KNH-0042"]),  # a number typed in groups
        ("(0712) 345-678", ["KNH-0042"]),
        ("+254 712 345 678", ["KNH-0042"]),
        ("0043 knh", ["KNH-0043"]),  # digits that are no number stay terms
        ("0799999999", []),
        ("nobody", []),
        ("%", []),  # LIKE's wildcards are text like any other
        ("_", []),
    ],
)
def test_search_finds_by_code_name_email_or_phone(api_client, patients, search, expected):
    body = api_client.get("/api/customers/", {"search": search}).json()
    assert [c["code"] for c in body["results"]] == expected
    assert body["count"] == len(expected)


def test_a_search_that_fits_on_its_first_page_costs_one_query(
    api_client, patients, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the page, read one row past its end: no count
        body = api_client.get("/api/customers/", {"search": "wanjiru"}).json()
    assert body["count"] == len(body["results"]) > 0
    assert body["next"] is None


def test_a_longer_search_costs_the_page_and_the_capped_count(
    api_client, patients, django_assert_num_queries
):
    with django_assert_num_queries(2):
        body = api_client.get("/api/customers/", {"search": "wanjiru", "page_size": 1}).json()
    assert body["count"] > 1
    assert body["next"] is not None
    assert len(body["results"]) == 1


def bulk_customers(count: int) -> None:
    Customer.objects.bulk_create(
        Customer(
            code=f"P{n:05d}",
            name=f"Patient {n}",
            contact_number=f"+2547{n:08d}",
            email=f"p{n}@example.com",
        )
        for n in range(count)
    )


def test_the_count_stops_at_1000_past_the_page_but_every_page_is_reachable(api_client):
    bulk_customers(1_060)
    first = api_client.get("/api/customers/", {"page_size": 50}).json()
    assert first["count"] == 1_000  # "at least 1,000"
    assert first["next"] is not None
    # From page 21 on, the count reaches the end: exact again.
    last = api_client.get("/api/customers/", {"page_size": 50, "page": 22}).json()
    assert last["count"] == 1_060
    assert last["next"] is None
    assert [c["code"] for c in last["results"]] == [f"P{n:05d}" for n in range(1_050, 1_060)]
    assert api_client.get("/api/customers/", {"page_size": 50, "page": 23}).status_code == 404


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("search", "index"),
    [
        ("wanjiru", "customer_name_trgm_idx"),
        ("example.org", "customer_email_trgm_idx"),
        ("knh-00", "customer_code_trgm_idx"),
        ("+2547330", "customer_contact_number_prefix_idx"),
    ],
)
def test_postgresql_searches_through_its_indexes(patients, search, index):
    if not on_postgresql():
        pytest.skip("PostgreSQL's indexes")
    # Unordered, as the count reads it (the page may walk the code order instead).
    query = customer_search(customer_list(), [search]).order_by().query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        # A table this small would be read whole; what matters is that the index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def search_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer' "
            "AND (indexname LIKE '%%trgm%%' OR indexname LIKE '%%prefix%%')"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_search_index_migration_goes_back_and_forth():
    if not on_postgresql():
        pytest.skip("PostgreSQL's indexes")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    assert len(search_indexes()) == 4
    try:
        MigrationExecutor(connection).migrate(
            [("customers", "0004_merge_single_line_text_and_sms_opt_out")]
        )
        assert search_indexes() == set()
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert len(search_indexes()) == 4
