"""The Helm chart, proven by running what it renders.

Rendered with the Helm SDK in-process (helm-python-sdk), every object validated against
the Kubernetes schemas, then each replica of each workload run as a local process: its
command and args, its environment from the rendered ConfigMap and Secret, its volumes as
directories (one per pod for emptyDir, one per replica for a StatefulSet's claim
templates, one per PersistentVolumeClaim), the migrate hook Job first. A person then signs
up and scans through the rendered gateway Service.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.runtime import components
from tests.deploy import image
from tests.deploy.conftest import Servers
from tests.deploy.journey import register_scan_and_earn
from tests.deploy.kube import (
    CHART,
    Obj,
    RenderError,
    Unschedulable,
    endpoints,
    lint,
    of_kind,
    pods,
    render,
    validate,
)
from tests.deploy.local import local_runtime

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SECRET = "deploy-tests-jwt-secret-0123456789abcdef"
EVERYTHING_ON = CHART / "ci" / "everything-on-values.yaml"
RELEASE = "eco2"


def required(servers: Servers | None = None) -> dict[str, Any]:
    """What an operator must give: the servers' URLs and the token secret."""
    secrets = {"ECO2_JWT_SECRET": SECRET}
    if servers is not None:
        secrets |= {
            "ECO2_BUS_URL": servers.bus,
            "ECO2_DATABASE_URL": servers.database,
            "ECO2_REDIS_URL": servers.redis,
        }
    return {"secrets": secrets}


def everything_on(servers: Servers | None = None) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(EVERYTHING_ON.read_text())
    values["secrets"] = {**values.get("secrets", {}), **required(servers)["secrets"]}
    return values


def cheap_hashes(values: dict[str, Any]) -> dict[str, Any]:
    """Keep argon2 affordable on a shared test machine; nothing else changes."""
    config = values.setdefault("config", {})
    config |= {"ECO2_PASSWORD_HASH_MEMORY_KIB": "8192", "ECO2_PASSWORD_HASH_ITERATIONS": "1"}
    return values


async def deploy_and_scan(values: dict[str, Any], root: Path) -> list[Obj]:
    objects = render(values, release=RELEASE)
    assert validate(objects) == []
    hooks, replicas = pods(objects, image.load(), root)
    logs = root / "logs"
    logs.mkdir(parents=True)
    async with local_runtime(logs) as runtime:
        try:
            for hook in hooks:
                await runtime.run_to_completion(hook.container)
            running = [await runtime.start(pod.container) for pod in replicas]
            await asyncio.gather(*(runtime.wait_ready(r) for r in running))
            service = f"{RELEASE}-gateway"
            gateways = [
                f"http://127.0.0.1:{p}" for p in endpoints(objects, replicas, service, "http")
            ]
            await register_scan_and_earn(gateways)
            for r in running:
                assert await runtime.alive(r), f"{r.container.name} failed its liveness probe"
        except BaseException as exc:
            raise AssertionError(f"{exc}\n{runtime.output()}") from exc
    return objects


async def test_the_default_values_run_a_working_system(servers: Servers, tmp_path: Path) -> None:
    objects = await deploy_and_scan(cheap_hashes(required(servers)), tmp_path)
    workloads = of_kind(objects, "Deployment") + of_kind(objects, "StatefulSet")
    names = {w["metadata"]["name"].removeprefix(f"{RELEASE}-") for w in workloads}
    assert names == {"gateway", *components.CONSUMERS}


async def test_everything_on_runs_a_working_system(servers: Servers, tmp_path: Path) -> None:
    objects = await deploy_and_scan(cheap_hashes(everything_on(servers)), tmp_path)
    kinds = {o["kind"] for o in objects}
    assert {"Ingress", "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule"} <= kinds


