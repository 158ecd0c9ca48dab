"""`infra/compose.yaml`, proven by running its Eco² services as local processes
(`tests.deploy.compose`) against this machine's RabbitMQ, PostgreSQL and Redis, in their
`depends_on` order, then a person's first scan through its gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.runtime import components
from tests.deploy import compose, image
from tests.deploy.conftest import Servers
from tests.deploy.journey import register_scan_and_earn
from tests.deploy.local import Running, local_runtime

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_compose_runs_every_component() -> None:
    document = compose.load()
    commands = {
        tuple(s.get("command") or ()) for s in document["services"].values() if compose.is_eco2(s)
    }
    for name in components.COMPONENTS:
        assert ("run", name) in commands, f"compose runs no `eco2 run {name}`"
    assert ("migrate",) in commands


async def test_compose_runs_a_working_system(servers: Servers, tmp_path: Path) -> None:
    backing = {"rabbitmq": servers.bus, "postgres": servers.database, "redis": servers.redis}
    started = compose.services(compose.load(), image.load(), tmp_path, backing)
    logs = tmp_path / "logs"
    logs.mkdir()
    async with local_runtime(logs) as runtime:
        try:
            healthy: dict[str, Running] = {}
            for service in started:
                for dependency, condition in service.depends_on.items():
                    if dependency in healthy and condition == "service_healthy":
                        await runtime.wait_ready(healthy[dependency])
                if service.one_shot:
                    await runtime.run_to_completion(service.container)
                else:
                    healthy[service.name] = await runtime.start(service.container)
            for running in healthy.values():
                await runtime.wait_ready(running)
            gateway = healthy["gateway"].container
            await register_scan_and_earn([f"http://127.0.0.1:{gateway.ports[8000]}"])
        except BaseException as exc:
            raise AssertionError(f"{exc}\n{runtime.output()}") from exc
