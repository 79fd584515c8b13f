"""The provider's keys, cached: rotation picked up without restart, rotated-out keys refused
once the cache lifespan has passed, and no JWKS fetch per request after warm-up."""

from __future__ import annotations

import time

import pytest

from tests.support.oidc_provider import rsa_key

pytestmark = pytest.mark.django_db


def get_customers(client, token: str):
    return client.get("/api/customers/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_after_warm_up_requests_make_no_jwks_fetch(anonymous_client, own_external_provider):
    token = own_external_provider.client_credentials_token()
    assert get_customers(anonymous_client, token).status_code == 200
    fetches = own_external_provider.jwks_requests()

    for _ in range(5):
        assert get_customers(anonymous_client, token).status_code == 200

    assert own_external_provider.jwks_requests() == fetches == 1


def test_a_new_key_published_by_the_provider_is_picked_up(
    anonymous_client, own_external_provider, settings
):
    settings.OIDC_JWKS_REFETCH_COOLDOWN_SECONDS = 0.5
    old_token = own_external_provider.client_credentials_token()
    assert get_customers(anonymous_client, old_token).status_code == 200  # keys now cached
    first = own_external_provider.process
    time.sleep(0.6)

    own_external_provider.publish([rsa_key("second"), rsa_key("first-still-published")])
    new_token = own_external_provider.client_credentials_token()

    assert get_customers(anonymous_client, new_token).status_code == 200
    assert own_external_provider.process is first  # same provider process, no API restart
    assert own_external_provider.jwks_requests() == 2


def test_a_key_rotated_out_is_refused_after_the_cache_lifespan(
    anonymous_client, own_external_provider, settings
):
    settings.OIDC_JWKS_LIFESPAN_SECONDS = 1
    old_token = own_external_provider.client_credentials_token()
    assert get_customers(anonymous_client, old_token).status_code == 200

    own_external_provider.publish([rsa_key("second")])
    time.sleep(1.1)

    response = get_customers(anonymous_client, old_token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_unknown_key_ids_refetch_at_most_once_per_cooldown(anonymous_client, own_external_provider):
    token = own_external_provider.client_credentials_token()
    assert get_customers(anonymous_client, token).status_code == 200
    claims = own_external_provider.claims()

    # A flood of tokens naming keys the provider never published: the cooldown (30 s here)
    # has not passed since the warm-up fetch, so none of them reaches the provider.
    for number in range(10):
        forged = rsa_key(f"made-up-{number}").sign(claims)
        assert get_customers(anonymous_client, forged).status_code == 401

    assert own_external_provider.jwks_requests() == 1


def test_keys_stay_in_use_while_the_provider_is_down(
    anonymous_client, own_external_provider, settings
):
    settings.OIDC_JWKS_LIFESPAN_SECONDS = 0.5
    token = own_external_provider.client_credentials_token()
    assert get_customers(anonymous_client, token).status_code == 200

    own_external_provider.stop()
    time.sleep(0.6)

    assert get_customers(anonymous_client, token).status_code == 200


def test_provider_unreachable_at_first_use_is_503(anonymous_client, own_external_provider):
    token = own_external_provider.client_credentials_token()
    own_external_provider.stop()

    assert get_customers(anonymous_client, token).status_code == 503
