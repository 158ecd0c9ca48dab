"""The KECO open-data API (`rtrvlCmpnPositnService/getCmpnPositnInfo`), page by page.

`fetch_keco_rows` asks for pages (`pageNo`, `numOfRows`, `serviceKey`, `returnType=json`)
and yields each item as a `SourceRow` with the API's field names as columns, the same
rows the CSV reader gives, so `keco.keco_places` normalises both alike; a row's `line` is
its 1-based position in the API's order. It stops after `totalCount` rows, or at an empty
or short page when the answer has no count.

Answers come in two envelopes, both accepted: the KECO one, `{"header", "body": {"items":
[...], "totalCount"}}`, and data.go.kr's common one, `{"response": {"header", "body":
{"items": {"item": [...]}, "totalCount"}}}` (where one item may come as an object).
429, 5xx and connection errors are retried with exponential backoff (tenacity);
a refused service key (401/403, a non-`00` result code, or the gateway's XML error with
its `returnAuthMsg`) and any other error answer raise `KecoApiError` at once. An encoded
key (as data.go.kr hands them out, `%2F`…) is decoded first so it is not encoded twice.
The key never appears in an error message.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from services.places.importers.errors import KecoApiError
from services.places.importers.results import SourceRow

DEFAULT_BASE_URL = (
    "https://apis.data.go.kr/B552584/kecoapi/rtrvlCmpnPositnService/getCmpnPositnInfo"
)
"""The operation's public URL, for the setting's default."""

Progress = Callable[[int, int | None], None]
"""Called after each page with (pages done, pages in all once the total is known)."""

_OK = {"00", "0", "000", "INFO-000", "NORMAL_SERVICE"}
_XML_FIELD = re.compile(r"<(returnAuthMsg|errMsg|returnReasonCode|resultMsg|resultCode)>([^<]*)<")


class _Transient(Exception):
    """A page answer worth asking again for."""


@dataclass(frozen=True)
class KecoApi:
    """Where and how to ask: the operation's full URL (`DEFAULT_BASE_URL` unless a setting
    says otherwise), the service key, the page size, and `attempts` tries per page
    waiting `backoff`, 2×`backoff`, 4×… seconds between them."""

    base_url: str
    service_key: str = field(repr=False)
    rows_per_page: int = 100
    attempts: int = 5
    backoff: float = 1.0


async def fetch_keco_rows(
    client: httpx.AsyncClient, api: KecoApi, progress: Progress | None = None
) -> AsyncIterator[SourceRow]:
    """Every row of the API, page by page."""
    key = unquote(api.service_key) if "%" in api.service_key else api.service_key
    seen = 0
    page = 1
    while True:
        params: dict[str, str | int] = {
            "serviceKey": key,
            "pageNo": page,
            "numOfRows": api.rows_per_page,
            "returnType": "json",
        }
        items, total = _contents(await _page(client, api, params), page)
        for offset, item in enumerate(items, start=1):
            yield SourceRow(line=seen + offset, fields=_cells(item))
        seen += len(items)
        pages = math.ceil(total / api.rows_per_page) if total is not None else None
        if progress is not None:
            progress(page, pages)
        done = seen >= total if total is not None else len(items) < api.rows_per_page
        if not items or done or (pages is not None and page >= pages):
            return
        page += 1


async def _page(client: httpx.AsyncClient, api: KecoApi, params: Mapping[str, str | int]) -> Any:
    retrying = AsyncRetrying(
        stop=stop_after_attempt(api.attempts),
        wait=wait_exponential(multiplier=api.backoff, max=api.backoff * 16),
        retry=retry_if_exception_type(_Transient),
        reraise=True,
    )
    try:
        return await retrying(_fetch, client, api.base_url, params)
    except _Transient as failure:
        raise KecoApiError(
            f"page {params['pageNo']} failed {api.attempts} time(s), last: {failure}"
        ) from None


async def _fetch(client: httpx.AsyncClient, url: str, params: Mapping[str, str | int]) -> Any:
    try:
        response = await client.get(url, params=params)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise KecoApiError("the KECO API base URL is not a valid http(s) URL") from None
    except httpx.TransportError as error:
        raise _Transient(type(error).__name__ + (f" ({error})" if str(error) else "")) from None
    return _answer(response, int(params["pageNo"]))


def _answer(response: httpx.Response, page: int) -> Any:
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Transient(f"HTTP {status}")
    if status in (401, 403):
        raise KecoApiError(
            f"the KECO API refused the service key (HTTP {status}{_xml_reason(response.text)})"
        )
    if status >= 400:
        raise KecoApiError(f"the KECO API answered HTTP {status} for page {page}")
    try:
        return response.json()
    except ValueError:
        reason = _xml_reason(response.text)
        if reason:
            what = "the service key" if "KEY" in reason.upper() else "the request"
            raise KecoApiError(f"the KECO API refused {what}{reason}") from None
        raise KecoApiError(f"the KECO API answered page {page} with something not JSON") from None


def _xml_reason(text: str) -> str:
    """`: SERVICE_KEY_IS_NOT_REGISTERED_ERROR (30)` from the gateway's XML error, or ''."""
    found = {m[1]: m[2] for m in _XML_FIELD.finditer(text[:4000])}
    message = found.get("returnAuthMsg") or found.get("errMsg") or found.get("resultMsg")
    code = found.get("returnReasonCode") or found.get("resultCode")
    if not message:
        return ""
    return f": {message.strip()}" + (f" ({code.strip()})" if code else "")


def _contents(answer: Any, page: int) -> tuple[list[Mapping[str, Any]], int | None]:
    """The items and total count of a page in either envelope."""
    root = answer.get("response", answer) if isinstance(answer, dict) else None
    if not isinstance(root, dict):
        raise KecoApiError(f"page {page} is not a KECO API answer")
    header = root.get("header")
    if isinstance(header, dict):
        code = str(header.get("resultCode", "00")).strip()
        if code not in _OK:
            message = str(header.get("resultMsg", "")).strip()
            raise KecoApiError(f"the KECO API answered page {page} with error {code}: {message}")
    body = root.get("body")
    if not isinstance(body, dict):
        raise KecoApiError(f"page {page} has no body")
    items = body.get("items")
    if isinstance(items, dict):
        items = items.get("item")
    if isinstance(items, dict):
        items = [items]
    if items in (None, ""):
        items = []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise KecoApiError(f"page {page} has items that are not a list of records")
    total = body.get("totalCount")
    try:
        count = int(total) if total not in (None, "") else None
    except (TypeError, ValueError):
        raise KecoApiError(f"page {page} has a totalCount that is not a number") from None
    return items, count


def _cells(item: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in item.items()}
