"""`/api/v1/auth/oauth/{provider}/*`: OAuth 2 authorization code with PKCE (S256).

`/api/v1/auth/providers` lists the providers with a client id (the sign-in buttons a
client shows) and the redirect URIs it may use.

`authorize` keeps `{provider, code_verifier, redirect_uri}` in Redis under a random
`state` for ten minutes and redirects to the provider; `callback` consumes the state
once (GETDEL) and lets the accounts service exchange the code for an account.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from contracts.accounts.v1 import OAuthLogin, Session
from gateway.bodies.auth import ProviderOut, ProvidersOut, TokensOut
from gateway.context import Gateway
from gateway.deps import OAuthClient
from gateway.errors import ApiError
from gateway.routes.auth import tokens
from gateway.routing import Operation, Param

PROVIDERS = ("google", "kakao", "naver")
STATE_PREFIX = "eco2:oauth:state:"


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _query(request: Request, name: str, max_length: int = 2048) -> str:
    value = request.query_params.get(name)
    if not value:
        raise ApiError(422, "invalid_field", f"{name}: query parameter is required")
    if len(value) > max_length:
        raise ApiError(422, "invalid_field", f"{name}: at most {max_length} characters")
    return value


def configured(gw: Gateway, name: str) -> OAuthClient | None:
    client = gw.deps.oauth.get(name)
    return client if client is not None and client.client_id else None


def enabled(request: Request) -> tuple[str, OAuthClient]:
    """The provider named in the path, if it exists and has a client id (else 404)."""
    name = str(request.path_params["provider"])
    if name not in PROVIDERS:
        raise ApiError(404, "not_found", f"no OAuth provider called {name!r}")
    client = configured(Gateway.of(request), name)
    if client is None:
        raise ApiError(404, "oauth_disabled", f"sign-in with {name} is not enabled")
    return name, client


async def providers(request: Request) -> Response:
    """What a sign-in page shows: a button for each provider with a client id."""
    gw = Gateway.of(request)
    items = [
        ProviderOut(name=name, authorize_url=f"/api/v1/auth/oauth/{name}/authorize")
        for name in PROVIDERS
        if configured(gw, name) is not None
    ]
    out = ProvidersOut(items=items, redirect_uris=list(gw.deps.oauth_redirect_uris))
    return JSONResponse(out.model_dump(mode="json"))


async def authorize(request: Request) -> Response:
    gw = Gateway.of(request)
    name, client = enabled(request)
    redirect_uri = _query(request, "redirect_uri")
    if redirect_uri not in gw.deps.oauth_redirect_uris:
        raise ApiError(422, "invalid_field", "redirect_uri: is not an allowed redirect URI")
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of the PKCE alphabet
    saved = {"provider": name, "code_verifier": verifier, "redirect_uri": redirect_uri}
    await gw.deps.redis.set(STATE_PREFIX + state, json.dumps(saved), ex=gw.limits.oauth_state_ttl)
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": client.scope,
        "state": state,
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in client.authorize_url else "?"
    return RedirectResponse(f"{client.authorize_url}{separator}{urlencode(params)}", 302)


async def callback(request: Request) -> Response:
    gw = Gateway.of(request)
    name, _ = enabled(request)
    refused = request.query_params.get("error")
    if refused:
        raise ApiError(400, "oauth_failed", f"{name} refused the sign-in: {refused[:200]}")
    code = _query(request, "code")
    state = _query(request, "state", 512)
    raw = await gw.deps.redis.getdel(STATE_PREFIX + state)
    saved = json.loads(raw) if raw else None
    if not isinstance(saved, dict) or saved.get("provider") != name:
        raise ApiError(400, "invalid_state", "unknown or expired sign-in state; start again")
    query = OAuthLogin(
        provider=name,
        code=code,
        code_verifier=saved["code_verifier"],
        redirect_uri=saved["redirect_uri"],
    )
    return tokens(await gw.ask(query, Session))


PATH = "/api/v1/auth/oauth/{provider}"
REDIRECT = Param("redirect_uri", required=True, description="one of the allowed URIs")
OPERATIONS = (
    Operation(
        "GET",
        "/api/v1/auth/providers",
        providers,
        "The OAuth providers enabled on this server, and the allowed redirect URIs",
        "auth",
        response=ProvidersOut,
    ),
    Operation(
        "GET",
        f"{PATH}/authorize",
        authorize,
        "Start an OAuth sign-in (302 to the provider)",
        "auth",
        status=302,
        media="",
        errors=(404, 422),
        params=(REDIRECT,),
        path_choices=(("provider", PROVIDERS),),
    ),
    Operation(
        "GET",
        f"{PATH}/callback",
        callback,
        "Finish an OAuth sign-in",
        "auth",
        response=TokensOut,
        errors=(400, 404, 422, 503),
        params=(Param("code"), Param("state"), Param("error")),
        path_choices=(("provider", PROVIDERS),),
    ),
)
