"""The Helm chart, rendered with the Helm SDK in-process, validated, and turned into
local containers (`tests.deploy.local`) as Kubernetes would run them."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from support.env import unavailable
from tests.deploy.image import ROOT, Image
from tests.deploy.local import CommandProbe, Container, HttpProbe, Probe

CHART = ROOT / "helm" / "eco2"
# The Kubernetes versions the chart is checked against: the oldest it supports, the newest
# kubernetes-validate ships schemas for.
KUBE_VERSIONS = ("1.29.0", "latest")
# Custom resources have no Kubernetes schema; their operators' CRDs are not vendored.
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}

Obj = dict[str, Any]


def _helm() -> Any:
    try:
        import helm_python
    except ImportError as exc:  # the dev extra installs it
        unavailable(f"helm-python-sdk is needed to render the chart ({exc})")
    return helm_python


class RenderError(Exception):
    """The chart refused the values (schema or a template's `fail`)."""


def render(values: Mapping[str, Any], release: str = "eco2", namespace: str = "eco2") -> list[Obj]:
    """`helm install --dry-run`'s objects: values checked against values.schema.json, then
    every template rendered, hooks included, each object carrying its template's path."""
    helm = _helm()
    chart = helm.Chart.load(str(CHART))
    try:
        chart.validate_schema(chart.merge_values(dict(values)))
        manifests = chart.render(dict(values), name=release, namespace=namespace, is_install=True)
    except helm.HelmError as exc:
        raise RenderError(str(exc)) from None
    objects: list[Obj] = []
    for path, text in sorted(manifests.items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                document.setdefault("metadata", {}).setdefault("namespace", namespace)
                objects.append(document)
    return objects


def lint(values: Mapping[str, Any]) -> dict[str, Any]:
    """`helm lint --strict` with `values`: its report (messages with a severity, errors)."""
    report: dict[str, Any] = _helm().lint(str(CHART), dict(values), strict=True)
    return report


def validate(objects: Iterable[Obj]) -> list[str]:
    """Every object against the Kubernetes schemas, strictly (unknown fields are errors)."""
    try:
        import kubernetes_validate
    except ImportError as exc:
        unavailable(f"kubernetes-validate is needed to check the rendered objects ({exc})")
    versions = [kubernetes_validate.latest_version() if v == "latest" else v for v in KUBE_VERSIONS]
    problems = []
    for obj in objects:
        key = (obj.get("apiVersion"), obj.get("kind"))
        name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        if key in CUSTOM_KINDS:
            if not obj.get("metadata", {}).get("name") or not isinstance(obj.get("spec"), dict):
                problems.append(f"{name}: a custom resource needs metadata.name and spec")
            continue
        clean = {k: v for k, v in obj.items() if k != "status"}
        clean["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "namespace"}
        for version in versions:
            try:
                kubernetes_validate.validate(clean, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{name} (Kubernetes {version}): {exc.message} at {list(exc.path)}")
            except kubernetes_validate.utils.SchemaNotFoundError as exc:
                problems.append(f"{name} (Kubernetes {version}): {exc}")
    return problems


def of_kind(objects: Iterable[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: Iterable[Obj], kind: str, name: str) -> Obj | None:
    return next((o for o in of_kind(objects, kind) if o["metadata"]["name"] == name), None)


def visible_to(objects: list[Obj], job_weight: int | None) -> list[Obj]:
    """What exists when a pod starts: for a pre-install hook, the hooks of lower weight
    (the release's other objects come after it); otherwise the release's non-hook objects."""
    if job_weight is None:
        return [o for o in objects if hook_weight(o) is None]
    return [o for o in objects if (w := hook_weight(o)) is not None and w < job_weight]


def hook_weight(obj: Obj) -> int | None:
    annotations = obj["metadata"].get("annotations") or {}
    if "pre-install" not in str(annotations.get("helm.sh/hook", "")).split(","):
        return None
    return int(annotations.get("helm.sh/hook-weight", "0"))


@dataclass
class Pod:
    """One replica of a workload: its name, labels and (single) app container."""

    name: str
    owner: str
    labels: dict[str, str]
    container: Container
    claims: list[str] = field(default_factory=list)
    named_ports: dict[str, int] = field(default_factory=dict)


class Unschedulable(AssertionError):
    """What Kubernetes would refuse to start (a missing Secret, an unbound claim…)."""


def _env(objects: list[Obj], spec: Obj, pod_name: str) -> dict[str, str]:
    env: dict[str, str] = {}

    def source(kind: str, name: str, optional: bool) -> dict[str, str]:
        obj = named(objects, kind, name)
        if obj is None:
            if optional:
                return {}
            raise Unschedulable(f"pod {pod_name}: {kind} {name!r} does not exist")
        if kind == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
            return {**data, **(obj.get("stringData") or {})}
        return {k: str(v) for k, v in (obj.get("data") or {}).items()}

    for item in spec.get("envFrom") or []:
        if ref := item.get("configMapRef"):
            env.update(source("ConfigMap", ref["name"], ref.get("optional", False)))
        if ref := item.get("secretRef"):
            env.update(source("Secret", ref["name"], ref.get("optional", False)))
    for item in spec.get("env") or []:
        if "value" in item:
            env[item["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), str(item["value"])
            )
        elif ref := (item.get("valueFrom") or {}).get("secretKeyRef"):
            env[item["name"]] = source("Secret", ref["name"], False)[ref["key"]]
        elif ref := (item.get("valueFrom") or {}).get("configMapKeyRef"):
            env[item["name"]] = source("ConfigMap", ref["name"], False)[ref["key"]]
        elif ref := (item.get("valueFrom") or {}).get("fieldRef"):
            assert ref["fieldPath"] == "metadata.name", ref
            env[item["name"]] = pod_name
    return env


def _probe(spec: Obj | None, ports: dict[str, int]) -> Probe | None:
    if not spec:
        return None
    if get := spec.get("httpGet"):
        port = get["port"]
        return HttpProbe(get.get("path", "/"), ports[port] if isinstance(port, str) else port)
    if command := (spec.get("exec") or {}).get("command"):
        return CommandProbe(list(command))
    raise AssertionError(f"unsupported probe {spec}")


def pods(objects: list[Obj], image: Image, root: Path) -> tuple[list[Pod], list[Pod]]:
    """(pre-install hook Jobs in weight order, every replica of every Deployment and
    StatefulSet). Volumes: a directory per pod for emptyDir, per claim for a
    PersistentVolumeClaim, per replica for a StatefulSet's claim templates."""
    claims = {o["metadata"]["name"]: o for o in of_kind(objects, "PersistentVolumeClaim")}
    hooks: list[tuple[int, Pod]] = []
    replicas: list[Pod] = []
    for workload in objects:
        kind = workload["kind"]
        if kind not in {"Deployment", "StatefulSet", "Job"}:
            continue
        name = workload["metadata"]["name"]
        spec = workload["spec"]
        template = spec["template"]
        count = 1 if kind == "Job" else spec.get("replicas", 1)
        weight = hook_weight(workload)
        if kind == "Job" and weight is None:
            raise AssertionError(f"Job {name} is not a pre-install hook")
        existing = visible_to(objects, weight)
        account = template["spec"].get("serviceAccountName", "default")
        if account != "default" and named(existing, "ServiceAccount", account) is None:
            raise Unschedulable(f"{name}: ServiceAccount {account!r} does not exist yet")
        for index in range(count):
            pod_name = f"{name}-{index}" if kind != "Job" else name
            volumes: dict[str, Path] = {}
            used_claims: list[str] = []
            for volume in template["spec"].get("volumes") or []:
                if "emptyDir" in volume:
                    volumes[volume["name"]] = root / "pods" / pod_name / volume["name"]
                elif pvc := volume.get("persistentVolumeClaim"):
                    claim = pvc["claimName"]
                    if claim not in claims:
                        raise Unschedulable(f"pod {pod_name}: claim {claim!r} does not exist")
                    volumes[volume["name"]] = root / "claims" / claim
                    used_claims.append(claim)
                else:
                    raise AssertionError(f"pod {pod_name}: unsupported volume {volume}")
            for claim_template in spec.get("volumeClaimTemplates") or []:
                claim = f"{claim_template['metadata']['name']}-{pod_name}"
                volumes[claim_template["metadata"]["name"]] = root / "claims" / claim
            containers = template["spec"]["containers"]
            assert len(containers) == 1, f"{name}: one container per pod is what the chart runs"
            c = containers[0]
            named_ports = {
                p["name"]: p["containerPort"] for p in c.get("ports") or [] if "name" in p
            }
            mounts = {}
            for mount in c.get("volumeMounts") or []:
                if mount["name"] not in volumes:
                    raise Unschedulable(f"pod {pod_name}: no volume {mount['name']!r}")
                mounts[mount["mountPath"]] = volumes[mount["name"]] / mount.get("subPath", "")
            argv = (c.get("command") or image.entrypoint) + (
                c.get("args") if "args" in c or "command" in c else image.cmd
            )
            container = Container(
                name=pod_name,
                argv=list(argv),
                env={**image.env, **_env(existing, c, pod_name)},
                rootfs=root / "pods" / pod_name / "rootfs",
                workdir=c.get("workingDir") or image.workdir,
                mounts={
                    **{
                        v: root / "pods" / pod_name / "anon" / v.strip("/").replace("/", "_")
                        for v in image.volumes
                    },
                    **mounts,
                },
                readiness=_probe(c.get("readinessProbe"), named_ports),
                liveness=_probe(c.get("livenessProbe"), named_ports),
                labels=dict(template["metadata"].get("labels") or {}),
            )
            container.publish(
                [
                    *named_ports.values(),
                    *(p["containerPort"] for p in c.get("ports") or []),
                    *image.exposed,
                ]
            )
            pod = Pod(pod_name, name, container.labels, container, used_claims, named_ports)
            if weight is not None:
                hooks.append((weight, pod))
            else:
                replicas.append(pod)
    _check_claims(replicas, claims)
    return [pod for _, pod in sorted(hooks, key=lambda h: h[0])], replicas


def _check_claims(replicas: list[Pod], claims: dict[str, Obj]) -> None:
    """A claim mounted by several pods must allow it (ReadWriteMany)."""
    users: dict[str, list[str]] = {}
    for pod in replicas:
        for claim in pod.claims:
            users.setdefault(claim, []).append(pod.name)
    for claim, names in users.items():
        modes = claims[claim]["spec"].get("accessModes") or []
        if len(names) > 1 and "ReadWriteMany" not in modes:
            raise Unschedulable(
                f"claim {claim!r} ({', '.join(modes)}) is mounted by {len(names)} pods: {names}"
            )


def endpoints(objects: list[Obj], replicas: list[Pod], service: str, port: str) -> list[int]:
    """The host ports behind `service`'s `port`: its selector's pods, like kube-proxy."""
    svc = named(objects, "Service", service)
    assert svc is not None, f"no Service {service!r}"
    selector = svc["spec"]["selector"]
    spec_port = next(p for p in svc["spec"]["ports"] if p["name"] == port)
    result = []
    for pod in replicas:
        if all(pod.labels.get(k) == v for k, v in selector.items()):
            target = spec_port["targetPort"]
            if isinstance(target, str):
                target = pod.named_ports[target]
            result.append(pod.container.ports[target])
    return result
