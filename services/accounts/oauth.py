"""OAuth 2 code exchange (authorization code + PKCE) with Google, Kakao and Naver.

The gateway ran the browser part (state, PKCE challenge); here the code and its verifier
are exchanged at the provider's token endpoint and the user info is read with the access
token. Each provider's answer is parsed into the same `ProviderIdentity`. Every failure
becomes `oauth_failed` with a message that says which step went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from contracts.accounts.v1 import OAuthProvider
from services.accounts.errors import AccountError


@dataclass(frozen=True)
class OAuthClient:
    """One provider's client registration and endpoints (built by the composition root)."""

    client_id: str
    client_secret: str
    token_url: str
    userinfo_url: str

    @property
    def enabled(self) -> bool:
        return bool(self.client_id)


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says the user is."""

    provider: OAuthProvider
    subject: str
    email: str | None
    email_verified: bool
    nickname: str | None


class _TokenAnswer(BaseModel):
    access_token: str


class _Google(BaseModel):
    sub: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None


class _KakaoProfile(BaseModel):
    nickname: str | None = None


class _KakaoAccount(BaseModel):
    email: str | None = None
    is_email_verified: bool = False
    profile: _KakaoProfile | None = None


class _Kakao(BaseModel):
    id: int | str
    kakao_account: _KakaoAccount | None = None


class _NaverUser(BaseModel):
    id: str
    email: str | None = None
    nickname: str | None = None


class _Naver(BaseModel):
    resultcode: str
    message: str | None = None
    response: _NaverUser | None = None


def parse_userinfo(provider: OAuthProvider, body: Any) -> ProviderIdentity:
    """Read a provider's user-info answer; raise `ValueError` on one it should not give."""
    match provider:
        case "google":
            g = _Google.model_validate(body)
            return ProviderIdentity(provider, g.sub, g.email, g.email_verified, g.name)
        case "kakao":
            k = _Kakao.model_validate(body)
            account = k.kakao_account or _KakaoAccount()
            nickname = account.profile.nickname if account.profile else None
            return ProviderIdentity(
                provider, str(k.id), account.email, account.is_email_verified, nickname
            )
        case "naver":
            n = _Naver.model_validate(body)
            if n.resultcode != "00" or n.response is None:
                raise ValueError(f"naver answered {n.resultcode}: {n.message or 'no message'}")
            # Naver does not say whether the address was verified, so it never links.
            r = n.response
            return ProviderIdentity(provider, r.id, r.email, False, r.nickname)


class OAuthProviders:
    """Exchanges codes with the configured providers over one shared HTTP client."""

    def __init__(
        self,
        clients: Mapping[str, OAuthClient],
        http: httpx.AsyncClient,
        redirect_uris: tuple[str, ...],
    ) -> None:
        self._clients = dict(clients)
        self._http = http
        self._redirect_uris = redirect_uris

    async def identify(
        self, provider: OAuthProvider, code: str, code_verifier: str, redirect_uri: str
    ) -> ProviderIdentity:
        client = self._clients.get(provider)
        if client is None or not client.enabled:
            raise AccountError("oauth_disabled", f"sign-in with {provider} is not configured")
        if redirect_uri not in self._redirect_uris:
            raise AccountError(
                "invalid_redirect_uri", "redirect_uri is not one of ECO2_OAUTH_REDIRECT_URIS"
            )
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code_verifier": code_verifier,
        }
        answer = await self._call(provider, "token exchange", "POST", client.token_url, data=form)
        try:
            token = _TokenAnswer.model_validate(answer).access_token
        except ValidationError:
            raise AccountError(
                "oauth_failed", f"{provider} token exchange failed: {_describe(answer)}"
            ) from None
        headers = {"Authorization": f"Bearer {token}"}
        info = await self._call(provider, "user info", "GET", client.userinfo_url, headers=headers)
        try:
            return parse_userinfo(provider, info)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise AccountError(
                "oauth_failed", f"{provider} user info was not understood: {str(exc)[:200]}"
            ) from None

    async def _call(self, provider: str, step: str, method: str, url: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise AccountError(
                "oauth_failed", f"{provider} {step}: could not reach the provider ({exc!r})"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_error:
            raise AccountError(
                "oauth_failed",
                f"{provider} {step} failed with HTTP {response.status_code}: {_describe(body)}",
            )
        if body is None:
            raise AccountError("oauth_failed", f"{provider} {step}: the answer was not JSON")
        return body


def _describe(body: Any) -> str:
    if isinstance(body, dict) and "error" in body:
        detail = body.get("error_description") or ""
        return f"{body['error']} {detail}".strip()[:300]
    return "unexpected answer"
