"""`GET /api/v1/auth/providers`: the sign-in buttons a client shows, and where they return."""

from __future__ import annotations

from dataclasses import replace

import httpx

from gateway.app import build
from gateway.deps import GatewayDeps, OAuthClient
from tests.unit.gateway.test_documents import deps

REDIRECT = "https://app.example/oauth/callback"


async def providers(configured: GatewayDeps) -> httpx.Response:
    app, _ = build(configured)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
        return await client.get("/api/v1/auth/providers")


async def test_only_providers_with_a_client_id_are_listed() -> None:
    oauth = {
        "kakao": OAuthClient("kakao-client", "https://kauth.example/authorize"),
        "naver": OAuthClient("", "https://nid.example/authorize"),
    }
    answer = await providers(replace(deps(), oauth=oauth, oauth_redirect_uris=(REDIRECT,)))
    assert answer.status_code == 200
    assert answer.json() == {
        "items": [{"name": "kakao", "authorize_url": "/api/v1/auth/oauth/kakao/authorize"}],
        "redirect_uris": [REDIRECT],
    }


async def test_no_provider_configured_lists_none() -> None:
    answer = await providers(deps())
    assert answer.json() == {"items": [], "redirect_uris": []}


def test_the_list_is_documented() -> None:
    from gateway import openapi
    from gateway.app import OPERATIONS

    document = openapi.document(OPERATIONS, title="t", version="1")
    listed = document["paths"]["/api/v1/auth/providers"]["get"]
    assert listed["tags"] == ["auth"]
    schema = listed["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ProvidersOut"}
    assert "security" not in listed
