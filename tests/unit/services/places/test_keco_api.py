"""The KECO open-data API fetcher against a local fake that serves the shared file as pages."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.places.importers import KecoApiError, Refused, SourceRow, Tally, keco_places
from services.places.importers.files import table
from services.places.importers.keco_api import KecoApi, fetch_keco_rows
from support.servers import serve_fake

KEY = "a+b/c=="
ENCODED_KEY = "a%2Bb%2Fc%3D%3D"
REFUSED_KEY = (
    "<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>"
    "<returnAuthMsg>SERVICE_KEY_IS_NOT_REGISTERED_ERROR</returnAuthMsg>"
    "<returnReasonCode>30</returnReasonCode></cmmMsgHeader></OpenAPI_ServiceResponse>"
)


@dataclass
class FakeKeco:
    """GET /getCmpnPositnInfo: the rows as pages, answering like the real gateway."""

    rows: list[dict[str, str]]
    envelope: Literal["keco", "common"] = "keco"
    refuse: Literal["xml", "401"] = "xml"
    fail: dict[int, list[int]] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    base: str = ""

    async def page(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.requests.append(params)
        if params.get("serviceKey") != KEY:
            if self.refuse == "401":
                return PlainTextResponse("Unauthorized", status_code=401)
            return Response(REFUSED_KEY, media_type="text/xml")
        number, size = int(params["pageNo"]), int(params["numOfRows"])
        failures = self.fail.get(number, [])
        if failures:
            return PlainTextResponse("busy", status_code=failures.pop(0))
        items: list[dict[str, Any]] = self.rows[(number - 1) * size : number * size]
        header = {"resultCode": "00", "resultMsg": "NORMAL_SERVICE"}
        counts = {"totalCount": len(self.rows), "pageNo": number, "numOfRows": size}
        if self.envelope == "common":
            body = {"items": {"item": items}, **counts}
            return JSONResponse({"response": {"header": header, "body": body}})
        return JSONResponse({"header": header, "body": {"items": items, **counts}})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/getCmpnPositnInfo", self.page)])


@pytest.fixture(scope="module")
def file_rows(keco_file: Path) -> list[SourceRow]:
    records = table(keco_file.read_text(encoding="utf-8")).records
    return [r for r in records if isinstance(r, SourceRow)]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


async def fetch(
    fake: FakeKeco,
    client: httpx.AsyncClient,
    key: str = KEY,
    progress: list[tuple[int, int | None]] | None = None,
) -> list[SourceRow]:
    seen = progress if progress is not None else []
    api = KecoApi(f"{fake.base}/getCmpnPositnInfo", key, rows_per_page=50, attempts=3, backoff=0.01)
    rows = fetch_keco_rows(client, api, lambda done, total: seen.append((done, total)))
    return [row async for row in rows]


@pytest.mark.parametrize("envelope", ["keco", "common"])
async def test_every_row_of_the_file_page_by_page(
    envelope: Literal["keco", "common"], file_rows: list[SourceRow], client: httpx.AsyncClient
) -> None:
    fake = FakeKeco(rows=[dict(r.fields) for r in file_rows], envelope=envelope, fail={2: [503]})
    progress: list[tuple[int, int | None]] = []
    async with serve_fake(fake):
        fetched = await fetch(fake, client, ENCODED_KEY, progress)
    assert [dict(r.fields) for r in fetched] == [dict(r.fields) for r in file_rows]
    assert [r.line for r in fetched] == list(range(1, len(file_rows) + 1))
    pages = math.ceil(len(file_rows) / 50)
    assert progress == [(n, pages) for n in range(1, pages + 1)]
    asked = [int(r["pageNo"]) for r in fake.requests]
    assert asked == [1, 2, 2, *range(3, pages + 1)], "the 503 on page 2 was asked again"
    assert {r["serviceKey"] for r in fake.requests} == {KEY}, "an encoded key is not encoded twice"
    assert {r["returnType"] for r in fake.requests} == {"json"}
    tally = Tally.of(keco_places(fetched))
    assert (tally.read, tally.imported, sum(tally.refused.values())) == (409, 395, 14)


@pytest.mark.parametrize(
    ("refuse", "message"),
    [
        ("xml", r"refused the service key: SERVICE_KEY_IS_NOT_REGISTERED_ERROR \(30\)"),
        ("401", r"refused the service key \(HTTP 401\)"),
    ],
)
async def test_a_bad_service_key_is_a_clear_error(
    refuse: Literal["xml", "401"], message: str, client: httpx.AsyncClient
) -> None:
    fake = FakeKeco(rows=[], refuse=refuse)
    async with serve_fake(fake):
        with pytest.raises(KecoApiError, match=message) as error:
            await fetch(fake, client, "wrong-key")
    assert "wrong-key" not in str(error.value)
    assert len(fake.requests) == 1, "a refused key is not retried"


async def test_a_page_that_keeps_failing_is_an_error_after_the_retries(
    client: httpx.AsyncClient,
) -> None:
    fake = FakeKeco(rows=[{"positnSn": "1"}] * 60, fail={2: [503, 429, 502]})
    async with serve_fake(fake):
        with pytest.raises(KecoApiError, match="page 2 failed 3 time"):
            await fetch(fake, client)
    assert [int(r["pageNo"]) for r in fake.requests] == [1, 2, 2, 2]


async def test_a_server_that_is_not_there(client: httpx.AsyncClient) -> None:
    fake = FakeKeco(rows=[])
    async with serve_fake(fake):
        base = fake.base
    fake.base = base  # the port is free again: nothing listens there now
    with pytest.raises(KecoApiError, match=r"page 1 failed 3 time.*ConnectError"):
        await fetch(fake, client)


async def test_an_error_result_code_is_an_error(client: httpx.AsyncClient) -> None:
    async def quota(_request: Request) -> Response:
        header = {
            "resultCode": "22",
            "resultMsg": "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR",
        }
        return JSONResponse({"response": {"header": header}})

    @dataclass
    class Quota:
        base: str = ""

        def app(self) -> Starlette:
            return Starlette(routes=[Route("/getCmpnPositnInfo", quota)])

    async with serve_fake(Quota()) as fake:
        rows = fetch_keco_rows(client, KecoApi(f"{fake.base}/getCmpnPositnInfo", KEY, backoff=0.01))
        with pytest.raises(KecoApiError, match="error 22: LIMITED_NUMBER"):
            [row async for row in rows]


def test_refused_rows_of_the_api_name_their_position() -> None:
    (refused,) = keco_places([SourceRow(line=12, fields={"positnSn": "7", "positnNm": "거점"})])
    assert isinstance(refused, Refused)
    assert (refused.line, refused.code) == (12, "coordinates_missing")
