"""One error shape for every failure: `{"error": {"code", "message", "request_id"}}`."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bus.ports import UNAVAILABLE, BusError, RemoteError, RequestTimeout, Unavailable

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "rate_limited",
    503: "unavailable",
}

# What an `error.reply` code of a query means over HTTP; the code itself is kept. Every code
# a domain publishes (`contracts/<domain>/errors.py`) is listed (tests/unit/gateway checks);
# any other is the other service's failure, not the client's: 502.
REMOTE_STATUS = {
    "email_taken": 409,
    "invalid_credentials": 401,
    "invalid_refresh_token": 401,
    "refresh_token_expired": 401,
    "refresh_token_reused": 401,
    "weak_password": 422,
    "invalid_email": 422,
    "invalid_nickname": 422,
    "not_found": 404,
    "invalid_cursor": 400,
    "no_character": 422,
    "invalid_user_id": 422,
    "grant_conflict": 409,
    "oauth_disabled": 404,
    "oauth_failed": 400,
    "invalid_redirect_uri": 400,
    "user_deleted": 410,
    "rate_limited": 429,
    "forbidden": 403,
    "reply_in_progress": 409,
    "token_budget_exceeded": 429,
    "scan_not_found": 422,
    "message_too_long": 422,
    "empty_message": 422,
    "invalid_title": 422,
}

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="eco2"'}
# A dependency that is down (the bus, or a service's database or Redis) answers this.
RETRY_LATER = {"Retry-After": "1"}


class ApiError(Exception):
    """Raised by routes for an expected failure with a stable `code`."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def unauthorized(message: str, code: str = "unauthorized") -> ApiError:
    """A 401 with the challenge RFC 6750 asks for."""
    return ApiError(401, code, message, dict(BEARER_CHALLENGE))


def unavailable(what: str) -> ApiError:
    """A 503 with `Retry-After`: the request was fine, a dependency of it is down."""
    message = f"a service needed for this request {what}; try again"
    return ApiError(503, UNAVAILABLE, message, dict(RETRY_LATER))


def from_remote(exc: RemoteError) -> ApiError:
    if exc.code == UNAVAILABLE:  # the service is up, its database or cache is not
        log.warning("a service is unavailable: %s", exc.message)
        return unavailable("is unavailable")
    status = REMOTE_STATUS.get(exc.code)
    if status is None:
        log.warning("unexpected error reply %s: %s", exc.code, exc.message)
        return ApiError(502, "upstream_error", "a service failed to answer this request")
    if status == 401:
        return unauthorized(exc.message, exc.code)
    return ApiError(status, exc.code, exc.message)


def error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "")
    body = {"error": {"code": code, "message": message, "request_id": request_id}}
    return JSONResponse(body, status_code=status, headers=headers)


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc.status, exc.code, exc.message, exc.headers)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(request, exc.status_code, code, exc.detail, headers)


async def on_remote_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RemoteError)
    return await on_api_error(request, from_remote(exc))


async def on_bus_error(request: Request, exc: Exception) -> Response:
    reason = "timed out" if isinstance(exc, RequestTimeout) else "is unreachable"
    log.warning("bus %s on %s %s: %s", reason, request.method, request.url.path, exc)
    return await on_api_error(request, unavailable(reason))


async def on_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("unavailable on %s %s: %s", request.method, request.url.path, exc)
    return await on_api_error(request, unavailable("is unavailable"))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal_error", "internal error")


HANDLERS = {
    ApiError: on_api_error,
    HTTPException: on_http_error,
    RemoteError: on_remote_error,
    BusError: on_bus_error,
    Unavailable: on_unavailable,
    Exception: on_unexpected,
}
