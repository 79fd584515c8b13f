"""The Kubernetes monitoring and backup components fit the base and the service: every metric
an alert reads is one the service exports, and every patch names a real container."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from monitoring.collectors import OutboxCollector

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
COMPONENTS = KUBERNETES / "components"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _base_deployments() -> dict[str, dict]:
    listed = _load(KUBERNETES / "kustomization.yaml")["resources"]
    resources = [_load(KUBERNETES / name) for name in listed]
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == "Deployment"}


@pytest.mark.django_db
def test_every_metric_the_alerts_read_is_exported():
    rule = _load(COMPONENTS / "monitoring" / "prometheusrule.yaml")
    expressions = [r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]]
    used = {
        re.sub(r"_(total|bucket|count|sum)$", "", name)
        for expr in expressions
        for name in re.findall(r"patient_orders_\w+", expr)
    }
    exported = {family.name for family in REGISTRY.collect()} | {
        family.name for family in OutboxCollector().collect()
    }
    assert used
    assert used - exported == set()


@pytest.mark.parametrize("component", ["monitoring", "backup"])
def test_components_list_only_files_that_exist(component):
    kustomization = _load(COMPONENTS / component / "kustomization.yaml")
    assert kustomization["kind"] == "Component"
    files = kustomization.get("resources", []) + [
        p["path"] for p in kustomization.get("patches", [])
    ]
    assert files
    for name in files:
        assert (COMPONENTS / component / name).is_file(), name


def test_monitoring_patches_name_real_deployments_and_containers():
    deployments = _base_deployments()
    kustomization = _load(COMPONENTS / "monitoring" / "kustomization.yaml")
    for patch in kustomization["patches"]:
        target = _load(COMPONENTS / "monitoring" / patch["path"])
        base = deployments[target["metadata"]["name"]]
        names = {c["name"] for c in base["spec"]["template"]["spec"]["containers"]}
        for container in target["spec"]["template"]["spec"]["containers"]:
            assert container["name"] in names


def test_pod_monitor_selects_the_web_and_worker_pods_on_their_metrics_ports():
    monitor = _load(COMPONENTS / "monitoring" / "podmonitor.yaml")
    (expression,) = monitor["spec"]["selector"]["matchExpressions"]
    ports = {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]}
    deployments = _base_deployments()
    web = deployments["patient-orders-web"]["spec"]["template"]
    assert set(expression["values"]) == {"patient-orders-web", "patient-orders-worker"}
    assert web["metadata"]["labels"]["app.kubernetes.io/name"] in expression["values"]
    assert {p["name"] for p in web["spec"]["containers"][0]["ports"]} & ports == {"http"}
    worker_patch = _load(COMPONENTS / "monitoring" / "worker-metrics-patch.yaml")
    (worker,) = worker_patch["spec"]["template"]["spec"]["containers"]
    assert worker["command"][-2:] == ["--metrics-port", str(worker["ports"][0]["containerPort"])]
    assert worker["ports"][0]["name"] in ports


def test_backup_cronjob_dumps_the_database_the_service_uses():
    cronjob = _load(COMPONENTS / "backup" / "backup-cronjob.yaml")
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    web = _base_deployments()["patient-orders-web"]["spec"]["template"]["spec"]["containers"][0]
    [web_url] = [e for e in web["env"] if e["name"] == "DATABASE_URL"]
    [backup_url] = [e for e in container["env"] if e["name"] == "DATABASE_URL"]
    assert backup_url == web_url
    script = container["command"][-1]
    assert 'pg_dump --format=custom --file="$file.partial" "$DATABASE_URL"' in script
    claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim == _load(COMPONENTS / "backup" / "backup-pvc.yaml")["metadata"]["name"]
