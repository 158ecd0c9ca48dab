"""`eco2 up` from an empty directory: ready over real HTTP, clean Ctrl-C, data reused."""

from __future__ import annotations

import signal
from pathlib import Path

import asyncpg
import httpx
import pytest

from support.env import ECO2
from support.processes import Eco2Process, spawn, wait_for_line
from support.servers import free_port

pytestmark = pytest.mark.slow


async def start_up(workdir: Path, port: int, log: str) -> Eco2Process:
    process = await spawn(
        [ECO2, "up"],
        {"ECO2_HTTP_PORT": str(port), "ECO2_LOG_LEVEL": "INFO"},
        workdir / log,
        cwd=workdir,
    )
    await wait_for_line(process, "eco2 serving on", timeout=120)
    return process


async def sign_up_use_and_sign_out(client: httpx.AsyncClient) -> None:
    """A person's first minute, through the embedded accounts service and gateway."""
    account = {"email": "Mina@Example.com", "password": "recycle every day", "nickname": "mina"}
    registered = await client.post("/api/v1/auth/register", json=account)
    assert registered.status_code == 201, registered.text
    session = registered.json()
    assert session["user"]["email"] == "mina@example.com"
    assert session["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {session['access_token']}"}
    me = await client.get("/api/v1/users/me", headers=bearer)
    assert me.status_code == 200, me.text
    assert me.json()["nickname"] == "mina"
    again = await client.post("/api/v1/auth/register", json=account)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"
    logout = await client.post("/api/v1/auth/logout", headers=bearer)
    assert logout.status_code == 204, logout.text
    after = await client.get("/api/v1/users/me", headers=bearer)
    assert after.status_code == 401
    login = await client.post(
        "/api/v1/auth/login", json={"email": account["email"], "password": account["password"]}
    )
    assert login.status_code == 200, login.text


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
            await sign_up_use_and_sign_out(client)
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
