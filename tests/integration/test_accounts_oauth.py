"""OAuth sign-in against a fake Google, Kakao and Naver served over real HTTP on loopback."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bus.ports import RemoteError
from contracts.accounts.v1 import OAuthLogin, OAuthProvider, Register, Session
from services.accounts.errors import AccountError
from services.accounts.oauth import OAuthClient, OAuthProviders
from support.servers import serve_fake
from tests.integration.test_accounts import PASSWORD, Harness, harness

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REDIRECT = "https://app.example/oauth/callback"
VERIFIER = "v" * 43


class FakeProvider:
    """Token and user-info endpoints; `users[code]` is what user info answers for a code."""

    def __init__(self) -> None:
        self.users: dict[str, Any] = {}
        self.forms: list[dict[str, str]] = []
        self.base = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{provider}/token", self.token, methods=["POST"]),
                Route("/{provider}/userinfo", self.userinfo, methods=["GET"]),
            ]
        )

    async def token(self, request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.forms.append(form)
        provider = request.path_params["provider"]
        if form["client_id"] != f"{provider}-id" or form["client_secret"] != f"{provider}-secret":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form["code"] not in self.users or form["code_verifier"] != VERIFIER:
            message = {"error": "invalid_grant", "error_description": "code expired"}
            return JSONResponse(message, status_code=400)
        return JSONResponse({"access_token": f"at-{form['code']}", "token_type": "bearer"})

    async def userinfo(self, request: Request) -> JSONResponse:
        code = request.headers.get("authorization", "").removeprefix("Bearer at-")
        if code not in self.users:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(self.users[code])

    def settings(self) -> dict[str, Any]:
        return {
            f"oauth_{name}": {
                "client_id": f"{name}-id",
                "client_secret": f"{name}-secret",
                "token_url": f"{self.base}/{name}/token",
                "userinfo_url": f"{self.base}/{name}/userinfo",
            }
            for name in ("google", "kakao", "naver")
        }


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    async with serve_fake(FakeProvider()) as fake:
        yield fake


@pytest.fixture
async def accounts(
    postgres_url: str, redis_url: str, tmp_path: Path, provider: FakeProvider
) -> AsyncIterator[Harness]:
    settings = {**provider.settings(), "oauth_redirect_uris": (REDIRECT,)}
    async with harness(postgres_url, redis_url, tmp_path, **settings) as running:
        yield running


def sign_in(provider: OAuthProvider, code: str) -> OAuthLogin:
    return OAuthLogin(provider=provider, code=code, code_verifier=VERIFIER, redirect_uri=REDIRECT)


async def test_google_creates_then_finds_the_user(
    accounts: Harness, provider: FakeProvider
) -> None:
    provider.users["g1"] = {
        "sub": "g-123",
        "email": "Gina@Example.com",
        "email_verified": True,
        "name": "Gina",
    }
    first: Session = await accounts.ask(sign_in("google", "g1"))
    assert first.created
    assert first.user.email == "gina@example.com"
    assert first.user.nickname == "Gina"
    assert provider.forms[0] == {
        "grant_type": "authorization_code",
        "code": "g1",
        "redirect_uri": REDIRECT,
        "client_id": "google-id",
        "client_secret": "google-secret",
        "code_verifier": VERIFIER,
    }
    registered = await accounts.event(lambda e: e.type == "user.registered")
    assert registered.payload["provider"] == "google"
    again: Session = await accounts.ask(sign_in("google", "g1"))
    assert not again.created
    assert again.user.id == first.user.id


async def test_kakao_links_a_verified_email_to_the_password_account(
    accounts: Harness, provider: FakeProvider
) -> None:
    mine: Session = await accounts.ask(
        Register(email="kim@example.com", password=PASSWORD, nickname="kim")
    )
    provider.users["k1"] = {
        "id": 98765,
        "kakao_account": {
            "email": "kim@example.com",
            "is_email_verified": True,
            "profile": {"nickname": "카카오김"},
        },
    }
    linked: Session = await accounts.ask(sign_in("kakao", "k1"))
    assert not linked.created
    assert linked.user.id == mine.user.id
    provider.users["k2"] = {"id": 555, "kakao_account": {"profile": {"nickname": "no mail"}}}
    with pytest.raises(RemoteError, match="did not share an email") as refused:
        await accounts.ask(sign_in("kakao", "k2"))
    assert refused.value.code == "oauth_failed"


async def test_naver_never_links_but_creates_new_users(
    accounts: Harness, provider: FakeProvider
) -> None:
    await accounts.ask(Register(email="lee@example.com", password=PASSWORD, nickname="lee"))
    provider.users["n1"] = {
        "resultcode": "00",
        "message": "success",
        "response": {"id": "n-1", "email": "lee@example.com", "nickname": "Lee"},
    }
    assert await accounts.fails(sign_in("naver", "n1")) == "email_taken"
    provider.users["n2"] = {
        "resultcode": "00",
        "response": {"id": "n-2", "email": "park.j@example.com"},
    }
    created: Session = await accounts.ask(sign_in("naver", "n2"))
    assert created.created
    assert created.user.nickname == "park.j"


async def test_provider_errors_fail_clearly(accounts: Harness, provider: FakeProvider) -> None:
    assert await accounts.fails(sign_in("google", "unknown-code")) == "oauth_failed"
    provider.users["garbled"] = {"resultcode": "024", "message": "Authentication failed"}
    assert await accounts.fails(sign_in("naver", "garbled")) == "oauth_failed"
    provider.users["nosub"] = {"email": "x@example.com"}
    assert await accounts.fails(sign_in("google", "nosub")) == "oauth_failed"
    wrong = sign_in("google", "nosub").model_copy(update={"redirect_uri": "https://evil.example"})
    assert await accounts.fails(wrong) == "invalid_redirect_uri"


async def test_unconfigured_and_unreachable_providers() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    dead = OAuthClient("id", "secret", f"http://127.0.0.1:{port}/t", f"http://127.0.0.1:{port}/u")
    async with httpx.AsyncClient(timeout=2) as http:
        providers = OAuthProviders({"google": dead}, http, (REDIRECT,))
        with pytest.raises(AccountError) as disabled:
            await providers.identify("kakao", "c", VERIFIER, REDIRECT)
        assert disabled.value.code == "oauth_disabled"
        with pytest.raises(AccountError, match="could not reach") as unreachable:
            await providers.identify("google", "c", VERIFIER, REDIRECT)
        assert unreachable.value.code == "oauth_failed"
