"""Helpers for tests that run the service as a real process, the way production does."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from identity.signing_key import new_private_key_pem

BASE_DIR = Path(__file__).resolve().parents[2]
_SIGNING_KEY = new_private_key_pem()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(**overrides: str) -> dict[str, str]:
    """The environment of a production process: real settings, no .env file, no test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ENV_FILE": "/dev/null",
            "DEBUG": "off",
            "SECRET_KEY": "a-test-secret-key-that-is-long-enough-and-random-7f3kq9x2m4",
            # The built-in OpenID Provider, the default, needs its signing key in production.
            "OIDC_ISSUER": "",
            "OIDC_RSA_PRIVATE_KEY": _SIGNING_KEY,
        }
    )
    env.update(overrides)
    return env


def manage(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_collected_static_root: Path | None = None


def collected_static_root() -> Path:
    """Static files collected as the image collects them (production settings refuse to
    serve without their manifest): once per test session, into var/."""
    global _collected_static_root
    if _collected_static_root is None:
        # A folder of this run's own: CI runs the SQLite and PostgreSQL suites side by side.
        root = Path(tempfile.mkdtemp(prefix="test-staticfiles-", dir=BASE_DIR / "var"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        result = manage("collectstatic", "--no-input", env=service_env(STATIC_ROOT=str(root)))
        if result.returncode:
            raise RuntimeError(f"collectstatic failed:\n{result.stdout}{result.stderr}")
        _collected_static_root = root
    return _collected_static_root


@contextmanager
def gunicorn_process(
    env: Mapping[str, str], log: Path, *, cwd: Path = BASE_DIR
) -> Iterator[tuple[str, int]]:
    """Run gunicorn with the repository's config; yield its base URL and the master's pid.
    (`cwd`: another checkout's code and config, as bench/ab.py compares revisions.)

    Its output goes to `log`: a pipe nobody reads would fill up and stall the server. Static
    files are collected first, as for the image, unless `env` names its own STATIC_ROOT.
    """
    if "STATIC_ROOT" not in env:
        env = {**env, "STATIC_ROOT": str(collected_static_root())}
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"],
            cwd=cwd,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield _wait_until_serving(process, f"http://127.0.0.1:{port}", log), process.pid
        finally:
            stop(process)


@contextmanager
def gunicorn(env: Mapping[str, str]) -> Iterator[str]:
    """Run gunicorn with the repository's config; yield its base URL."""
    with tempfile.TemporaryDirectory() as tmp, gunicorn_process(env, Path(tmp) / "log") as served:
        yield served[0]


def session_database_url() -> str:
    """DATABASE_URL of the database this test session runs on, for a server process."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log: Path) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base_url}/healthz", timeout=1)
            return base_url
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


ALL_SCOPES = "customers:read customers:write orders:read orders:write"


@contextmanager
def gunicorn_with_token(**overrides: str) -> Iterator[tuple[str, dict[str, str]]]:
    """gunicorn with production settings on this test session's database; yields its base
    URL and headers carrying a real access token (all four scopes) from the built-in
    provider's client-credentials client.

    The client's secret is hashed here and checked by the server: the caller sets the
    server's hasher first (`settings.PASSWORD_HASHERS`), not the tests' fast one.
    """
    with gunicorn_with_token_and_pid(**overrides) as (base_url, headers, _):
        yield base_url, headers


@contextmanager
def gunicorn_with_token_and_pid(**overrides: str) -> Iterator[tuple[str, dict[str, str], int]]:
    """`gunicorn_with_token`, also yielding the gunicorn master's pid."""
    from identity.dev_clients import DEV_API_CLIENT_ID, ensure_dev_clients

    secret = ensure_dev_clients(callback_url="https://testserver/auth/callback/").api_client_secret
    env = service_env(
        **{
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "off",
            "DATABASE_URL": session_database_url(),
            "LOG_LEVEL": "WARNING",
            **overrides,
        }
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        gunicorn_process(env, Path(tmp) / "log") as (base_url, pid),
    ):
        response = httpx.post(
            f"{base_url}/o/token/",
            data={"grant_type": "client_credentials", "scope": ALL_SCOPES},
            auth=(DEV_API_CLIENT_ID, secret or ""),
        )
        response.raise_for_status()
        yield base_url, {"Authorization": f"Bearer {response.json()['access_token']}"}, pid
