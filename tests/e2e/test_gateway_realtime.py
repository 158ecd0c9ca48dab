"""WebSocket pushes and SSE event streams, over real connections."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from contracts import new_envelope
from contracts.scan.v1 import ScanFailed, ScanProgress
from tests.e2e.gateway_system import (
    GatewaySystem,
    bearer,
    fake_redis,
    gateway_settings,
    gateway_system,
    memory_buses,
    register,
    sse,
)


@pytest.fixture
async def system() -> AsyncIterator[GatewaySystem]:
    settings = gateway_settings(ws_send_queue=8, ws_heartbeat=0.3)
    async with gateway_system(
        settings, memory_buses(), fake_redis(), send_buffer=64 * 1024
    ) as built:
        yield built


def progress(scan_id: str, user_id: str, value: int) -> ScanProgress:
    return ScanProgress(scan_id=scan_id, user_id=user_id, stage="vision", progress=value)


def failed(scan_id: str, user_id: str, message: str = "the photo is blurred") -> ScanFailed:
    return ScanFailed(
        scan_id=scan_id, user_id=user_id, stage="vision", code="invalid_image", message=message
    )


async def next_event(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    """The next message that is not a heartbeat."""
    while True:
        data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if data["type"] != "ping":
            return data


async def close_code(ws: ClientConnection, timeout: float = 5.0) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else 1006


async def test_websocket_ping_pong_and_events_only_for_their_user(system: GatewaySystem) -> None:
    async with system.gateway.client() as client:
        alice, bob = await register(client), await register(client)
    async with (
        connect(system.gateway.ws, additional_headers=bearer(alice)) as alice_ws,
        connect(f"{system.gateway.ws}?access_token={bob['access_token']}") as bob_ws,
    ):
        await alice_ws.send(json.dumps({"type": "ping"}))
        assert await next_event(alice_ws) == {"type": "pong"}
        heartbeat = json.loads(await asyncio.wait_for(bob_ws.recv(), 2))
        assert heartbeat == {"type": "ping"}  # idle for ws_heartbeat seconds

        message_id = await system.publish(progress("s1", alice["user"]["id"], 40))
        event = await next_event(alice_ws)
        assert event["type"] == "scan.progress"
        assert event["id"] == message_id
        assert event["progress"] == 40
        await bob_ws.send(json.dumps({"type": "ping"}))
        assert await next_event(bob_ws) == {"type": "pong"}  # and nothing of Alice's


async def test_websocket_refuses_bad_tokens_and_closes_on_revocation(
    system: GatewaySystem,
) -> None:
    async with connect(system.gateway.ws) as anonymous:
        assert await close_code(anonymous) == 4401
    async with connect(system.gateway.ws, additional_headers={"Authorization": "Bearer x"}) as bad:
        assert await close_code(bad) == 4401
    async with system.gateway.client() as client:
        session = await register(client)
        async with connect(system.gateway.ws, additional_headers=bearer(session)) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert await next_event(ws) == {"type": "pong"}
            logout = await client.post("/api/v1/auth/logout", headers=bearer(session))
            assert logout.status_code == 204
            assert await close_code(ws) == 4401


async def raw_websocket(host: str, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened by hand, so the test decides when (if ever) it reads."""
    address, port = host.rsplit(":", 1)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 128 * 1024)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (address, int(port)))
    reader, writer = await asyncio.open_connection(sock=sock, limit=64 * 1024)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /api/v1/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert b" 101 " in head.split(b"\r\n", 1)[0], head
    return reader, writer


async def raw_close_code(reader: asyncio.StreamReader) -> int:
    """Read frames (a server's are unmasked) up to the close frame; its code."""
    while True:
        first, second = await reader.readexactly(2)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(await reader.readexactly(2), "big")
        elif size == 127:
            size = int.from_bytes(await reader.readexactly(8), "big")
        payload = await reader.readexactly(size)
        if first & 0x0F == 0x8:
            return int.from_bytes(payload[:2], "big")


async def test_a_slow_websocket_client_is_closed_while_a_fast_one_keeps_receiving(
    system: GatewaySystem,
) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
    user = session["user"]["id"]
    reader, writer = await raw_websocket(system.gateway.host, session["access_token"])
    try:
        async with connect(system.gateway.ws, additional_headers=bearer(session)) as fast:
            received = 0

            async def read_fast() -> None:
                nonlocal received
                while received < 100:
                    if (await next_event(fast))["type"] == "scan.failed":
                        received += 1

            reading = asyncio.create_task(read_fast())
            big = "x" * 100_000  # the slow client's buffers fill within a few events
            for _ in range(100):
                await system.publish(failed("s-slow", user, big), user)
                await asyncio.sleep(0.002)
            await asyncio.wait_for(reading, 10)
            assert received == 100
            # The slow client reads its backlog now, and finds the 4408 close at its end.
            assert await asyncio.wait_for(raw_close_code(reader), 10) == 4408
            await fast.send(json.dumps({"type": "ping"}))
            assert await next_event(fast) == {"type": "pong"}
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_sse_streams_a_scan_in_order_and_resumes_exactly(system: GatewaySystem) -> None:
    scan_id = f"scan-{uuid.uuid4().hex[:8]}"
    async with system.gateway.client() as client:
        owner, other = await register(client), await register(client)
        user = owner["user"]["id"]
        for value in (10, 40, 70):
            await system.publish(progress(scan_id, user, value), user)
        await system.publish(failed(scan_id, user), user)

        status, events = await sse(client, scan_id, owner)
        assert status == 200
        assert [e["event"] for e in events] == ["progress", "progress", "progress", "failed"]
        datas = [json.loads(e["data"]) for e in events]
        assert [d.get("progress") for d in datas[:3]] == [10, 40, 70]
        assert datas[3]["type"] == "scan.failed"

        status, rest = await sse(client, scan_id, owner, last=events[1]["id"])
        assert status == 200
        assert [e["id"] for e in rest] == [e["id"] for e in events[2:]]

        status, _ = await sse(client, scan_id, owner, last=events[3]["id"])
        assert status == 204  # finished: EventSource stops reconnecting

        status, _ = await sse(client, scan_id, other)
        assert status == 404
        status, _ = await sse(client, scan_id, owner, last="not-an-id")
        assert status == 400
        unauthenticated = await client.get(f"/api/v1/scans/{scan_id}/events")
        assert unauthenticated.status_code == 401


async def test_an_event_delivered_twice_is_logged_once(system: GatewaySystem) -> None:
    scan_id = f"scan-{uuid.uuid4().hex[:8]}"
    async with system.gateway.client() as client:
        owner = await register(client)
        user = owner["user"]["id"]
        envelope = new_envelope(progress(scan_id, user, 5), user_id=user)
        await system.bus.publish(envelope)
        await system.bus.publish(envelope)
        await system.publish(failed(scan_id, user), user)
        status, events = await sse(client, scan_id, owner)
        assert status == 200
        assert [e["event"] for e in events] == ["progress", "failed"]