def test_every_multi_replica_workload_has_a_disruption_budget() -> None:
    for values in (required(), everything_on()):
        objects = render(values)
        budgets = of_kind(objects, "PodDisruptionBudget")
        for workload in of_kind(objects, "Deployment") + of_kind(objects, "StatefulSet"):
            if workload["spec"].get("replicas", 1) < 2 and workload["metadata"]["name"] != (
                f"{RELEASE}-gateway"
            ):
                continue
            labels = workload["spec"]["selector"]["matchLabels"]
            assert any(b["spec"]["selector"]["matchLabels"] == labels for b in budgets), workload[
                "metadata"
            ]["name"]


def test_every_long_running_container_has_probes_and_a_service_account() -> None:
    objects = render(everything_on())
    accounts = {o["metadata"]["name"]: o for o in of_kind(objects, "ServiceAccount")}
    for workload in of_kind(objects, "Deployment") + of_kind(objects, "StatefulSet"):
        spec = workload["spec"]["template"]["spec"]
        assert spec["serviceAccountName"] in accounts
        for container in spec["containers"]:
            assert container.get("readinessProbe"), workload["metadata"]["name"]
            assert container.get("livenessProbe"), workload["metadata"]["name"]
    annotations = next(iter(accounts.values()))["metadata"]["annotations"]
    assert "eks.amazonaws.com/role-arn" in annotations


def test_metrics_are_scraped_from_a_port_the_ingress_never_routes() -> None:
    objects = render(everything_on())
    (monitor,) = of_kind(objects, "ServiceMonitor")
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    (ingress,) = of_kind(objects, "Ingress")
    routed = {
        p["backend"]["service"]["port"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert routed == {"http"}


def test_the_values_schema_names_every_component_and_no_other() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    props = schema["properties"]
    consumers = set(props["consumers"]["items"]["properties"]["name"]["enum"])
    workers = set(props["workers"]["items"]["properties"]["name"]["enum"])
    assert consumers | workers == set(components.CONSUMERS)
    assert not consumers & workers
    for name in consumers:  # a stateless consumer is no journaled worker
        with pytest.raises(ValueError, match=name):
            components.worker_spec(name, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "ECO2_JWT_SECRET"),
        ({"secrets": {"ECO2_JWT_SECRET": "too short"}}, "ECO2_JWT_SECRET"),
        (required() | {"gateway": {"replicas": "two"}}, "replicas"),
        (required() | {"consumers": [{"name": "sytem"}]}, "/consumers/0/name"),
        (required() | {"workers": [{"name": "accounts", "enabled": True}]}, "/workers/0/name"),
        (required() | {"gatway": {}}, "gatway"),
        (required() | {"objects": {"enabled": False}}, "object store"),
        (
            required() | {"objects": {"accessModes": ["ReadWriteOnce"]}},
            "ReadWriteMany",
        ),
    ],
)
def test_values_that_cannot_work_fail_at_render_with_a_message(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError, match=message):
        render(values)


def test_an_existing_secret_replaces_the_required_jwt_secret() -> None:
    objects = render({"existingSecret": "eco2-prod"})
    assert not [o for o in of_kind(objects, "Secret") if o["metadata"]["name"] == "eco2"]


def test_s3_needs_no_shared_volume() -> None:
    values = required() | {
        "config": {"ECO2_OBJECT_STORE_URL": "s3://eco2-objects/images"},
        "objects": {"enabled": False},
    }
    objects = render(values)
    assert not of_kind(objects, "PersistentVolumeClaim")


def test_a_claim_shared_by_pods_must_be_read_write_many(tmp_path: Path) -> None:
    objects = render(required())
    for claim in of_kind(objects, "PersistentVolumeClaim"):
        claim["spec"]["accessModes"] = ["ReadWriteOnce"]
    with pytest.raises(Unschedulable, match="ReadWriteOnce"):
        pods(objects, image.load(), tmp_path)


@pytest.mark.parametrize("values", [required(), everything_on()], ids=["default", "everything-on"])
def test_the_chart_lints_without_warnings(values: dict[str, Any]) -> None:
    report = lint(values)
    warnings = [m for m in report["messages"] if m["severity"] >= 2]
    assert (warnings, report["errors"]) == ([], [])
