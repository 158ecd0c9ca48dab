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
    """The tokens of a session; never kept by a cache on the way."""
    body = TokensOut.of(session).model_dump(mode="json")
    return JSONResponse(
        body, status_code=status, headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


def client_address(request: Request) -> str:
    """The caller's address: the TCP peer's, or what a trusted proxy forwarded (uvicorn,
    `ECO2_TRUSTED_PROXIES`)."""
    return request.client.host if request.client else "unknown"


async def register(request: Request) -> Response:
    gw = Gateway.of(request)
    body = await read_model(request, RegisterBody, gw.limits.max_body_bytes)
    await gw.registrations.reserve(client_address(request))
    session = await gw.ask(Register(**body.model_dump()), Session)
    return tokens(session, 201)


async def login(request: Request) -> Response:
    gw = Gateway.of(request)
    body = await read_model(request, LoginBody, gw.limits.max_body_bytes)
    client = client_address(request)
    # Reserved before the password is checked: concurrent guesses cannot outrun the limit.
    reservation = await gw.limiter.reserve(body.email, client)
    try:
        session = await gw.ask(Login(**body.model_dump()), Session)
    except RemoteError as exc:
        if exc.code != "invalid_credentials":
            await reservation.release()  # not a guess at the password
        raise
    await gw.limiter.succeeded(reservation, body.email, client)
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
        errors=(*BODY_ERRORS, 409, 429, 503),
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
