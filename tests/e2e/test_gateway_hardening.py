"""What a hostile client found beyond the throttles (issue 17): upload URLs, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.images import jpeg
from tests.e2e.gateway_system import bearer, gateway_settings, refused_within, register
from tests.e2e.scan_system import ScanSystem, scan_system

pytestmark = pytest.mark.postgres

PUBLIC = "https://api.eco2.example"


@pytest.fixture
async def system(postgres_url: str, tmp_path: Path) -> AsyncIterator[ScanSystem]:
    settings = gateway_settings(data_dir=tmp_path, public_url=PUBLIC)
    async with scan_system(settings, postgres_url, tmp_path) as built:
        yield built


async def grant(client: httpx.AsyncClient, session: dict[str, Any], **headers: str) -> Any:
    asked = await client.post(
        "/api/v1/uploads",
        json={"content_type": "image/jpeg", "size": len(jpeg())},
        headers=bearer(session) | headers,
    )
    assert asked.status_code == 201, asked.text
    return asked.json()


def local(url: str) -> str:
    """The upload URL, sent to the test server instead of the public host."""
    assert url.startswith(PUBLIC + "/api/v1/uploads/"), url
    return url.removeprefix(PUBLIC)


async def test_upload_urls_come_from_the_public_url_not_the_host_header(
    system: ScanSystem,
) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        upload = await grant(client, session, Host="evil.example")
        assert "evil.example" not in upload["upload_url"]
        put = await client.put(
            local(upload["upload_url"]), content=jpeg(), headers=upload["headers"]
        )
        assert put.status_code == 204, put.text


async def test_an_upload_url_dies_with_its_session(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        upload = await grant(client, session)
        out = await client.post("/api/v1/auth/logout", headers=bearer(session))
        assert out.status_code == 204
        put = await client.put(
            local(upload["upload_url"]), content=jpeg(), headers=upload["headers"]
        )
        assert put.status_code == 403, put.text
        assert put.json()["error"]["code"] == "forbidden"


async def test_an_upload_url_dies_with_the_account(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        upload = await grant(client, session)
        gone = await client.delete("/api/v1/users/me", headers=bearer(session))
        assert gone.status_code in (200, 204), gone.text
        await refused_within(client, session, 5.0)  # the revocation reached the gateway
        put = await client.put(
            local(upload["upload_url"]), content=jpeg(), headers=upload["headers"]
        )
        assert put.status_code == 403, put.text


async def test_tokens_are_not_cached_and_nothing_is_sniffed(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        registered = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "sniff@example.com",
                "password": "correct horse battery",
                "nickname": "K",
            },
        )
        assert registered.status_code == 201
        assert registered.headers["cache-control"] == "no-store"
        for response in (
            registered,
            await client.get("/healthz"),
            await client.get("/api/v1/users/me"),
            await client.get("/no/such/route"),
            await client.get("/"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff", response.url
        page = await client.get("/")
        assert "default-src" in page.headers["content-security-policy"]


async def test_operator_routes_are_off_the_public_listener(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        for path in ("/metrics", "/asyncapi.json"):
            assert (await client.get(path)).status_code == 404, path
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert "/metrics" not in paths
        assert "/asyncapi.json" not in paths
        assert "/healthz" in paths
