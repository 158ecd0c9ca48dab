"""`infra/compose.yaml`, run as local processes as Docker Compose would run it.

The Eco² services (those built from `infra/Dockerfile`) become containers
(`tests.deploy.local`): the image's entrypoint with the service's `command`, the
service's `environment` over the image's ENV, each named volume one directory shared by
every service that mounts it, each image VOLUME not covered by a mount an anonymous
directory of that container. They start in `depends_on` order: a one-shot service must
exit 0 first (`service_completed_successfully`), the others become healthy through their
own `healthcheck`. The backing services (RabbitMQ, PostgreSQL, Redis) are this machine's:
a URL naming one of them by its service name reaches the test's server instead, as the
compose network's DNS would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.deploy.image import ROOT, Image
from tests.deploy.local import CommandProbe, Container

COMPOSE = ROOT / "infra" / "compose.yaml"


@dataclass
class Service:
    name: str
    container: Container
    one_shot: bool
    depends_on: dict[str, str]


def load(path: Path = COMPOSE) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())  # merge keys (<<) resolved
    return document


def is_eco2(service: Mapping[str, Any]) -> bool:
    build = service.get("build") or {}
    return isinstance(build, dict) and str(build.get("dockerfile", "")).endswith("infra/Dockerfile")


def _environment(raw: Any) -> dict[str, str]:
    if isinstance(raw, list):
        return dict(item.split("=", 1) for item in raw)
    return {str(k): "" if v is None else str(v) for k, v in (raw or {}).items()}


def _resolve(value: str, backing: Mapping[str, str]) -> str:
    """A URL naming a backing service reaches the test's server for it."""
    if "://" not in value:
        return value
    host = urlsplit(value).hostname
    return backing.get(host or "", value)


def services(
    document: dict[str, Any], image: Image, root: Path, backing: Mapping[str, str]
) -> list[Service]:
    """The Eco² services in start order. `backing` maps a service name (`postgres`) to the
    URL of the test's server standing in for it."""
    declared = document["services"]
    named_volumes = set(document.get("volumes") or {})
    result: dict[str, Service] = {}
    for name, spec in declared.items():
        if not is_eco2(spec):
            continue
        command = spec.get("command")
        argv = list(spec.get("entrypoint") or image.entrypoint) + list(
            image.cmd if command is None else command
        )
        mounts: dict[str, Path] = {
            v: root / "anonymous" / name / v.strip("/").replace("/", "_") for v in image.volumes
        }
        for volume in spec.get("volumes") or []:
            source, target = str(volume).split(":")[:2]
            if source in named_volumes:
                mounts[target] = root / "volumes" / source
            elif source.startswith((".", "/")):
                mounts[target] = (COMPOSE.parent / source).resolve()
            else:
                raise AssertionError(f"{name}: volume {source!r} is not declared under volumes")
        env = {
            key: _resolve(value, backing)
            for key, value in {**image.env, **_environment(spec.get("environment"))}.items()
        }
        check = (spec.get("healthcheck") or {}).get("test")
        readiness = None
        if check:
            kind, *rest = check
            readiness = CommandProbe(rest if kind == "CMD" else ["/bin/sh", "-c", " ".join(rest)])
        depends = spec.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: {"condition": "service_started"} for d in depends}
        container = Container(
            name=name,
            argv=argv,
            env=env,
            rootfs=root / "containers" / name / "rootfs",
            workdir=spec.get("working_dir") or image.workdir,
            mounts=mounts,
            readiness=readiness,
            liveness=readiness,
        )
        published = [int(str(p).rsplit(":", 1)[-1].split("/")[0]) for p in spec.get("ports") or []]
        container.publish([*published, *image.exposed])
        result[name] = Service(
            name,
            container,
            one_shot=spec.get("restart") == "no",
            depends_on={d: c.get("condition", "service_started") for d, c in depends.items()},
        )
    for service in result.values():
        for dependency in service.depends_on:
            if (
                dependency not in result
                and dependency not in backing
                and dependency not in declared
            ):
                raise AssertionError(f"{service.name} depends on undeclared {dependency!r}")
    order = TopologicalSorter(
        {n: [d for d in s.depends_on if d in result] for n, s in result.items()}
    ).static_order()
    return [result[n] for n in order]
