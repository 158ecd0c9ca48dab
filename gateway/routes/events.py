"""`/api/v1/scans/{scan_id}/events`: a scan's events as Server-Sent Events, resumable.

The events are `progress`, `classified`, `completed` and `failed`; how they are framed,
resumed with `Last-Event-ID` and refused for another user's scan is `gateway.sse`. A scan
with no event yet is asked of the scan service: unknown, or another user's, is 404 at
once.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contracts.scan.v1 import GetScan, ScanRecord
from gateway.context import Gateway
from gateway.errors import ApiError
from gateway.routing import Operation, Param
from gateway.sse import events_response

RESOURCE = "scan"


async def scan_events(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    scan_id = str(request.path_params["scan_id"])
    not_found = ApiError(404, "not_found", f"no events for scan {scan_id[:64]!r}")
    if not 0 < len(scan_id) <= 64:
        raise not_found

    async def known() -> None:
        # The scan service answers `not_found` (404 here) for another user's scan too.
        query = GetScan(user_id=caller.user_id, scan_id=scan_id)
        await gw.ask(query, ScanRecord, user_id=caller.user_id)

    return await events_response(gw, request, caller, RESOURCE, scan_id, not_found, known=known)


OPERATIONS = (
    Operation(
        "GET",
        "/api/v1/scans/{scan_id}/events",
        scan_events,
        "A scan's events as Server-Sent Events (resume with Last-Event-ID)",
        "scans",
        media="text/event-stream",
        auth=True,
        errors=(400, 401, 404, 429, 503),
        params=(Param("Last-Event-ID", "header", description="the last `id:` received"),),
    ),
)
