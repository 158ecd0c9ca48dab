"""JSON bodies: media type, size, encoding, syntax and fields each get their own 4xx."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.bodies.auth import LoginBody, LogoutBody, RegisterBody
from gateway.bodies.base import Body
from gateway.bodies.parsing import read_json, read_model
from gateway.bodies.scans import ScanBody
from gateway.bodies.users import UpdateMeBody
from gateway.errors import ApiError


def request(body: bytes, content_type: str | None = "application/json", chunks: int = 1) -> Request:
    headers = [] if content_type is None else [(b"content-type", content_type.encode())]
    if chunks == 1:
        headers.append((b"content-length", str(len(body)).encode()))
    size = max(1, len(body) // chunks)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    async def receive() -> dict[str, object]:
        part = parts.pop(0) if parts else b""
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


async def fails(req: Request, status: int, words: str, max_bytes: int = 1024) -> None:
    with pytest.raises(ApiError) as caught:
        await read_model(req, RegisterBody, max_bytes)
    assert caught.value.status == status
    assert words in caught.value.message


GOOD = b'{"email": "a@b.co", "password": "secret password", "nickname": "Kim"}'


async def test_a_good_body_validates() -> None:
    body = await read_model(request(GOOD, "application/json; charset=utf-8"), RegisterBody, 1024)
    assert body.email == "a@b.co"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (GOOD, "text/plain", 415, "application/json"),
        (GOOD, None, 415, "application/json"),
        (b"{", "application/json", 400, "not valid JSON"),
        (b'{"email": "\xc3"}', "application/json", 400, "UTF-8"),
        (b"[" * 100 + b"]" * 100, "application/json", 400, "nested"),
        (b'{"email": ' + b"9" * 5000 + b"}", "application/json", 400, "JSON"),
        (b'{"email": Infinity}', "application/json", 400, "JSON"),
        (b'"text"', "application/json", 422, "body: must be a JSON object"),
        (b'{"email": "a@b.co"}', "application/json", 422, "password: Field required"),
        (b'{"email": "nope", "password": "p", "nickname": "n"}', "application/json", 422, "email:"),
        (b'{"email": 5, "password": "p", "nickname": "n"}', "application/json", 422, "email:"),
        (
            b'{"email": "a@b.co", "password": "p", "nickname": "n", "role": "admin"}',
            "application/json",
            422,
            "role: Extra inputs",
        ),
    ],
)
async def test_bad_bodies(body: bytes, content_type: str | None, status: int, words: str) -> None:
    await fails(request(body, content_type), status, words, max_bytes=10_000)


async def test_declared_and_streamed_sizes_are_both_limited() -> None:
    await fails(request(b" " * 2000), 413, "larger than 1024")
    await fails(request(b" " * 2000, chunks=8), 413, "larger than 1024")


async def test_an_optional_body_may_be_empty() -> None:
    assert await read_json(request(b"", None), LogoutBody, 1024, optional=True) is None
    body = await read_json(request(b'{"refresh_token": "r"}'), LogoutBody, 1024, optional=True)
    assert body is not None
    assert body.refresh_token == "r"


@pytest.mark.parametrize(
    ("model", "field", "body"),
    [
        (
            RegisterBody,
            "nickname",
            b'{"email": "a@b.co", "password": "pw", "nickname": "K\\u0000im"}',
        ),
        (RegisterBody, "email", b'{"email": "a\\u0000@b.co", "password": "pw", "nickname": "Kim"}'),
        (LoginBody, "email", b'{"email": "a\\u0000@b.co", "password": "pw"}'),
        (UpdateMeBody, "nickname", b'{"nickname": "\\u0000"}'),
        (ScanBody, "hint", b'{"image_key": "uploads/u/x.jpg", "hint": "a\\u0000b"}'),
    ],
)
async def test_a_nul_character_is_422_naming_the_field(
    model: type[Body], field: str, body: bytes
) -> None:
    with pytest.raises(ApiError) as caught:
        await read_model(request(body), model, 1024)
    assert caught.value.status == 422
    assert caught.value.message.startswith(f"{field}:")


async def test_text_fields_are_nfkc_normalised() -> None:
    body = b'{"image_key": "uploads/u/x.jpg", "hint": "\\uff42ottle\\nlabel"}'
    scan = await read_model(request(body), ScanBody, 1024)
    assert scan.hint == "bottle\nlabel"
