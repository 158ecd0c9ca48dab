"""The web client as the gateway serves it: pages, versioned assets, cache headers, the CSP.

Over the ASGI app itself (no server): what a browser is sent for each kind of path.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import gateway
from gateway import webapp
from gateway.app import build
from gateway.errors import _CODES, REMOTE_STATUS
from tests.unit.gateway.test_documents import deps

ASSET = re.compile(r'(?:src|href)="(/assets/[^"]+)"')
IMPORT = re.compile(r'^\s*(?:import|export)\b[^"\n]*?from\s+"(\.[^"]+)"', re.MULTILINE)
EXTERNAL = re.compile(r"\b(?:https?|wss?):\/\/")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # a name, never fetched
RAISED = re.compile(r'(?:ApiError\(\s*\d+,|unauthorized\([^\n]*?,)\s*"([a-z_]+)"')
# The codes a failed scan carries (the storage and AI workers' `Reject` reasons).
SCAN_FAILURES = ("invalid_image", "image_not_found", "bad_model_output", "processing_failed")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app, _ = build(deps())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as made:
        yield made


def policy(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


async def test_the_page_is_revalidated_and_locked_down(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert policy(page.headers["content-security-policy"]) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' blob: data:",
        "connect-src": "'self' ws://app.test wss://app.test",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    html = page.text
    assert webapp.VERSION_MARK not in html
    # Nothing inline for the policy to refuse, and nothing from another site.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html
    assert "<style" not in html
    assert not EXTERNAL.search(html.replace(SVG_NAMESPACE, ""))

    again = await client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_every_asset_the_page_and_its_modules_name_is_served_immutable(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/")).text
    pending = ASSET.findall(html)
    assert any(path.endswith("/js/main.js") for path in pending)
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["x-content-type-options"] == "nosniff"
        if path.endswith(".js"):
            assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
            assert not EXTERNAL.search(answer.text.replace(SVG_NAMESPACE, "")), path
            base = path.rsplit("/", 1)[0]
            for relative in IMPORT.findall(answer.text):
                pending.append(posixpath.normpath(posixpath.join(base, relative)))
    served = {path.split("/", 3)[3] for path in seen}
    assert {"js/router.js", "js/views/scan.js", "js/views/chatthread.js", "app.css"} <= served


async def test_an_asset_of_another_version_or_unknown_is_a_json_404(
    client: httpx.AsyncClient,
) -> None:
    version = webapp.Site.load().version
    for path in (f"/assets/{'0' * 16}/js/main.js", f"/assets/{version}/js/nothing.js"):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found"
    assert (await client.get(f"/assets/{version}/index.html")).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/signin", "/scan", "/scans/0d9c7a0e-1", "/collection", "/chats/abc", "/oauth/callback"],
)
async def test_the_apps_pages_answer_the_page(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 200
    assert '<main id="view"' in answer.text


@pytest.mark.parametrize("path", ["/nowhere", "/scans/a/b", "/api/v1/nothing", "/api/nothing"])
async def test_other_paths_keep_their_json_404(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_the_version_follows_the_content(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text('<script src="/assets/__VERSION__/js/a.js"></script>')
    (tmp_path / "js" / "a.js").write_text("export const a = 1;\n")
    (tmp_path / "notes.txt").write_text("not served")
    first = webapp.Site.load(tmp_path)
    assert set(first.assets) == {"js/a.js"}
    assert first.index == f'<script src="/assets/{first.version}/js/a.js"></script>'.encode()
    (tmp_path / "js" / "a.js").write_text("export const a = 2;\n")
    assert webapp.Site.load(tmp_path).version != first.version


def test_a_bad_host_header_stays_out_of_the_policy() -> None:
    assert "ws:" not in webapp.content_security_policy("evil.test; script-src *")
    assert "ws://[::1]:8000" in webapp.content_security_policy("[::1]:8000")


def test_every_error_code_has_words_in_both_languages() -> None:
    strings = json.loads((webapp.WEB_DIR / "strings.json").read_text())
    assert set(strings["ko"]) == set(strings["en"])
    sources = [path.read_text() for path in Path(gateway.__file__).parent.rglob("*.py")]
    raised = {code for text in sources for code in RAISED.findall(text)}
    codes = {*REMOTE_STATUS, *_CODES.values(), *raised, *SCAN_FAILURES}
    assert "invalid_token" in codes
    missing = sorted(code for code in codes if f"error.{code}" not in strings["ko"])
    assert missing == []
