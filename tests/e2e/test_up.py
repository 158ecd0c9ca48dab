"""`eco2 up` from an empty directory: ready over real HTTP, clean Ctrl-C, data reused."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.integration.processes import ECO2, Eco2Process, spawn, wait_for_line

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def start_up(workdir: Path, port: int, log: str) -> Eco2Process:
    process = await spawn(
        [ECO2, "up"],
        {"ECO2_HTTP_PORT": str(port), "ECO2_LOG_LEVEL": "INFO"},
        workdir / log,
        cwd=workdir,
    )
    await wait_for_line(process, "eco2 serving on", timeout=120)
    return process


async def test_up_serves_ready_stops_cleanly_and_reuses_its_data(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    first = await start_up(tmp_path, port, "first.log")
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {
                "status": "ready",
                "checks": {"bus": True, "database": True, "cache": True},
            }
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            missing = await client.get("/nowhere", headers={"x-request-id": "req-1"})
            assert missing.status_code == 404
            assert missing.json() == {
                "error": {"code": "not_found", "message": "Not Found", "request_id": "req-1"}
            }
            assert "eco2_http_requests_total" in (await client.get("/metrics")).text
        database = f"postgresql://postgres@/eco2?host={tmp_path / 'var' / 'pg'}"
        connection = await asyncpg.connect(database)
        await connection.execute("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('x')")
        await connection.close()
    finally:
        assert await first.stop(signal.SIGINT) == 0, first.output()
    assert "eco2 stopped" in first.output()
    assert "Traceback" not in first.output()

    second = await start_up(tmp_path, port, "second.log")
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/readyz")).status_code == 200
        connection = await asyncpg.connect(database)
        assert await connection.fetchval("SELECT note FROM kept") == "x"
        await connection.close()
    finally:
        assert await second.stop(signal.SIGINT) == 0, second.output()
