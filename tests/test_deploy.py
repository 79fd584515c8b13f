"""Production configuration, exercised the way production runs it: real settings in a
separate process, gunicorn with the repository's config."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from django.db import connection

from tests.support.processes import (
    gunicorn,
    gunicorn_process,
    manage,
    service_env,
    session_database_url,
)

ROOT = Path(__file__).resolve().parents[1]

# The production variables docs/deployment.md documents.
PRODUCTION = {
    "ALLOWED_HOSTS": "orders.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://orders.example.com",
    "USE_X_FORWARDED_PROTO": "on",
    "SECURE_HSTS_PRELOAD": "on",
    "CACHE_URL": "redis://redis:6379/0",
}


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=service_env(**PRODUCTION))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_notices_a_weakened_setting():
    env = service_env(**PRODUCTION, SECURE_HSTS_SECONDS="0")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_check_deploy_warns_when_the_throttle_cache_is_per_process():
    env = service_env(**PRODUCTION)
    for name in ("CACHE_URL", "REDIS_URL"):
        env.pop(name, None)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "config.W001" in result.stderr + result.stdout


def _shared_cache_url(environment: dict[str, str]) -> str:
    url = environment.get("CACHE_URL") or environment.get("REDIS_URL")
    assert url, "no CACHE_URL or REDIS_URL"
    return url


def test_compose_gives_the_web_service_its_redis():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    url = _shared_cache_url(services["web"]["environment"])
    assert services[urlsplit(url).hostname]["image"].startswith("redis:")
    assert "redis" in services["web"]["depends_on"]


def test_render_gives_the_web_service_a_key_value_instance():
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    by_name = {service["name"]: service for service in blueprint["services"]}
    (web,) = [service for service in blueprint["services"] if service["type"] == "web"]
    (cache,) = [v for v in web["envVars"] if v.get("key") in {"CACHE_URL", "REDIS_URL"}]
    assert cache["fromService"]["type"] == "keyvalue"
    assert by_name[cache["fromService"]["name"]]["type"] == "keyvalue"


def test_kubernetes_gives_the_web_pods_a_redis_service():
    folder = ROOT / "deploy" / "kubernetes"
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    resources = [yaml.safe_load((folder / name).read_text()) for name in listed]
    (config,) = [r for r in resources if r["kind"] == "ConfigMap"]
    host = urlsplit(_shared_cache_url(config["data"])).hostname
    (service,) = [r for r in resources if r["kind"] == "Service" and r["metadata"]["name"] == host]
    selector = service["spec"]["selector"]
    (redis,) = [
        r
        for r in resources
        if r["kind"] == "Deployment" and r["spec"]["template"]["metadata"]["labels"] == selector
    ]
    assert redis["spec"]["template"]["spec"]["containers"][0]["image"].startswith("redis:")
    (web,) = [
        r
        for r in resources
        if r["kind"] == "Deployment" and r["metadata"]["name"] == "patient-orders-web"
    ]
    env_from = web["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"configMapRef": {"name": config["metadata"]["name"]}} in env_from


def test_missing_secret_key_stops_start_up_with_a_clear_message():
    env = service_env(**PRODUCTION)
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("a-secret-from-a-file-that-is-long-enough-and-random-q8w7e6r5t4y3")
    env = service_env(**PRODUCTION, SECRET_KEY_FILE=str(secret))
    del env["SECRET_KEY"]
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_unreachable_database_makes_readyz_503_while_healthz_stays_200():
    env = service_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="off",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/unreachable",
    )
    with gunicorn(env) as base_url:
        assert httpx.get(f"{base_url}/healthz").status_code == 200
        assert httpx.get(f"{base_url}/readyz").status_code == 503


def test_probes_answer_over_plain_http_whatever_the_host_header():
    # Orchestrators probe pods by IP over HTTP: no redirect, no DisallowedHost.
    env = service_env(**PRODUCTION)
    with gunicorn(env) as base_url:
        response = httpx.get(f"{base_url}/healthz", headers={"Host": "10.1.2.3:8000"})
        assert response.status_code == 200
        api = httpx.get(f"{base_url}/api/orders/", headers={"Host": "orders.example.com"})
        assert api.status_code == 301
        assert api.headers["location"].startswith("https://orders.example.com/")


@pytest.mark.django_db
def test_gunicorn_recovers_from_killed_database_connections_without_a_restart():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    env = service_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="off",
        DATABASE_URL=session_database_url(),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    with gunicorn(env) as base_url, httpx.Client(base_url=base_url) as client:
        for _ in range(8):
            assert client.get("/readyz").status_code == 200

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )
            (terminated,) = cursor.fetchone()
        # The server kept its connections open between requests (CONN_MAX_AGE) ...
        assert terminated >= 1

        # ... and replaces the dead ones by itself.
        statuses = [client.get("/readyz").status_code for _ in range(8)]
        assert statuses == [200] * 8


@contextmanager
def one_thread_workers(workers: int) -> Iterator[tuple[str, tuple[str, int]]]:
    """gunicorn with `workers` workers of one thread each: its base URL and address."""
    env = service_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="off",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_THREADS="1",
    )
    with gunicorn(env) as base_url:
        address = urlsplit(base_url)
        assert address.hostname is not None
        assert address.port is not None
        yield base_url, (address.hostname, address.port)


def test_a_worker_whose_threads_are_all_busy_leaves_new_connections_to_another():
    """Two workers of one thread each. A connection that sends nothing holds one worker's
    thread (gunicorn waits up to 5 s for its request), and a request on a new connection must
    not queue behind it in that worker while the other one idles (config/gthread.py).
    gunicorn's own gthread worker takes it there about half the time. One slow round in
    twelve is allowed: on a loaded machine the idle worker may not wake within the busy one's
    20 ms, which then takes the connection (as it should when every worker is busy). Twelve
    rounds with at most one slow catch gunicorn's worker with odds of 4083 in 4096."""
    with one_thread_workers(2) as (base_url, server):
        waits = []
        # The first round also waits for the second worker to finish starting.
        for _ in range(13):
            with socket.create_connection(server):
                time.sleep(0.3)  # accepted: one worker's only thread waits for its request
                started = time.monotonic()
                assert httpx.get(f"{base_url}/healthz", timeout=15).status_code == 200
                waits.append(time.monotonic() - started)
        assert sum(wait > 3 for wait in waits[1:]) <= 1, waits


