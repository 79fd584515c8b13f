"""Drives the test OpenID Provider (panva/oidc-provider, tests/support/oidc/server.mjs) as a
separate node process on 127.0.0.1, and makes the keys it signs with."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
AUDIENCE = "https://orders.test/api"
ALL_SCOPES = "customers:read customers:write orders:read orders:write"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private_key: Any

    def private_jwk(self) -> dict[str, Any]:
        algorithm = ECAlgorithm if self.alg.startswith("ES") else RSAAlgorithm
        jwk = json.loads(algorithm.to_jwk(self.private_key))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def sign(self, claims: dict[str, Any], *, typ: str = "at+jwt") -> str:
        return jwt.encode(
            claims, self.private_key, algorithm=self.alg, headers={"kid": self.kid, "typ": typ}
        )


def rsa_key(kid: str, alg: str = "RS256") -> SigningKey:
    return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def node_available() -> str | None:
    """Why the provider cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed: npm ci --prefix tests/support/oidc"
    return None


@dataclass
class OidcProvider:
    keys_file: Path
    redirect_uris: list[str] = field(default_factory=list)
    issuer: str = ""
    process: subprocess.Popen[str] | None = None

    def publish(self, keys: list[SigningKey]) -> None:
        """Write the key set; the first key signs what the provider issues."""
        self.keys_file.write_text(json.dumps({"keys": [key.private_jwk() for key in keys]}))
        if self.process is not None:
            httpx.post(f"{self.issuer}/__test__/reload", timeout=5).raise_for_status()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["node", str(OIDC_DIR / "server.mjs")],
            cwd=OIDC_DIR,
            stdout=subprocess.PIPE,
            text=True,
            env={
                "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                "OIDC_TEST_KEYS_FILE": str(self.keys_file),
                "OIDC_TEST_AUDIENCE": AUDIENCE,
                "OIDC_TEST_REDIRECT_URIS": " ".join(self.redirect_uris),
                "OIDC_TEST_PORT": "0",
            },
        )
        assert self.process.stdout is not None
        # Bounded: a provider that hangs must fail the test, not the whole run.
        ready, _, _ = select.select([self.process.stdout], [], [], 20)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise RuntimeError("the test OpenID Provider did not start")
        self.issuer = json.loads(line)["issuer"]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client_credentials_token(
        self, *, client_id: str = "api-full", scope: str = ALL_SCOPES
    ) -> str:
        response = httpx.post(
            f"{self.issuer}/token",
            data={"grant_type": "client_credentials", "scope": scope, "resource": AUDIENCE},
            auth=(client_id, f"{client_id}-secret"),
            timeout=5,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def jwks_requests(self) -> int:
        return int(httpx.get(f"{self.issuer}/__test__/stats", timeout=5).json()["jwks_requests"])

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Access-token claims as this provider would write them, changed by `overrides`
        (a value of None drops the claim)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "api-full",
            "client_id": "api-full",
            "iat": now,
            "exp": now + 300,
            "jti": f"test-{now}",
            "scope": ALL_SCOPES,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}
