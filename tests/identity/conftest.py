from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.oidc_provider import (
    AUDIENCE,
    OidcProvider,
    SigningKey,
    ec_key,
    node_available,
    rsa_key,
)


@pytest.fixture(scope="session")
def provider_keys() -> list[SigningKey]:
    """What the shared provider publishes: it signs with the first; the tests sign with the
    others to show the algorithms we accept."""
    return [rsa_key("rs-1"), ec_key("es-1"), rsa_key("ps-1", alg="PS256")]


def _running_provider(provider: OidcProvider, keys: list[SigningKey]) -> OidcProvider:
    reason = node_available()
    if reason:
        pytest.fail(f"the test OpenID Provider cannot run: {reason}")
    provider.publish(keys)
    provider.start()
    return provider


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory, provider_keys) -> Iterator[OidcProvider]:
    """One real provider process for the session, on a free port of 127.0.0.1."""
    keys_file = tmp_path_factory.mktemp("oidc") / "jwks.json"
    provider = _running_provider(OidcProvider(keys_file), provider_keys)
    yield provider
    provider.stop()


@pytest.fixture
def own_oidc_provider(tmp_path) -> Iterator[OidcProvider]:
    """A provider of the test's own, for tests that rotate its keys."""
    provider = _running_provider(OidcProvider(tmp_path / "jwks.json"), [rsa_key("first")])
    yield provider
    provider.stop()


def _use_provider(settings, provider: OidcProvider) -> None:
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_AUDIENCE = AUDIENCE
    settings.OIDC_LEEWAY_SECONDS = 30
    settings.OIDC_JWKS_LIFESPAN_SECONDS = 600
    settings.OIDC_JWKS_REFETCH_COOLDOWN_SECONDS = 30
    settings.OIDC_HTTP_TIMEOUT_SECONDS = 3


@pytest.fixture
def external_provider(settings, oidc_provider) -> OidcProvider:
    """The API switched to the external provider, as OIDC_ISSUER does."""
    _use_provider(settings, oidc_provider)
    return oidc_provider


@pytest.fixture
def own_external_provider(settings, own_oidc_provider) -> OidcProvider:
    _use_provider(settings, own_oidc_provider)
    return own_oidc_provider
