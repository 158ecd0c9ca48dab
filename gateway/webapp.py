"""The web client's files (`gateway/web/`), served at `/` with cache headers and a strict CSP.

Caching: every file but `index.html` is served under `/assets/<version>/`, where the
version is a digest of all the files, so an asset URL never changes its content and is
cached for a year as immutable; `index.html` names the current version and is served
`no-cache` (revalidated with its ETag), so a new deployment is picked up on the next load.
The JavaScript modules import each other by relative URLs, so they stay inside one version.
An old version's URL is a 404, never another version's bytes.

Routing: the client uses history routing; its pages (`PAGES`) answer `index.html`, and every
other path keeps its JSON 404, `/api/*` included.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.errors import ApiError

WEB_DIR = Path(__file__).parent / "web"
INDEX = "index.html"
VERSION_MARK = "__VERSION__"

# The client's pages (history routes); `gateway/web/js/router.js` has the same table.
PAGES = (
    "/",
    "/signin",
    "/signup",
    "/oauth/callback",
    "/scan",
    "/scans",
    "/scans/{scan_id}",
    "/collection",
    "/places",
    "/chats",
    "/chats/{chat_id}",
)

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}

IMMUTABLE = "public, max-age=31536000, immutable"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


@dataclass(frozen=True)
class Site:
    """The client's files in memory: the page, the assets (path -> media type and bytes),
    and their version."""

    version: str
    index: bytes
    assets: dict[str, tuple[str, bytes]]

    @classmethod
    def load(cls, root: Path = WEB_DIR) -> Site:
        files = {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file() and (path.name == INDEX or path.suffix in MEDIA_TYPES)
        }
        digest = hashlib.sha256()
        for name, body in files.items():
            digest.update(f"{name}\0{len(body)}\0".encode())
            digest.update(body)
        version = digest.hexdigest()[:16]
        index = files.pop(INDEX).replace(VERSION_MARK.encode(), version.encode())
        assets = {name: (MEDIA_TYPES[Path(name).suffix], body) for name, body in files.items()}
        return cls(version, index, assets)


def content_security_policy(host: str | None) -> str:
    """The page's policy: only this origin's files, WebSockets back to this host."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' blob: data:",
            f"connect-src 'self'{sockets}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def routes(site: Site) -> list[BaseRoute]:
    etag = f'"{site.version}"'

    async def page(request: Request) -> Response:
        headers = {
            "Cache-Control": "no-cache",
            "ETag": etag,
            "Content-Security-Policy": content_security_policy(request.headers.get("host")),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(site.index, media_type="text/html; charset=utf-8", headers=headers)

    async def asset(request: Request) -> Response:
        found = site.assets.get(request.path_params["path"])
        if request.path_params["version"] != site.version or found is None:
            raise ApiError(404, "not_found", "no such file in this version of the web app")
        media_type, body = found
        headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
        return Response(body, media_type=media_type, headers=headers)

    return [
        *(Route(path, page, methods=["GET"]) for path in PAGES),
        Route("/assets/{version}/{path:path}", asset, methods=["GET"]),
    ]
