"""`/api/v1/auth/*`: register, sign in, rotate, sign out (queries to the accounts service)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bus.ports import RemoteError
from contracts.accounts.v1 import LoggedOut, Login, Logout, Refresh, Register, Session
from gateway.bodies.auth import LoginBody, LogoutBody, RefreshBody, RegisterBody, TokensOut
from gateway.bodies.parsing import read_json, read_model
from gateway.context import Gateway
from gateway.routing import Operation

BODY_ERRORS = (400, 413, 415, 422)


def tokens(session: Session, status: int = 200) -> Response:
    return JSONResponse(TokensOut.of(session).model_dump(mode="json"), status_code=status)


async def register(request: Request) -> Response:
    gw = Gateway.of(request)
    body = await read_model(request, RegisterBody, gw.limits.max_body_bytes)
    session = await gw.ask(Register(**body.model_dump()), Session)
    return tokens(session, 201)


async def login(request: Request) -> Response:
    gw = Gateway.of(request)
    body = await read_model(request, LoginBody, gw.limits.max_body_bytes)
    client = request.client.host if request.client else "unknown"
    await gw.limiter.check(body.email, client)
    try:
        session = await gw.ask(Login(**body.model_dump()), Session)
    except RemoteError as exc:
        if exc.code == "invalid_credentials":
            await gw.limiter.failed(body.email, client)
        raise
    await gw.limiter.succeeded(body.email)
    return tokens(session)


async def refresh(request: Request) -> Response:
    gw = Gateway.of(request)
    body = await read_model(request, RefreshBody, gw.limits.max_body_bytes)
    return tokens(await gw.ask(Refresh(refresh_token=body.refresh_token), Session))


async def logout(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    body = await read_json(request, LogoutBody, gw.limits.max_body_bytes, optional=True)
    query = Logout(
        user_id=caller.user_id,
        session_id=caller.session_id,
        access_jti=caller.jti,
        access_expires_at=datetime.fromtimestamp(caller.expires_at, UTC),
        refresh_token=body.refresh_token if body else None,
    )
    await gw.ask(query, LoggedOut, user_id=caller.user_id)
    # This instance stops accepting the session now; others on `token.revoked`.
    gw.verifier.revocations.revoke_session(caller.session_id)
    return Response(status_code=204)


PREFIX = "/api/v1/auth"
OPERATIONS = (
    Operation(
        "POST",
        f"{PREFIX}/register",
        register,
        "Create an account and sign in",
        "auth",
        RegisterBody,
        response=TokensOut,
        status=201,
        errors=(*BODY_ERRORS, 409, 503),
    ),
    Operation(
        "POST",
        f"{PREFIX}/login",
        login,
        "Sign in with email and password",
        "auth",
        LoginBody,
        response=TokensOut,
        errors=(*BODY_ERRORS, 401, 429, 503),
    ),
    Operation(
        "POST",
        f"{PREFIX}/refresh",
        refresh,
        "Exchange a refresh token for new tokens (the old one stops working)",
        "auth",
        RefreshBody,
        response=TokensOut,
        errors=(*BODY_ERRORS, 401, 503),
    ),
    Operation(
        "POST",
        f"{PREFIX}/logout",
        logout,
        "Sign out: revoke this session's tokens everywhere",
        "auth",
        LogoutBody,
        request_required=False,
        status=204,
        auth=True,
        errors=(*BODY_ERRORS, 401, 503),
    ),
)
