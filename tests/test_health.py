from __future__ import annotations

import pytest
from django.db import connection


def test_healthz_is_public_and_needs_no_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_200_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_down(client, monkeypatch):
    # Point the live connection at a database that does not exist, the way an outage looks
    # to Django: the next cursor() fails to connect.
    connection.close()
    if connection.vendor == "sqlite":
        monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/db.sqlite3")
    else:
        monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
    assert response.status_code == 503
    assert response.json()["database"] == "down"
