"""OAuth sign-in end to end: gateway and the real accounts service, a fake provider, HTTP.

The system is wired by the composition root on a memory bus, a fresh PostgreSQL database
and the real Redis; its provider endpoints come from `ECO2_OAUTH_*` environment variables
and point at a fake Google, Kakao and Naver on loopback. The fake provider checks what a
real one checks: the client, the redirect URI, the code (once) and the PKCE verifier
against the S256 challenge it was given at `/authorize`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from support.servers import serve_fake
from tests.e2e.accounts_system import accounts_database, running_system, system_settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REDIRECT = "https://app.example/oauth/callback"
PROVIDERS = ("google", "kakao", "naver")
STATE_PREFIX = "eco2:oauth:state:"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def userinfo(provider: str, subject: str, email: str, nickname: str) -> dict[str, Any]:
    """What each provider's user-info endpoint answers for a signed-in person."""
    match provider:
        case "google":
            return {"sub": subject, "email": email, "email_verified": True, "name": nickname}
        case "kakao":
            account = {"email": email, "is_email_verified": True, "profile": {"nickname": nickname}}
            return {"id": int(subject), "kakao_account": account}
        case _:
            user = {"id": subject, "email": email, "nickname": nickname}
            return {"resultcode": "00", "message": "success", "response": user}


@dataclass
class Grant:
    """A code issued at `/authorize`, with what the token endpoint must be shown for it."""

    provider: str
    client_id: str
    redirect_uri: str
    challenge: str
    person: dict[str, Any]
    used: bool = False


