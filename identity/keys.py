"""The external OpenID Provider's metadata and signing keys, fetched over HTTP and cached.

One `ProviderKeys` per process and issuer. After the first request (the warm-up) keys come
from memory; the JWKS is fetched again only when the cached copy is older than its lifespan,
or when a token names a key id we do not hold, and then at most once per cooldown, so a flood
of tokens with made-up key ids cannot make us hammer the provider.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

logger = logging.getLogger(__name__)


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense, and we hold nothing cached."""


class ProviderKeys:
    def __init__(
        self,
        *,
        issuer: str,
        lifespan: float,
        cooldown: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.lifespan = lifespan
        self.cooldown = cooldown
        self.timeout = timeout
        self.clock = clock
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str | None, PyJWK] = {}
        self._fetched_at: float | None = None

    def metadata(self) -> dict[str, Any]:
        """The discovery document; fetched once, then kept for the life of the process."""
        with self._lock:
            return self._metadata_locked()

    def signing_key(self, kid: str | None) -> PyJWK | None:
        """The provider's key named `kid`, or None when the provider does not publish it."""
        with self._lock:
            now = self.clock()
            if self._fetched_at is None or now - self._fetched_at >= self.lifespan:
                self._refresh_locked(now)
            key = self._find(kid)
            fetched_at = self._fetched_at
            if key is None and fetched_at is not None and now - fetched_at >= self.cooldown:
                self._refresh_locked(now)
                key = self._find(kid)
            return key

    def _find(self, kid: str | None) -> PyJWK | None:
        if kid is None:
            # A token without `kid` is only unambiguous when the provider has one key.
            keys = list(self._keys.values())
            return keys[0] if len(keys) == 1 else None
        return self._keys.get(kid)

    def _get_json(self, url: str) -> dict[str, Any]:
        response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        return body

    def _metadata_locked(self) -> dict[str, Any]:
        if self._metadata is None:
            try:
                metadata = self._get_json(
                    f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
                )
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("oidc_discovery_failed error=%s", type(exc).__name__)
                raise ProviderUnavailable from exc
            # OpenID Connect Discovery 4.3: the document must name exactly the issuer we asked.
            if metadata.get("issuer") != self.issuer:
                logger.warning("oidc_discovery_issuer_mismatch")
                raise ProviderUnavailable
            self._metadata = metadata
        return self._metadata

    def _refresh_locked(self, now: float) -> None:
        try:
            jwks_uri = self._metadata_locked()["jwks_uri"]
            key_set = PyJWKSet.from_dict(self._get_json(str(jwks_uri)))
        except ProviderUnavailable:
            keys: dict[str | None, PyJWK] | None = None
        except (httpx.HTTPError, ValueError, KeyError, PyJWKError, PyJWKSetError) as exc:
            logger.warning("oidc_jwks_fetch_failed error=%s", type(exc).__name__)
            keys = None
        else:
            keys = {key.key_id: key for key in key_set.keys if key.public_key_use in (None, "sig")}
        # Counted as a fetch even when it failed, so the cooldown also spares a provider that
        # is down; the keys we already hold stay in use until the provider answers again.
        self._fetched_at = now
        if keys is not None:
            self._keys = keys
            logger.info("oidc_jwks_fetched keys=%d", len(keys))
        elif not self._keys:
            raise ProviderUnavailable


_lock = threading.Lock()
_provider_keys: ProviderKeys | None = None


def provider_keys() -> ProviderKeys:
    """The process-wide cache for `settings.OIDC_ISSUER`."""
    global _provider_keys
    with _lock:
        if _provider_keys is None:
            _provider_keys = ProviderKeys(
                issuer=settings.OIDC_ISSUER,
                lifespan=settings.OIDC_JWKS_LIFESPAN_SECONDS,
                cooldown=settings.OIDC_JWKS_REFETCH_COOLDOWN_SECONDS,
                timeout=settings.OIDC_HTTP_TIMEOUT_SECONDS,
            )
        return _provider_keys


@receiver(setting_changed)
def _forget_provider_keys(*, setting: str, **kwargs: Any) -> None:
    """A changed OIDC setting (tests do this) must not be answered from the old cache."""
    global _provider_keys
    if setting.startswith("OIDC_"):
        with _lock:
            _provider_keys = None
