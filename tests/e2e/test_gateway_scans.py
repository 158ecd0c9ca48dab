"""Photos, scans, recycling rules and characters through the gateway over real HTTP.

The scan, character and recycling services are the real ones (on PostgreSQL); the tests
play the storage and AI workers by publishing their events on the bus.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from contracts import new_envelope
from contracts.accounts.v1 import UserRegistered
from contracts.scan.v1 import (
    Classification,
    Disposal,
    ScanCompleted,
    ScanProgress,
    ScanResult,
)
from support.images import jpeg
from tests.e2e.gateway_system import bearer, gateway_settings, register, sse
from tests.e2e.scan_system import ScanSystem, scan_system

pytestmark = pytest.mark.postgres


@pytest.fixture
async def system(postgres_url: str, tmp_path: Path) -> AsyncIterator[ScanSystem]:
    settings = gateway_settings(max_image_bytes=64 * 1024, data_dir=tmp_path)
    async with scan_system(settings, postgres_url, tmp_path) as built:
        yield built


def result() -> ScanResult:
    return ScanResult(
        classification=Classification(major="재활용폐기물", middle="무색페트병"),
        disposal=Disposal(steps=("라벨을 떼요",)),
        insufficiencies=(),
        answer="라벨을 떼고 버려 주세요.",
        model="offline-1",
    )


async def submit(
    client: httpx.AsyncClient, session: dict[str, Any], key: str | None = None
) -> httpx.Response:
    headers = bearer(session) | ({"Idempotency-Key": key} if key else {})
    files = {"image": ("photo.jpg", jpeg(), "image/jpeg")}
    return await client.post("/api/v1/scans", files=files, data={"hint": "bottle"}, headers=headers)


async def scan_of(client: httpx.AsyncClient, session: dict[str, Any], scan_id: str) -> Any:
    response = await client.get(f"/api/v1/scans/{scan_id}", headers=bearer(session))
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert "request_id" in error


async def test_upload_through_the_gateway_url_then_submit_by_key(system: ScanSystem) -> None:
    photo = jpeg()
    async with system.gateway.client() as client:
        session = await register(client)
        user = session["user"]["id"]
        asked = await client.post(
            "/api/v1/uploads",
            json={"content_type": "image/jpeg", "size": len(photo)},
            headers=bearer(session),
        )
        assert asked.status_code == 201, asked.text
        upload = asked.json()
        assert set(upload) == {"key", "upload_url", "method", "headers", "expires_in"}
        assert upload["key"].startswith(f"uploads/{user}/")
        assert upload["method"] == "PUT"
        assert upload["headers"] == {"Content-Type": "image/jpeg"}

        url = upload["upload_url"]
        wrong_type = await client.put(url, content=photo, headers={"Content-Type": "image/png"})
        assert_error(wrong_type, 415, "unsupported_media_type")
        too_big = await client.put(url, content=photo + b"x", headers=upload["headers"])
        assert_error(too_big, 413, "payload_too_large")
        forged = await client.put(url + "x", content=photo, headers=upload["headers"])
        assert_error(forged, 403, "forbidden")
        put = await client.put(url, content=photo, headers=upload["headers"])
        assert put.status_code == 204, put.text
        assert await system.objects.get(upload["key"]) == photo

        theirs = {"image_key": f"uploads/{uuid.uuid4()}/a.jpg"}
        refused = await client.post("/api/v1/scans", json=theirs, headers=bearer(session))
        assert_error(refused, 422, "invalid_field")
        body = {"image_key": upload["key"], "hint": "bottle"}
        accepted = await client.post("/api/v1/scans", json=body, headers=bearer(session))
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["status"] == "queued"


async def test_a_multipart_scan_is_queued_then_completed_by_its_events(
    system: ScanSystem,
) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        user = session["user"]["id"]
        accepted = await submit(client, session)
        assert accepted.status_code == 202, accepted.text
        body = accepted.json()
        scan_id = body["id"]
        assert body == {
            "id": scan_id,
            "status": "queued",
            "events_url": f"/api/v1/scans/{scan_id}/events",
            "result_url": f"/api/v1/scans/{scan_id}",
        }
        assert accepted.headers["location"] == body["result_url"]
        [stored] = [p for p in (system.objects.root / "uploads" / user).iterdir()]
        assert stored.read_bytes() == jpeg()

        view = await scan_of(client, session, scan_id)
        assert set(view) == {
            "id",
            "status",
            "stage",
            "progress",
            "created_at",
            "completed_at",
            "result",
            "error",
        }
        assert (view["status"], view["stage"], view["progress"]) == ("queued", "queued", 0)

        publish = system.gateway_system.publish
        await publish(
            ScanProgress(scan_id=scan_id, user_id=user, stage="vision", progress=25), user
        )
        await publish(ScanCompleted(scan_id=scan_id, user_id=user, result=result()), user)
        deadline = time.monotonic() + 5
        while (view := await scan_of(client, session, scan_id))["status"] != "completed":
            assert time.monotonic() < deadline, view
            await asyncio.sleep(0.05)
        assert (view["stage"], view["progress"]) == ("done", 100)
        assert view["result"]["classification"]["middle"] == "무색페트병"
        assert view["completed_at"] is not None
        assert view["error"] is None


async def test_get_never_shows_a_state_older_than_a_delivered_event(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        user = session["user"]["id"]
        scan_id = (await submit(client, session)).json()["id"]
        token = session["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            system.hold_events(),
            connect(system.gateway.ws, additional_headers=headers) as ws,
        ):
            await asyncio.sleep(0.1)  # the hub has the connection before events flow
            progress = ScanProgress(scan_id=scan_id, user_id=user, stage="rules", progress=50)
            await system.gateway_system.publish(progress, user)
            pushed = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert pushed["type"] == "scan.progress"
            view = await scan_of(client, session, scan_id)
            assert (view["status"], view["stage"], view["progress"]) == ("processing", "rules", 50)

            done = new_envelope(ScanCompleted(scan_id=scan_id, user_id=user, result=result()))
            await system.gateway_system.bus.publish(done)
            pushed = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert pushed["type"] == "scan.completed"
            view = await scan_of(client, session, scan_id)
            assert (view["status"], view["progress"]) == ("completed", 100)
            assert view["result"]["answer"] == result().answer
            held = await system.db.fetchval(
                "SELECT status FROM scan.scans WHERE id = $1::uuid", scan_id
            )
            assert held == "queued"  # the service really had not seen the events yet
        deadline = time.monotonic() + 5
        while (
            await system.db.fetchval("SELECT status FROM scan.scans WHERE id = $1::uuid", scan_id)
            != "completed"
        ):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert (await scan_of(client, session, scan_id))["status"] == "completed"


async def test_the_list_pages_newest_first(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        made = [(await submit(client, session)).json()["id"] for _ in range(3)]
        seen: list[str] = []
        url = "/api/v1/scans?limit=2"
        while True:
            page = await client.get(url, headers=bearer(session))
            assert page.status_code == 200, page.text
            seen += [item["id"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
            url = f"/api/v1/scans?limit=2&cursor={cursor}"
        assert seen == made[::-1]
        bad = await client.get("/api/v1/scans?cursor=nonsense", headers=bearer(session))
        assert_error(bad, 400, "invalid_cursor")
        assert_error(
            await client.get("/api/v1/scans?limit=0", headers=bearer(session)), 422, "invalid_field"
        )


async def test_another_users_scan_is_not_found(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        owner, other = await register(client), await register(client)
        scan_id = (await submit(client, owner)).json()["id"]
        theirs = await client.get(f"/api/v1/scans/{scan_id}", headers=bearer(other))
        assert_error(theirs, 404, "not_found")
        unknown = await client.get(f"/api/v1/scans/{uuid.uuid4()}", headers=bearer(owner))
        assert_error(unknown, 404, "not_found")
        anonymous = await client.get(f"/api/v1/scans/{scan_id}")
        assert anonymous.status_code == 401


async def test_only_photos_are_accepted(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        asked = await client.post(
            "/api/v1/uploads",
            json={"content_type": "text/plain", "size": 10},
            headers=bearer(session),
        )
        assert_error(asked, 415, "unsupported_media_type")
        text = {"image": ("notes.txt", b"hello", "text/plain")}
        posted = await client.post("/api/v1/scans", files=text, headers=bearer(session))
        assert_error(posted, 415, "unsupported_media_type")
        big = {"content_type": "image/png", "size": 64 * 1024 + 1}
        too_big = await client.post("/api/v1/uploads", json=big, headers=bearer(session))
        assert_error(too_big, 413, "payload_too_large")
        huge = {"image": ("big.jpg", b"\xff" * (200 * 1024), "image/jpeg")}
        refused = await client.post("/api/v1/scans", files=huge, headers=bearer(session))
        assert_error(refused, 413, "payload_too_large")
        # Not sniffed here: a text file called .jpg is accepted, the storage worker fails it.
        fake = {"image": ("photo.jpg", b"not a photo", "image/jpeg")}
        assert (
            await client.post("/api/v1/scans", files=fake, headers=bearer(session))
        ).status_code == 202


async def test_an_idempotency_key_answers_the_same_scan(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        first = await submit(client, session, key="retry-1")
        again = await submit(client, session, key="retry-1")
        other = await submit(client, session, key="retry-2")
        assert first.status_code == again.status_code == 202
        assert again.json()["id"] == first.json()["id"]
        assert other.json()["id"] != first.json()["id"]


async def test_recycling_routes_answer(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        tree = await client.get("/api/v1/recycling/categories")
        assert tree.status_code == 200, tree.text
        majors = {m["code"] for m in tree.json()["majors"]}
        assert {"재활용폐기물", "음식물류폐기물"} <= majors
        rules = await client.get(
            "/api/v1/recycling/rules", params={"major": "재활용폐기물", "middle": "무색페트병"}
        )
        assert rules.status_code == 200, rules.text
        assert rules.json()["middle"] == "무색페트병"
        assert rules.json()["steps"]
        unknown = await client.get("/api/v1/recycling/rules", params={"major": "없는것"})
        assert_error(unknown, 404, "not_found")
        missing = await client.get("/api/v1/recycling/rules")
        assert_error(missing, 422, "invalid_field")
        found = await client.get("/api/v1/recycling/search", params={"q": "페트"})
        assert found.status_code == 200, found.text
        assert found.json()["items"]


async def test_character_routes_answer(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        catalog = await client.get("/api/v1/characters")
        assert catalog.status_code == 200, catalog.text
        assert len(catalog.json()["items"]) == 13
        session = await register(client)
        user = session["user"]["id"]
        registered = UserRegistered(
            user_id=user, email=session["user"]["email"], nickname="Kim", provider="password"
        )
        await system.gateway_system.publish(registered, user)
        deadline = time.monotonic() + 5
        while True:
            owned = await client.get("/api/v1/users/me/characters", headers=bearer(session))
            assert owned.status_code == 200, owned.text
            if owned.json()["items"]:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        [eco] = owned.json()["items"]
        assert set(eco) == {"code", "name", "type", "dialog", "acquired_at", "source"}
        assert (eco["code"], eco["source"]) == ("eco", "default")
        assert (await client.get("/api/v1/users/me/characters")).status_code == 401


async def test_the_openapi_document_lists_the_new_routes(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"post"} <= set(paths["/api/v1/uploads"])
    assert {"put"} <= set(paths["/api/v1/uploads/{user_id}/{name}"])
    assert {"get", "post"} <= set(paths["/api/v1/scans"])
    assert {"get"} <= set(paths["/api/v1/scans/{scan_id}"])
    for path in (
        "/api/v1/recycling/categories",
        "/api/v1/recycling/rules",
        "/api/v1/recycling/search",
        "/api/v1/characters",
        "/api/v1/users/me/characters",
    ):
        assert "get" in paths[path]


async def test_get_is_never_older_than_an_sse_event_either(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        user = session["user"]["id"]
        scan_id = (await submit(client, session)).json()["id"]
        async with system.hold_events():
            done = ScanCompleted(scan_id=scan_id, user_id=user, result=result())
            await system.gateway_system.publish(done, user)
            status, events = await sse(client, scan_id, session)
            assert status == 200
            assert [e["event"] for e in events] == ["completed"]
            view = await scan_of(client, session, scan_id)
            assert (view["status"], view["stage"]) == ("completed", "done")