@dataclass
class FakeProvider:
    """Authorize, token and user-info endpoints of `/{provider}/...` on one server."""

    base: str = ""
    person: dict[str, dict[str, Any]] = field(default_factory=dict)  # who signs in next
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorize_queries: list[dict[str, str]] = field(default_factory=list)
    token_forms: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{provider}/authorize", self.authorize, methods=["GET"]),
                Route("/{provider}/token", self.token, methods=["POST"]),
                Route("/{provider}/userinfo", self.userinfo, methods=["GET"]),
            ]
        )

    def env(self) -> dict[str, str]:
        values = {"ECO2_OAUTH_REDIRECT_URIS": json.dumps([REDIRECT])}
        for name in PROVIDERS:
            prefix = f"ECO2_OAUTH_{name.upper()}__"
            values |= {
                f"{prefix}CLIENT_ID": f"{name}-client",
                f"{prefix}CLIENT_SECRET": f"{name}-secret",
                f"{prefix}AUTHORIZE_URL": f"{self.base}/{name}/authorize",
                f"{prefix}TOKEN_URL": f"{self.base}/{name}/token",
                f"{prefix}USERINFO_URL": f"{self.base}/{name}/userinfo",
            }
        return values

    async def authorize(self, request: Request) -> Response:
        """ "Signs in" `person[provider]` and sends the browser back with a code."""
        provider = request.path_params["provider"]
        query = dict(request.query_params)
        self.authorize_queries.append(query)
        if (
            query.get("response_type") != "code"
            or query.get("client_id") != f"{provider}-client"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
            or not query.get("state")
            or provider not in self.person
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            provider,
            query["client_id"],
            query["redirect_uri"],
            query["code_challenge"],
            self.person[provider],
        )
        back = urlencode({"code": code, "state": query["state"]})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", status_code=302)

    async def token(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_forms.append(form)
        if (
            form.get("client_id") != f"{provider}-client"
            or form.get("client_secret") != f"{provider}-secret"
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or grant.provider != provider:
            return self._invalid_grant("the code is unknown or was used")
        grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._invalid_grant("redirect_uri does not match the authorization request")
        if s256(form.get("code_verifier", "")) != grant.challenge:
            return self._invalid_grant("PKCE verification failed")
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant.person
        return JSONResponse({"access_token": access, "token_type": "bearer", "expires_in": 3600})

    async def userinfo(self, request: Request) -> Response:
        access = request.headers.get("authorization", "").removeprefix("Bearer ")
        if access not in self.tokens:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(self.tokens[access])

    @staticmethod
    def _invalid_grant(description: str) -> Response:
        body = {"error": "invalid_grant", "error_description": description}
        return JSONResponse(body, status_code=400)


@dataclass(frozen=True)
class System:
    gateway: httpx.AsyncClient
    browser: httpx.AsyncClient  # follows nothing: each redirect is looked at
    provider: FakeProvider
    redis: aioredis.Redis


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    async with serve_fake(FakeProvider()) as fake:
        yield fake


@pytest.fixture
async def system(
    postgres_url: str,
    redis_url: str,
    tmp_path: Path,
    provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[System]:
    for name, value in provider.env().items():
        monkeypatch.setenv(name, value)
    async with accounts_database(postgres_url) as database:
        settings = system_settings(database, redis_url, tmp_path)
        async with (
            running_system(settings) as url,
            httpx.AsyncClient(base_url=url, timeout=10.0) as gateway,
            httpx.AsyncClient(timeout=10.0) as browser,
        ):
            redis = aioredis.from_url(redis_url)
            try:
                yield System(gateway, browser, provider, redis)
            finally:
                await redis.aclose()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def authorize(system: System, provider: str) -> dict[str, str]:
    """The gateway's redirect to the provider: its query (state, challenge, ...)."""
    started = await system.gateway.get(
        f"/api/v1/auth/oauth/{provider}/authorize", params={"redirect_uri": REDIRECT}
    )
    assert started.status_code == 302, started.text
    location = started.headers["location"]
    assert location.startswith(f"{system.provider.base}/{provider}/authorize?")
    return query_of(location)


async def sign_in_at_provider(system: System, provider: str) -> dict[str, str]:
    """authorize -> the provider -> back at the redirect URI: its `code` and `state`."""
    started = await system.gateway.get(
        f"/api/v1/auth/oauth/{provider}/authorize", params={"redirect_uri": REDIRECT}
    )
    assert started.status_code == 302, started.text
    at_provider = await system.browser.get(started.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    back = at_provider.headers["location"]
    assert back.startswith(REDIRECT + "?")
    return query_of(back)


async def callback(system: System, provider: str, params: dict[str, str]) -> httpx.Response:
    return await system.gateway.get(f"/api/v1/auth/oauth/{provider}/callback", params=params)


def error_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, str] = body["error"]
    assert set(error) == {"code", "message", "request_id"}, error
    assert error["request_id"] == response.headers["x-request-id"]
    return error


@pytest.mark.parametrize("provider_name", PROVIDERS)
async def test_sign_in_with_a_provider_answers_tokens_that_work(
    system: System, provider_name: str
) -> None:
    email = f"{provider_name}-{secrets.token_hex(4)}@example.com"
    subject = str(secrets.randbelow(10**9) + 1)
    system.provider.person[provider_name] = userinfo(provider_name, subject, email, "Jisoo")

    redirect = await authorize(system, provider_name)
    assert redirect["response_type"] == "code"
    assert redirect["client_id"] == f"{provider_name}-client"
    assert redirect["redirect_uri"] == REDIRECT
    assert redirect["code_challenge_method"] == "S256"
    assert len(redirect["state"]) >= 32
    assert len(redirect["code_challenge"]) == 43  # base64url of a SHA-256, unpadded

    back = await sign_in_at_provider(system, provider_name)
    assert set(back) == {"code", "state"}
    signed_in = await callback(system, provider_name, back)
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert set(body["user"]) == {"id", "email", "nickname"}
    assert body["user"]["email"] == email
    assert body["user"]["nickname"] == "Jisoo"

    # What the accounts service sent the token endpoint (the provider verified PKCE).
    form = system.provider.token_forms[-1]
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == back["code"]
    assert form["redirect_uri"] == REDIRECT
    assert form["client_id"] == f"{provider_name}-client"
    assert form["client_secret"] == f"{provider_name}-secret"
    assert 43 <= len(form["code_verifier"]) <= 128

    me = await system.gateway.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert me.json()["id"] == body["user"]["id"]
    assert me.json()["email"] == email

    refreshed = await system.gateway.post(
        "/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text

    # The state was consumed: the same redirect again is refused before the provider.
    exchanges = len(system.provider.token_forms)
    replayed = await callback(system, provider_name, back)
    assert replayed.status_code == 400
    assert error_of(replayed)["code"] == "invalid_state"
    assert len(system.provider.token_forms) == exchanges

    # Signing in again finds the same account.
    again = await callback(system, provider_name, await sign_in_at_provider(system, provider_name))
    assert again.status_code == 200, again.text
    assert again.json()["user"]["id"] == body["user"]["id"]


async def test_a_wrong_code_verifier_is_refused_by_the_provider(system: System) -> None:
    system.provider.person["kakao"] = userinfo("kakao", "4242", "pkce@example.com", "Min")
    back = await sign_in_at_provider(system, "kakao")
    key = STATE_PREFIX + back["state"]
    raw = await system.redis.get(key)
    assert raw is not None, "the gateway keeps the state in Redis"
    saved = json.loads(raw)
    saved["code_verifier"] = secrets.token_urlsafe(64)  # well-formed, not the one challenged
    assert await system.redis.set(key, json.dumps(saved), keepttl=True)

    refused = await callback(system, "kakao", back)
    assert refused.status_code == 400, refused.text
    error = error_of(refused)
    assert error["code"] == "oauth_failed"
    assert "PKCE verification failed" in error["message"]
    assert system.provider.token_forms[-1]["code_verifier"] == saved["code_verifier"]


async def test_states_are_bound_to_their_provider_and_single_use(system: System) -> None:
    system.provider.person["google"] = userinfo("google", "g-1", "bound@example.com", "Bo")
    back = await sign_in_at_provider(system, "google")
    # A Google state presented to the Kakao callback is unknown there, and is spent.
    wrong = await callback(system, "kakao", back)
    assert wrong.status_code == 400
    assert error_of(wrong)["code"] == "invalid_state"
    spent = await callback(system, "google", back)
    assert spent.status_code == 400
    assert error_of(spent)["code"] == "invalid_state"

    unknown = await callback(system, "google", {"code": "c", "state": "never-issued"})
    assert unknown.status_code == 400
    assert error_of(unknown)["code"] == "invalid_state"
    assert system.provider.token_forms == []


async def test_a_refused_sign_in_and_missing_parameters(system: System) -> None:
    redirect = await authorize(system, "naver")
    denied = await callback(system, "naver", {"error": "access_denied", "state": redirect["state"]})
    assert denied.status_code == 400
    error = error_of(denied)
    assert error["code"] == "oauth_failed"
    assert "access_denied" in error["message"]

    for params in ({"state": redirect["state"]}, {"code": "c"}):
        missing = await callback(system, "naver", params)
        assert missing.status_code == 422
        assert error_of(missing)["code"] == "invalid_field"


async def test_redirect_uris_must_be_listed(system: System) -> None:
    path = "/api/v1/auth/oauth/kakao/authorize"
    for params in (
        {"redirect_uri": "https://evil.example/oauth/callback"},
        {"redirect_uri": REDIRECT + "/"},
        {},
    ):
        refused = await system.gateway.get(path, params=params)
        assert refused.status_code == 422, refused.text
        error = error_of(refused)
        assert error["code"] == "invalid_field"
        assert "redirect_uri" in error["message"]
    assert system.provider.authorize_queries == []


async def test_unknown_providers_are_not_found(system: System) -> None:
    for step in ("authorize", "callback"):
        response = await system.gateway.get(
            f"/api/v1/auth/oauth/github/{step}", params={"redirect_uri": REDIRECT}
        )
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


async def test_a_provider_without_a_client_id_is_disabled(
    postgres_url: str,
    redis_url: str,
    tmp_path: Path,
    provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in provider.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ECO2_OAUTH_NAVER__CLIENT_ID")
    async with accounts_database(postgres_url) as database:
        settings = system_settings(database, redis_url, tmp_path)
        assert not settings.oauth_provider("naver").enabled
        async with (
            running_system(settings) as url,
            httpx.AsyncClient(base_url=url, timeout=10.0) as gateway,
        ):
            disabled = await gateway.get(
                "/api/v1/auth/oauth/naver/authorize", params={"redirect_uri": REDIRECT}
            )
            assert disabled.status_code == 404, disabled.text
            assert error_of(disabled)["code"] == "oauth_disabled"
            callback = await gateway.get(
                "/api/v1/auth/oauth/naver/callback", params={"code": "c", "state": "s"}
            )
            assert callback.status_code == 404, callback.text
            assert error_of(callback)["code"] == "oauth_disabled"
            enabled = await gateway.get(
                "/api/v1/auth/oauth/kakao/authorize", params={"redirect_uri": REDIRECT}
            )
            assert enabled.status_code == 302
    assert provider.authorize_queries == []
