"""Chat with 이코 end to end: the whole system in one process (as `eco2 up` wires it, on a
fresh PostgreSQL database) over real HTTP, SSE and WebSocket connections.

A scan is made through the real pipeline, then asked about: the answer is grounded on it,
streams as batched deltas over SSE and the WebSocket alike, can be stopped, and reads the
same after a disconnect resumed with `Last-Event-ID`. Another user's chat and reply are
404; the message length, the one-answer-at-a-time rule and the per-minute rate are
refused with the error shape.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.runtime import components
from support.databases import fresh_database
from tests.e2e.gateway_system import sse_events
from tests.e2e.test_scan_pipeline import (
    CLEAR_PET,
    System,
    bearer,
    finished,
    in_one_process,
    register,
    submit_form,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

TERMINAL = {"completed", "incomplete", "failed"}
MESSAGES_PER_MINUTE = 8


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    root = tmp_path_factory.mktemp("chat")
    async with AsyncExitStack() as stack:
        database = fresh_database(postgres_url, "eco2_chat_e2e", components.MIGRATIONS)
        url = await stack.enter_async_context(database)
        host = await stack.enter_async_context(
            in_one_process(
                url,
                root,
                chat_words_per_second="25",
                chat_messages_per_minute=str(MESSAGES_PER_MINUTE),
                chat_batch_interval="0.08",
            )
        )
        yield System(host, "memory")


async def new_chat(client: httpx.AsyncClient, session: dict[str, Any], **body: Any) -> str:
    response = await client.post("/api/v1/chats", json=body, headers=bearer(session))
    assert response.status_code == 201, response.text
    chat_id: str = response.json()["id"]
    return chat_id


async def send(
    client: httpx.AsyncClient, session: dict[str, Any], chat_id: str, text: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/chats/{chat_id}/messages", json={"text": text, **body}, headers=bearer(session)
    )
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    assert accepted["events_url"] == (
        f"/api/v1/chats/{chat_id}/replies/{accepted['reply_id']}/events"
    )
    return accepted


async def read(
    client: httpx.AsyncClient,
    session: dict[str, Any],
    url: str,
    last: str | None = None,
    stop_after: int | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """A reply's events over SSE (until the terminal one, or `stop_after` deltas)."""
    headers = bearer(session) | ({"Last-Event-ID": last} if last else {})
    events: list[dict[str, Any]] = []
    async with client.stream("GET", url, headers=headers) as response:
        if response.status_code != 200:
            await response.aread()
            return response.status_code, []
        async for event in sse_events(response):
            events.append({**event, "data": json.loads(event["data"])})
            deltas = [e for e in events if e["event"] == "delta"]
            if stop_after is not None and len(deltas) >= stop_after:
                break
            if event["event"] in TERMINAL:
                break
    return 200, events


def text_of(events: list[dict[str, Any]]) -> str:
    deltas = [e["data"] for e in events if e["event"] == "delta"]
    seqs = [d["seq"] for d in deltas]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    return "".join(d["text"] for d in deltas)


async def messages(client: httpx.AsyncClient, session: dict[str, Any], chat_id: str) -> Any:
    response = await client.get(f"/api/v1/chats/{chat_id}/messages", headers=bearer(session))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def settled(client: httpx.AsyncClient, session: dict[str, Any], chat_id: str) -> Any:
    """The chat's messages once its last answer is no longer streaming."""
    deadline = time.monotonic() + 20
    while (items := await messages(client, session, chat_id))[-1]["status"] == "streaming":
        assert time.monotonic() < deadline, items[-1]
        await asyncio.sleep(0.05)
    return items


async def test_an_answer_about_a_scan_is_grounded_and_streams_on_sse_and_websocket(
    system: System,
) -> None:
    async with system.client() as client:
        session = await register(client)
        scan_id = await submit_form(client, session, CLEAR_PET)
        assert (await finished(client, session, scan_id))["status"] == "completed"
        chat_id = await new_chat(client, session, scan_id=scan_id)
        async with system.ws(session) as ws:
            accepted = await send(client, session, chat_id, "이거 어떻게 버려야 해?")
            status, events = await read(client, session, accepted["events_url"])
            assert status == 200
            pushed: list[dict[str, Any]] = []
            while not pushed or pushed[-1]["type"] not in {"chat.completed", "chat.failed"}:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if (
                    message["type"].startswith("chat.")
                    and message.get("reply_id") == (accepted["reply_id"])
                ):
                    pushed.append(message)

    kinds = [e["event"] for e in events]
    assert kinds[0] == "context"
    assert kinds[-1] == "completed"
    context, done = events[0]["data"], events[-1]["data"]
    assert next(s["id"] for s in context["scans"]) == scan_id
    assert context["rules"][0]["middle"] == "무색페트병"
    text = text_of(events)
    assert text == done["text"]
    assert text.startswith("오프라인 코치 이코")
    assert "무색페트병" in text
    assert 1 < kinds.count("delta") < len(text.split())  # batched
    assert {"scan", "rule"} <= {s["kind"] for s in done["sources"]}
    # The WebSocket saw the same events, in order, each once.
    assert [m["type"] for m in pushed] == [f"chat.{k}" for k in kinds]
    assert [m["id"] for m in pushed] == [e["data"]["id"] for e in events]

    async with system.client() as client:
        items = await settled(client, session, chat_id)
        chats = (await client.get("/api/v1/chats", headers=bearer(session))).json()
    assert [(m["role"], m["status"]) for m in items] == [
        ("user", "completed"),
        ("assistant", "completed"),
    ]
    assert items[1]["text"] == text
    assert items[1]["sources"] == done["sources"]
    [chat] = chats["items"]
    assert (chat["id"], chat["title"], chat["message_count"]) == (
        chat_id,
        "이거 어떻게 버려야 해?",
        2,
    )
    assert chat["preview"]
    assert chat["last_message_at"]