def test_a_new_connection_is_served_while_every_worker_stays_busy():
    """One worker of one thread, kept busy by two connections that each send a long run of
    requests at once (HTTP/1.1 pipelining), so that a request is always waiting for its
    thread: a new connection is still taken within PATIENCE (config/gthread.py), not when
    the others run out of work."""
    with one_thread_workers(1) as (base_url, server):
        runs = 3000
        finished: list[float] = []

        def pipeline() -> None:
            with socket.create_connection(server) as busy:
                busy.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * runs)
                answered = b""
                while answered.count(b"HTTP/1.1 200") < runs:
                    answered += busy.recv(65536)
            finished.append(time.monotonic())

        busy = [threading.Thread(target=pipeline) for _ in range(2)]
        for thread in busy:
            thread.start()
        time.sleep(0.3)
        started = time.monotonic()
        assert httpx.get(f"{base_url}/healthz", timeout=30).status_code == 200
        served = time.monotonic()
        for thread in busy:
            thread.join()
        # Served while the others still had work queued, and without waiting for it.
        assert served < min(finished), (served - started, [t - started for t in finished])
        assert served - started < 1


def test_gunicorn_starts_without_an_error_when_home_is_read_only(tmp_path):
    # As on a read-only root filesystem. /proc/self takes no new directory, even from root.
    env = service_env(ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="off", HOME="/proc/self")
    env.pop("XDG_RUNTIME_DIR", None)
    log = tmp_path / "gunicorn.log"
    with gunicorn_process(env, log) as (base_url, _):
        assert httpx.get(f"{base_url}/healthz").status_code == 200
    output = log.read_text()
    assert "[ERROR]" not in output, output
    assert "control" not in output.lower(), output


def test_gunicorn_without_collected_static_files_stops_naming_the_missing_step(tmp_path):
    env = service_env(
        ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="off", STATIC_ROOT=str(tmp_path)
    )
    with pytest.raises(RuntimeError, match=r"manage\.py collectstatic"), gunicorn(env):
        pass


def test_gunicorn_serves_the_api_docs_and_their_static_files():
    env = service_env(ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="off")
    with gunicorn(env) as base_url:
        docs = httpx.get(f"{base_url}/api/docs/")
        assert docs.status_code == 200
        scripts = re.findall(r'src="(/static/[^"]+\.js)"', docs.text)
        assert scripts
        for script in scripts:
            assert httpx.get(f"{base_url}{script}").status_code == 200


# What each Secret key holds in a real cluster, by the shape settings expect of it.
_SECRET_PLACEHOLDERS = {
    "secret-key": "a-cluster-secret-key-that-is-long-enough-and-random-q8v3n5z1",
    "database-url": "postgres://orders:orders@db.invalid:5432/orders",
}


def _kubernetes_workloads() -> list[tuple[str, dict[str, str]]]:
    """(name, environment) of every container that runs our image, as the manifests give it."""
    folder = ROOT / "deploy" / "kubernetes"
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    resources = [yaml.safe_load((folder / name).read_text()) for name in listed]
    config_maps = {r["metadata"]["name"]: r["data"] for r in resources if r["kind"] == "ConfigMap"}
    workloads = []
    for resource in resources:
        pod = {
            "Deployment": lambda r: r["spec"]["template"]["spec"],
            "Job": lambda r: r["spec"]["template"]["spec"],
            "CronJob": lambda r: r["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        }.get(resource["kind"], lambda r: None)(resource)
        for container in (pod or {}).get("containers", []):
            if container["image"] != "patient-order-service":
                continue
            env: dict[str, str] = {}
            for source in container.get("envFrom", []):
                env.update(config_maps[source["configMapRef"]["name"]])
            for variable in container.get("env", []):
                if "value" in variable:
                    env[variable["name"]] = variable["value"]
                else:
                    key = variable["valueFrom"]["secretKeyRef"]["key"]
                    env[variable["name"]] = _SECRET_PLACEHOLDERS.get(key, f"placeholder-{key}")
            workloads.append((f"{resource['kind']}/{resource['metadata']['name']}", env))
    return workloads


@pytest.mark.parametrize(
    ("workload", "environment"),
    [pytest.param(name, env, id=name) for name, env in _kubernetes_workloads()],
)
def test_every_kubernetes_workload_gets_the_settings_it_needs_to_start(workload, environment):
    # Only what the manifest gives: no variable of this machine's, no .env file.
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "/dev/null", **environment}
    result = manage("check", "--deploy", env=env)
    assert result.returncode == 0, f"{workload}: {result.stderr[-2000:]}"


def test_the_kubernetes_worker_gets_the_gateway_key_its_backend_needs():
    (worker,) = [env for name, env in _kubernetes_workloads() if "worker" in name]
    assert worker["SMS_BACKEND"] == "africastalking"
    assert worker["AFRICASTALKING_API_KEY"]
