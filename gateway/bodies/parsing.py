"""Reading request bodies: media type, size limit (declared and streamed), UTF-8, JSON, model.

Every way a body can be wrong ends as an `ApiError` with a message naming the problem:
415 wrong media type, 413 too large, 400 not UTF-8 JSON, 422 a field that does not fit.
A multipart form is read under the same size limit (`read_form`); query parameters are
validated as a contract model with `validate`.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from gateway.errors import ApiError

M = TypeVar("M", bound=BaseModel)

# Far deeper than any request model; stops a pathological document early.
MAX_DEPTH = 32


async def read_json(
    request: Request, model: type[M], max_bytes: int, *, optional: bool = False
) -> M | None:
    """The body validated as `model`; None only when `optional` and the body is empty."""
    raw = await read_limited(request, max_bytes)
    if not raw.strip() and optional:
        return None
    if not is_json(request.headers.get("content-type")):
        raise ApiError(415, "unsupported_media_type", "the body must be application/json")
    return validate(model, parse(raw))


async def read_model(request: Request, model: type[M], max_bytes: int) -> M:
    body = await read_json(request, model, max_bytes)
    assert body is not None
    return body


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_limited(request: Request, max_bytes: int) -> bytes:
    """The whole body, refusing more than `max_bytes` whether declared or streamed."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit() or len(declared) > 18:
            raise ApiError(400, "bad_request", "the Content-Length header is not a number")
        if int(declared) > max_bytes:
            raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "bad_request", "the client went away while sending the body") from None
    return b"".join(chunks)


async def read_form(
    request: Request, max_bytes: int, *, max_files: int, max_fields: int, max_part_size: int
) -> FormData:
    """The multipart form, at most `max_bytes` in all; the caller closes it."""
    raw = await read_limited(request, max_bytes)

    async def replay() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    return await Request(request.scope, replay).form(
        max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
    )


def parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "bad_request", f"the body is not valid UTF-8 (byte {exc.start})"
        ) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ApiError(400, "bad_request", "the body is nested too deeply") from None
    except json.JSONDecodeError as exc:
        message = f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise ApiError(400, "bad_request", message) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ApiError(400, "bad_request", f"the body is not valid JSON: {exc}") from None
    if _depth(data) > MAX_DEPTH:
        raise ApiError(400, "bad_request", "the body is nested too deeply")
    return data


def validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_field", "body: must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_field", describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """`field: what is wrong`, for the first problem (and how many more there are)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    message = f"{where}: {first['msg']}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return message


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the body is larger than {max_bytes} bytes")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth(data: Any, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(data, dict):
        return max((_depth(v, level + 1) for v in data.values()), default=level)
    if isinstance(data, list):
        return max((_depth(v, level + 1) for v in data), default=level)
    return level
