"""ID tokens at browser login (OpenID Connect Core 3.1.3.7), checked against keys the real
test provider publishes."""

from __future__ import annotations

import pytest

from identity.tokens import InvalidToken, validate_id_token


def id_token(provider, key, **overrides):
    claims = provider.claims(aud="browser", sub="nurse-42", nonce="n-1", scope=None)
    claims.update(overrides)
    return key.sign({k: v for k, v in claims.items() if v is not None}, typ="JWT")


def test_id_token_for_us_with_our_nonce_is_accepted(external_provider, provider_keys):
    token = id_token(external_provider, provider_keys[0])
    assert validate_id_token(token, client_id="browser", nonce="n-1")["sub"] == "nurse-42"


def test_id_token_with_another_nonce_is_rejected(external_provider, provider_keys):
    token = id_token(external_provider, provider_keys[0])
    with pytest.raises(InvalidToken):
        validate_id_token(token, client_id="browser", nonce="n-2")


def test_id_token_for_another_client_is_rejected(external_provider, provider_keys):
    token = id_token(external_provider, provider_keys[0], aud="someone-else")
    with pytest.raises(InvalidToken):
        validate_id_token(token, client_id="browser", nonce="n-1")


def test_id_token_for_several_audiences_needs_us_as_authorized_party(
    external_provider, provider_keys
):
    token = id_token(external_provider, provider_keys[0], aud=["browser", "other"], azp="other")
    with pytest.raises(InvalidToken):
        validate_id_token(token, client_id="browser", nonce="n-1")