async def test_a_stopped_answer_keeps_its_partial_text(system: System) -> None:
    async with system.client() as client:
        session = await register(client)
        chat_id = await new_chat(client, session)
        accepted = await send(client, session, chat_id, "라벨 안 떼고 페트병을 버리면 어떻게 돼?")
        status, first = await read(client, session, accepted["events_url"], stop_after=1)
        assert status == 200
        stop = await client.post(
            f"/api/v1/chats/{chat_id}/replies/{accepted['reply_id']}/stop", headers=bearer(session)
        )
        assert stop.status_code == 202, stop.text
        assert stop.json()["reply_id"] == accepted["reply_id"]
        status, rest = await read(client, session, accepted["events_url"], last=first[-1]["id"])
        ended = rest[-1]
        assert (ended["event"], ended["data"]["reason"]) == ("incomplete", "stopped")
        partial = text_of(first + rest)
        assert partial == ended["data"]["text"]
        items = await settled(client, session, chat_id)
        assert (items[1]["status"], items[1]["reason"], items[1]["text"]) == (
            "incomplete",
            "stopped",
            partial,
        )
        # The next message is accepted: the stopped answer is no longer in progress.
        await send(client, session, chat_id, "고마워")


async def test_a_reconnect_with_last_event_id_yields_the_identical_text(system: System) -> None:
    async with system.client() as client:
        session = await register(client)
        chat_id = await new_chat(client, session)
        accepted = await send(client, session, chat_id, "치킨 뼈는 어디에 버려?")
        url = accepted["events_url"]
        status, before = await read(client, session, url, stop_after=2)
        assert status == 200
        status, after = await read(client, session, url, last=before[-1]["id"])
        assert not {e["id"] for e in before} & {e["id"] for e in after}  # nothing twice
        status, whole = await read(client, session, url)  # from the start, after the end
        resumed = text_of(before + after)
        assert resumed == text_of(whole) == whole[-1]["data"]["text"]
        assert [e["id"] for e in before + after] == [e["id"] for e in whole]
        ended = await client.get(url, headers=bearer(session) | {"Last-Event-ID": whole[-1]["id"]})
        assert ended.status_code == 204


async def test_another_users_chat_and_reply_are_not_found(system: System) -> None:
    async with system.client() as client:
        owner, stranger = await register(client), await register(client)
        chat_id = await new_chat(client, owner, title="내 대화")
        accepted = await send(client, owner, chat_id, "페트병 어떻게 버려?")
        base = f"/api/v1/chats/{chat_id}"
        reply = accepted["reply_id"]
        for method, path, body in (
            ("GET", f"{base}/messages", None),
            ("PATCH", base, {"title": "mine"}),
            ("DELETE", base, None),
            ("POST", f"{base}/messages", {"text": "hi"}),
            ("POST", f"{base}/replies/{reply}/stop", None),
            ("GET", f"{base}/replies/{reply}/events", None),
        ):
            response = await client.request(method, path, json=body, headers=bearer(stranger))
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
        other = await new_chat(client, owner)
        wrong_parent = f"/api/v1/chats/{other}/replies/{reply}/events"
        status, _ = await read(client, owner, wrong_parent)
        assert status == 404
        await settled(client, owner, chat_id)
        renamed = await client.patch(base, json={"title": "새 이름"}, headers=bearer(owner))
        assert renamed.json()["title"] == "새 이름"
        deleted = await client.delete(base, headers=bearer(owner))
        assert deleted.status_code == 204
        gone = await client.get(f"{base}/messages", headers=bearer(owner))
        assert gone.status_code == 404


async def test_limits_are_refused_with_the_error_shape(system: System) -> None:
    async with system.client() as client:
        session = await register(client)
        chat_id = await new_chat(client, session)
        path = f"/api/v1/chats/{chat_id}/messages"
        too_long = await client.post(path, json={"text": "가" * 2001}, headers=bearer(session))
        assert too_long.status_code == 422
        assert too_long.json()["error"]["code"] == "message_too_long"
        first = await send(client, session, chat_id, "페트병은 어떻게 버려?")
        busy = await client.post(path, json={"text": "하나 더"}, headers=bearer(session))
        assert busy.status_code == 409
        assert busy.json()["error"]["code"] == "reply_in_progress"
        await client.post(
            f"/api/v1/chats/{chat_id}/replies/{first['reply_id']}/stop", headers=bearer(session)
        )
        codes = []
        for _ in range(MESSAGES_PER_MINUTE):
            response = await client.post(path, json={"text": "또"}, headers=bearer(session))
            codes.append(response.status_code)
            if response.status_code == 429:
                assert response.json()["error"]["code"] == "rate_limited"
                assert 1 <= int(response.headers["Retry-After"]) <= 60
                break
        assert codes[-1] == 429
        bad_cursor = await client.get(
            "/api/v1/chats", params={"cursor": "nope"}, headers=bearer(session)
        )
        assert bad_cursor.status_code == 400
        no_scan = await client.post(
            "/api/v1/chats", json={"scan_id": "not-mine"}, headers=bearer(session)
        )
        assert no_scan.status_code == 422
        assert no_scan.json()["error"]["code"] == "scan_not_found"
