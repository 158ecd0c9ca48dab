"""The scan pipeline end to end: the whole system over real HTTP and WebSocket.

Every component (gateway, accounts, scan, storage worker, AI worker with the offline
provider, recycling, character, system) is wired as `eco2 up` wires it, in two variants:

- `memory`: one process, like `process.run` — `open_resources`, every consumer of
  `components.CONSUMERS` and `components.gateway` on the memory bus, a fresh migrated
  PostgreSQL database, the in-process Redis and a local object store in a temporary
  directory, served by uvicorn on a free port;
- `rabbit`: each component its own `eco2 run <component>` process on a fresh RabbitMQ
  vhost, a fresh PostgreSQL database and the real Redis, sharing a local object store.

The same scenarios run against both: a photo uploaded and scanned earns 페티 (then again:
already owned), a label left on is an insufficiency without reward, a text file is
refused by the storage worker, SSE resumes with `Last-Event-ID`, the list pages, the
recycling and character catalogues answer, and a photo hinted "치킨뼈" is classified from
the item dictionary with the item's notes in the answer.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from services.recycling.dictionary import load_dictionary
from services.runtime import components
from services.runtime.resources import open_resources
from services.runtime.settings import load_settings
from support.databases import fresh_database
from support.env import ECO2
from support.images import jpeg
from support.processes import Eco2Process, spawn, wait_for_line
from support.rabbit import temporary_vhost
from support.servers import free_port, serve
from tests.e2e.gateway_system import SECRET, sse_events

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

CLEAR_PET = "라벨 뗀 투명 페트병"
LABEL_ON = "라벨이 그대로 붙은 투명 페트병"
TERMINAL = ("completed", "failed")
PASSWORD = "correct horse battery"
# What each variant's processes and the tests share: cheap password hashes, short grace.
COMMON: dict[str, str] = {
    "jwt_secret": SECRET,
    "password_hash_memory_kib": "1024",
    "password_hash_iterations": "1",
    "request_timeout": "5",
    "shutdown_grace": "2",
    "internal_routes": "true",  # /metrics on the gateway's HTTP port, read below
}


@dataclass(frozen=True)
class System:
    host: str  # "127.0.0.1:<port>"
    variant: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=f"http://{self.host}", timeout=15.0)

    def ws(self, session: dict[str, Any]) -> connect:
        headers = {"Authorization": f"Bearer {session['access_token']}"}
        return connect(f"ws://{self.host}/api/v1/ws", additional_headers=headers)


@asynccontextmanager
async def in_one_process(database_url: str, root: Path, **overrides: Any) -> AsyncIterator[str]:
    """Every component on the memory bus in this process, as `process.run` wires them."""
    settings = load_settings(
        bus_url="memory://",
        database_url=database_url,
        redis_url="memory://",
        data_dir=root / "var",
        object_store_url=str(root / "objects"),
        ai_provider="offline",
        **(COMMON | overrides),
    )
    async with open_resources(settings) as resources, AsyncExitStack() as stack:
        app = None
        for name in components.COMPONENTS:
            if name == "gateway":
                app, subscriptions = components.gateway(resources)
            else:
                subscriptions = await components.CONSUMERS[name](resources, stack)
            for subscription in subscriptions:
                resources.bus.subscribe(subscription)
        assert app is not None
        # Closed first: in-flight handlers finish before the journals they write close.
        stack.push_async_callback(resources.bus.close)
        await resources.bus.start()
        async with serve(app) as host:
            yield host


@asynccontextmanager
async def in_processes(
    bus_url: str, database_url: str, redis_url: str, root: Path
) -> AsyncIterator[str]:
    """Each component as its own `eco2 run <component>` process; yields the gateway's host."""
    port = free_port()
    shared = {f"ECO2_{key.upper()}": value for key, value in COMMON.items()} | {
        "ECO2_BUS_URL": bus_url,
        "ECO2_DATABASE_URL": database_url,
        "ECO2_REDIS_URL": redis_url,
        "ECO2_OBJECT_STORE_URL": str(root / "objects"),
        "ECO2_AI_PROVIDER": "offline",
        "ECO2_HTTP_PORT": str(port),
        "ECO2_LOG_LEVEL": "INFO",
    }
    processes: list[tuple[str, Eco2Process]] = []
    try:
        for name in components.COMPONENTS:
            env = shared | {"ECO2_DATA_DIR": str(root / name)}
            log = root / f"{name}.log"
            processes.append((name, await spawn([ECO2, "run", name], env, log)))
        # Every queue is declared before the first request, or it would find no consumer.
        await asyncio.gather(*(wait_for_line(p, "eco2 running", 60) for _, p in processes))
        gateway = dict(processes)["gateway"]
        await wait_for_line(gateway, "eco2 serving on", 30)
        yield f"127.0.0.1:{port}"
    finally:
        codes = await asyncio.gather(*(p.stop() for _, p in processes), return_exceptions=True)
        failures = [
            f"eco2 run {name} exited with {code}:\n{process.output()[-3000:]}"
            for (name, process), code in zip(processes, codes, strict=True)
            if code != 0
        ]
        assert not failures, "\n".join(failures)
        tracebacks = [name for name, process in processes if "Traceback" in process.output()]
        assert not tracebacks, f"tracebacks in the logs of {tracebacks}"


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=[
        "memory",
        pytest.param("rabbit", marks=[pytest.mark.rabbit, pytest.mark.redis]),
    ],
)
async def system(
    request: pytest.FixtureRequest, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    variant: str = request.param
    root = tmp_path_factory.mktemp(f"pipeline-{variant}")
    async with AsyncExitStack() as stack:
        database = fresh_database(postgres_url, "eco2_pipeline", components.MIGRATIONS)
        database_url = await stack.enter_async_context(database)
        if variant == "memory":
            host = await stack.enter_async_context(in_one_process(database_url, root))
        else:
            rabbit_url: str = request.getfixturevalue("rabbit_url")
            redis_url: str = request.getfixturevalue("redis_url")
            bus_url = await stack.enter_async_context(temporary_vhost(rabbit_url, "eco2-pipeline"))
            host = await stack.enter_async_context(
                in_processes(bus_url, database_url, redis_url, root)
            )
        yield System(host, variant)


# --- clients' helpers -------------------------------------------------------------------


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


async def register(client: httpx.AsyncClient) -> dict[str, Any]:
    account = {
        "email": f"pipeline-{uuid.uuid4().hex[:10]}@example.com",
        "password": PASSWORD,
        "nickname": "Mina",
    }
    response = await client.post("/api/v1/auth/register", json=account)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def assert_accepted(response: httpx.Response, *, first: bool = True) -> str:
    """The id of an accepted scan; a first submit is queued, a repeat shows its progress."""
    assert response.status_code == 202, response.text
    body = response.json()
    scan_id: str = body["id"]
    assert body == {
        "id": scan_id,
        "status": "queued" if first else body["status"],
        "events_url": f"/api/v1/scans/{scan_id}/events",
        "result_url": f"/api/v1/scans/{scan_id}",
    }
    return scan_id


async def upload(client: httpx.AsyncClient, session: dict[str, Any], photo: bytes) -> str:
    """`POST /api/v1/uploads`, then the photo's bytes to the URL it answered; the key."""
    asked = await client.post(
        "/api/v1/uploads",
        json={"content_type": "image/jpeg", "size": len(photo)},
        headers=bearer(session),
    )
    assert asked.status_code == 201, asked.text
    grant = asked.json()
    assert grant["key"].startswith(f"uploads/{session['user']['id']}/")
    put = await client.request(
        grant["method"], grant["upload_url"], content=photo, headers=grant["headers"]
    )
    assert put.status_code == 204, put.text
    key: str = grant["key"]
    return key


async def submit_key(
    client: httpx.AsyncClient, session: dict[str, Any], key: str, hint: str
) -> str:
    body = {"image_key": key, "hint": hint}
    return assert_accepted(await client.post("/api/v1/scans", json=body, headers=bearer(session)))


async def submit_form(
    client: httpx.AsyncClient,
    session: dict[str, Any],
    hint: str,
    photo: bytes | None = None,
    idempotency_key: str | None = None,
    repeat: bool = False,
) -> str:
    headers = bearer(session) | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
    files = {"image": ("photo.jpg", jpeg() if photo is None else photo, "image/jpeg")}
    response = await client.post("/api/v1/scans", files=files, data={"hint": hint}, headers=headers)
    return assert_accepted(response, first=not repeat)


async def scan_of(client: httpx.AsyncClient, session: dict[str, Any], scan_id: str) -> Any:
    response = await client.get(f"/api/v1/scans/{scan_id}", headers=bearer(session))
    assert response.status_code == 200, response.text
    return response.json()


async def finished(
    client: httpx.AsyncClient, session: dict[str, Any], scan_id: str, timeout: float = 20
) -> Any:
    """The scan once it is completed or failed."""
    deadline = time.monotonic() + timeout
    while (view := await scan_of(client, session, scan_id))["status"] not in TERMINAL:
        assert time.monotonic() < deadline, f"scan {scan_id} did not finish: {view}"
        await asyncio.sleep(0.05)
    return view


async def owned(client: httpx.AsyncClient, session: dict[str, Any], count: int) -> list[Any]:
    """The caller's characters, waiting until there are `count` of them."""
    deadline = time.monotonic() + 10
    while True:
        response = await client.get("/api/v1/users/me/characters", headers=bearer(session))
        assert response.status_code == 200, response.text
        items: list[Any] = response.json()["items"]
        if len(items) >= count:
            return items
        assert time.monotonic() < deadline, items
        await asyncio.sleep(0.05)


async def scan_events(ws: ClientConnection, scan_id: str, timeout: float = 20) -> list[Any]:
    """The WebSocket's events of one scan, up to and including its terminal event."""
    events = []
    async with asyncio.timeout(timeout):
        while True:
            event = json.loads(await ws.recv())
            if event.get("scan_id") != scan_id:
                continue  # pings, other scans, character events
            events.append(event)
            if event["type"] in ("scan.completed", "scan.failed"):
                return events


async def ws_ready(ws: ClientConnection) -> None:
    """A ping answered: the gateway has registered the connection in its hub."""
    await ws.send(json.dumps({"type": "ping"}))
    async with asyncio.timeout(5):
        while json.loads(await ws.recv())["type"] != "pong":
            pass


async def sse(
    client: httpx.AsyncClient,
    session: dict[str, Any],
    scan_id: str,
    *,
    last_event_id: str | None = None,
    stop_after: int | None = None,
) -> list[dict[str, str]]:
    """A scan's SSE events (`id`, `event`, `data`), read to the end or `stop_after` events."""
    headers = bearer(session) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
    events: list[dict[str, str]] = []
    url = f"/api/v1/scans/{scan_id}/events"
    async with (
        asyncio.timeout(30),
        client.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        async with aclosing(sse_events(response)) as stream:
            async for event in stream:
                events.append(event)
                if len(events) == stop_after:
                    break  # leaving the block drops the connection mid-stream
    return events


# --- the scenarios ----------------------------------------------------------------------


async def test_a_clear_pet_bottle_earns_peti_then_is_already_owned(system: System) -> None:
    photo = jpeg(640, 480)
    async with system.client() as client:
        session = await register(client)
        async with system.ws(session) as ws:
            await ws_ready(ws)
            key = await upload(client, session, photo)
            scan_id = await submit_key(client, session, key, CLEAR_PET)
            pushed = await scan_events(ws, scan_id)

        progress = [e["progress"] for e in pushed if e["type"] == "scan.progress"]
        assert progress == [25, 50, 75, 100]
        assert pushed[-1]["type"] == "scan.completed"
        types = [e["type"] for e in pushed]
        assert types.index("scan.classified") < types.index("scan.completed")
        assert len({e["id"] for e in pushed}) == len(pushed)

        view = await scan_of(client, session, scan_id)
        assert (view["status"], view["stage"], view["progress"]) == ("completed", "done", 100)
        assert view["completed_at"] is not None
        assert view["error"] is None
        result = view["result"]
        assert result["classification"]["major"] == "재활용폐기물"
        assert result["classification"]["middle"] == "무색페트병"
        assert result["insufficiencies"] == []
        assert result["disposal"]["steps"]
        assert result["answer"]
        assert result["reward"]["character"]["name"] == "페티"
        assert result["reward"]["status"] == "newly_acquired"
        assert pushed[-1]["result"]["reward"] == result["reward"]

        names = {c["name"]: c["source"] for c in await owned(client, session, 2)}
        assert names == {"이코": "default", "페티": "scan"}

        # The same bottle again, this time as a multipart form: already owned.
        again = await submit_form(client, session, CLEAR_PET, photo)
        view = await finished(client, session, again)
        assert view["status"] == "completed", view
        assert view["result"]["classification"]["middle"] == "무색페트병"
        assert view["result"]["reward"]["character"]["name"] == "페티"
        assert view["result"]["reward"]["status"] == "already_owned"
        assert len(await owned(client, session, 2)) == 2


async def test_a_label_left_on_is_an_insufficiency_and_earns_nothing(system: System) -> None:
    async with system.client() as client:
        session = await register(client)
        scan_id = await submit_form(client, session, LABEL_ON)
        view = await finished(client, session, scan_id)
        assert view["status"] == "completed", view
        result = view["result"]
        assert result["classification"]["middle"] == "무색페트병"
        assert "label_attached" in result["classification"]["situation_tags"]
        tags = [i["tag"] for i in result["insufficiencies"]]
        assert tags == ["label_attached"]
        assert "라벨" in result["insufficiencies"][0]["message"]
        assert result["reward"] is None
        assert [c["name"] for c in await owned(client, session, 1)] == ["이코"]


async def test_a_text_file_named_jpg_fails_the_scan_clearly(system: System) -> None:
    async with system.client() as client:
        session = await register(client)
        # Bytes are not sniffed at the gateway (ADR 0007): it accepts, the storage worker fails.
        text = "장보기 목록: 우유, 달걀, 두부\n".encode()
        async with system.ws(session) as ws:
            await ws_ready(ws)
            scan_id = await submit_form(client, session, CLEAR_PET, text)
            [pushed] = await scan_events(ws, scan_id)
        assert pushed["type"] == "scan.failed"
        assert (pushed["stage"], pushed["code"]) == ("storage", "invalid_image")
        view = await finished(client, session, scan_id)
        assert (view["status"], view["stage"]) == ("failed", "storage"), view
        assert view["result"] is None
        assert view["error"]["code"] == "invalid_image"
        message = view["error"]["message"]
        assert "not a readable image" in message, message
        assert "Traceback" not in message
        assert len(message) < 300, message


async def test_sse_resumes_after_the_last_event_id(system: System) -> None:
    async with system.client() as client:
        session = await register(client)
        scan_id = await submit_form(client, session, CLEAR_PET)
        first = await sse(client, session, scan_id, stop_after=2)
        assert len(first) == 2
        rest = await sse(client, session, scan_id, last_event_id=first[-1]["id"])
        assert rest, "no event after the second"
        assert rest[-1]["event"] == "completed"
        seen = [e["id"] for e in first + rest]
        assert len(set(seen)) == len(seen)

        whole = await sse(client, session, scan_id)
        assert [e["id"] for e in whole] == seen
        assert [e["event"] for e in whole] == [
            "progress",
            "progress",
            "progress",
            "progress",
            "classified",
            "completed",
        ]
        data = [json.loads(e["data"]) for e in whole]
        assert [d["progress"] for d in data[:4]] == [25, 50, 75, 100]
        assert data[-1]["result"]["reward"]["character"]["name"] == "페티"

        # Resuming after the terminal event: 204, which tells EventSource to stop.
        done = await client.get(
            f"/api/v1/scans/{scan_id}/events",
            headers=bearer(session) | {"Last-Event-ID": whole[-1]["id"]},
        )
        assert done.status_code == 204, done.text


async def test_the_list_pages_newest_first_and_scans_are_private(system: System) -> None:
    async with system.client() as client:
        session, other = await register(client), await register(client)
        made = [await submit_form(client, session, "우유팩") for _ in range(3)]
        first = await submit_form(client, session, CLEAR_PET, idempotency_key="retry-1")
        again = await submit_form(
            client, session, CLEAR_PET, idempotency_key="retry-1", repeat=True
        )
        assert again == first
        other_key = await submit_form(client, session, CLEAR_PET, idempotency_key="retry-2")
        assert other_key != first
        made += [first, other_key]
        for scan_id in made:
            await finished(client, session, scan_id)

        seen: list[str] = []
        url = "/api/v1/scans?limit=2"
        while True:
            page = await client.get(url, headers=bearer(session))
            assert page.status_code == 200, page.text
            body = page.json()
            assert len(body["items"]) <= 2
            seen += [item["id"] for item in body["items"]]
            if body["next_cursor"] is None:
                break
            url = f"/api/v1/scans?limit=2&cursor={body['next_cursor']}"
        assert seen == made[::-1]
        everything = await client.get("/api/v1/scans", headers=bearer(session))
        items = everything.json()["items"]
        assert [i["created_at"] for i in items] == sorted(
            (i["created_at"] for i in items), reverse=True
        )
        assert all(i["status"] == "completed" for i in items)

        theirs = await client.get(f"/api/v1/scans/{made[0]}", headers=bearer(other))
        assert theirs.status_code == 404, theirs.text
        assert theirs.json()["error"]["code"] == "not_found"
        events = await client.get(f"/api/v1/scans/{made[0]}/events", headers=bearer(other))
        assert events.status_code == 404, events.text
        empty = await client.get("/api/v1/scans", headers=bearer(other))
        assert empty.json() == {"items": [], "next_cursor": None}


async def test_chicken_bones_are_general_waste_with_the_dictionarys_notes(
    system: System,
) -> None:
    bone = load_dictionary().item("chicken-bone")
    assert bone.notes is not None
    async with system.client() as client:
        session = await register(client)
        # Owned from the first answer on, without waiting for the registration event.
        mine = await client.get("/api/v1/users/me/characters", headers=bearer(session))
        assert [c["name"] for c in mine.json()["items"]] == ["이코"], mine.text

        scan_id = await submit_form(client, session, "치킨뼈", jpeg(320, 240))
        view = await finished(client, session, scan_id)
        assert view["status"] == "completed", view
        result = view["result"]
        classification = result["classification"]
        assert (classification["major"], classification["middle"]) == (bone.major, bone.middle)
        assert classification["minor"] == bone.ko
        assert bone.notes in result["answer"]
        assert result["reward"] is None

        search = await client.get("/api/v1/recycling/search", params={"q": "치킨"})
        assert search.status_code == 200, search.text
        hits = {hit["id"]: hit for hit in search.json()["items"]}
        assert hits["chicken-bone"]["notes"] == bone.notes
        assert set(hits["chicken-bone"]) == {
            *("id", "ko", "en", "major", "middle", "label", "notes", "matched"),
        }


async def test_the_catalogues_answer(system: System) -> None:
    async with system.client() as client:
        tree = await client.get("/api/v1/recycling/categories")
        assert tree.status_code == 200, tree.text
        majors = {m["code"]: m for m in tree.json()["majors"]}
        assert len(majors) == 8
        middles = {m["code"] for m in majors["재활용폐기물"]["middles"]}
        assert {"무색페트병", "종이팩", "금속류"} <= middles
        assert len(middles) == 12

        params = {"major": "재활용폐기물", "middle": "무색페트병"}
        rules = await client.get("/api/v1/recycling/rules", params=params)
        assert rules.status_code == 200, rules.text
        found = rules.json()
        assert (found["major"], found["middle"]) == ("재활용폐기물", "무색페트병")
        assert found["steps"]
        assert found["targets"]

        search = await client.get("/api/v1/recycling/search", params={"q": "페트"})
        assert search.status_code == 200, search.text
        hits = search.json()["items"]
        assert hits
        assert any(hit["middle"] == "무색페트병" for hit in hits)

        catalog = await client.get("/api/v1/characters")
        assert catalog.status_code == 200, catalog.text
        characters = catalog.json()["items"]
        assert len(characters) == 13
        names = {c["name"] for c in characters}
        assert {"이코", "페티", "메탈리", "일렉"} <= names
        assert len({c["code"] for c in characters}) == 13


async def test_the_system_is_ready(system: System) -> None:
    async with system.client() as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"bus": True, "database": True, "cache": True}
        assert "eco2_http_requests_total" in (await client.get("/metrics")).text
