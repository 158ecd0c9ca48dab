"""`eco2 up` from an empty directory: ready over real HTTP, clean Ctrl-C, data reused; a
new user's first scan on the embedded defaults (offline provider, embedded PostgreSQL with
the seeded item dictionary) classifies an everyday item with the dictionary's notes."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.recycling.dictionary import load_dictionary
from support.env import ECO2
from support.images import jpeg
from support.processes import Eco2Process, spawn, wait_for_line
from support.servers import free_port

pytestmark = pytest.mark.slow


async def start_up(workdir: Path, port: int, log: str) -> Eco2Process:
    process = await spawn(
        [ECO2, "up"],
        {"ECO2_HTTP_PORT": str(port), "ECO2_LOG_LEVEL": "INFO", "ECO2_INTERNAL_ROUTES": "true"},
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


async def finished(client: httpx.AsyncClient, bearer: dict[str, str], scan_id: str) -> Any:
    deadline = time.monotonic() + 30
    while True:
        view = (await client.get(f"/api/v1/scans/{scan_id}", headers=bearer)).json()
        if view["status"] in ("completed", "failed"):
            return view
        assert time.monotonic() < deadline, view
        await asyncio.sleep(0.1)


async def a_first_scan(client: httpx.AsyncClient) -> None:
    """A new user owns 이코 at once, finds chicken bones by search, and scans them."""
    account = {"email": "jun@example.com", "password": "recycle every day", "nickname": "jun"}
    registered = await client.post("/api/v1/auth/register", json=account)
    assert registered.status_code == 201, registered.text
    bearer = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    # Right after registration, not eventually: owning the default is no race.
    owned = await client.get("/api/v1/users/me/characters", headers=bearer)
    assert [c["name"] for c in owned.json()["items"]] == ["이코"], owned.text

    bone = load_dictionary().item("chicken-bone")
    assert bone.notes is not None
    found = await client.get("/api/v1/recycling/search", params={"q": "치킨"})
    assert found.status_code == 200, found.text
    hits = {hit["id"]: hit for hit in found.json()["items"]}
    assert hits["chicken-bone"]["notes"] == bone.notes
    assert hits["chicken-bone"]["middle"] == bone.middle

    files = {"image": ("bones.jpg", jpeg(320, 240), "image/jpeg")}
    sent = await client.post("/api/v1/scans", files=files, data={"hint": "치킨뼈"}, headers=bearer)
    assert sent.status_code == 202, sent.text
    view = await finished(client, bearer, sent.json()["id"])
    assert view["status"] == "completed", view
    result = view["result"]
    classification = result["classification"]
    assert (classification["major"], classification["middle"]) == (bone.major, bone.middle)
    assert classification["minor"] == bone.ko
    assert bone.notes in result["answer"]
    assert result["reward"] is None


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
            await a_first_scan(client)
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
