"""`/api/v1/places…` and `/api/v1/scans/{id}/places`: collection points near a point.

Public reads, each one query to the places service; the answers are its contract models.
Every query field is checked by the contract model before anything is asked (a bad
latitude, radius, category, item or cursor is a 422 naming the field, with the allowed
values), an unknown place is a 404. The scan route reads the caller's scan first (their
own scans only), then asks for the places that take its category's items.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts.places.v1 import (
    CATEGORIES,
    ITEMS,
    ForScan,
    GetPlace,
    Nearby,
    PlaceDetail,
    PlaceFound,
    PlacePage,
    SearchPlaces,
)
from contracts.scan.v1 import GetScan, ScanRecord
from gateway.bodies.parsing import validate
from gateway.context import Gateway
from gateway.errors import ApiError
from gateway.routing import Operation, Param

BASE = "/api/v1/places"
_AREA = ("lat", "lon", "radius", "limit", "cursor")


def _fields(request: Request, names: tuple[str, ...]) -> dict[str, Any]:
    params = request.query_params
    unknown = sorted(set(params) - set(names))
    if unknown:
        allowed = ", ".join(names)
        raise ApiError(
            422, "invalid_field", f"{unknown[0]}: not a parameter here (allowed: {allowed})"
        )
    return {name: params[name] for name in names if name in params}


def _page(page: PlacePage) -> Response:
    return JSONResponse(page.model_dump(mode="json"))


async def nearby(request: Request) -> Response:
    fields = _fields(request, (*_AREA, "category", "accepts", "open_now"))
    page = await Gateway.of(request).ask(validate(Nearby, fields), PlacePage)
    return _page(page)


async def search(request: Request) -> Response:
    fields = _fields(request, ("q", "lat", "lon", "limit"))
    page = await Gateway.of(request).ask(validate(SearchPlaces, fields), PlacePage)
    return _page(page)


async def get_place(request: Request) -> Response:
    raw = str(request.path_params["place_id"])
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise ApiError(404, "not_found", f"no place {raw[:40]}")
    found = await Gateway.of(request).ask(GetPlace(place_id=int(raw)), PlaceFound)
    return JSONResponse(found.place.model_dump(mode="json"))


async def for_scan(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    fields = _fields(request, _AREA)
    scan_id = str(request.path_params["scan_id"])
    if not 0 < len(scan_id) <= 64:
        raise ApiError(404, "not_found", "no such scan")
    # Check the query before asking anything, so a bad field is a 422 whatever the scan.
    validate(ForScan, {**fields, "major": "-"})
    scan = (await gw.ask(GetScan(user_id=caller.user_id, scan_id=scan_id), ScanRecord)).scan
    if scan.result is None:
        raise ApiError(409, "conflict", f"scan {scan.id} is {scan.status}; it has no item yet")
    classification = scan.result.classification
    query = validate(
        ForScan, {**fields, "major": classification.major, "middle": classification.middle}
    )
    return _page(await gw.ask(query, PlacePage, user_id=caller.user_id))


_POINT = (
    Param("lat", required=True, description="latitude, -90 to 90"),
    Param("lon", required=True, description="longitude, -180 to 180"),
    Param("radius", description="metres, 100 to 50,000 (default 2,000)"),
    Param("limit", description="1 to 100 (default 20)"),
    Param("cursor", description="the previous page's `next_cursor`"),
)


OPERATIONS = (
    Operation(
        "GET",
        BASE,
        nearby,
        "Collection points within a radius of a point, nearest first",
        "places",
        response=PlacePage,
        errors=(422, 503),
        params=(
            *_POINT,
            Param("category", description="comma list of: " + ", ".join(CATEGORIES)),
            Param("accepts", description="comma list of: " + ", ".join(ITEMS)),
            Param("open_now", description="true: only places open now (Asia/Seoul)"),
        ),
    ),
    Operation(
        "GET",
        f"{BASE}/search",
        search,
        "Places whose name or address matches a text, nearest first with a point",
        "places",
        response=PlacePage,
        errors=(422, 503),
        params=(
            Param("q", required=True, description="1 to 100 characters"),
            Param("lat", description="with lon: order by distance from this point"),
            Param("lon", description="with lat"),
            Param("limit", description="1 to 100 (default 20)"),
        ),
    ),
    Operation(
        "GET",
        BASE + "/{place_id}",
        get_place,
        "One place with its weekly hours, notes and source",
        "places",
        response=PlaceDetail,
        errors=(404, 503),
    ),
    Operation(
        "GET",
        "/api/v1/scans/{scan_id}/places",
        for_scan,
        "The nearest places that take the item of one of the caller's scans",
        "places",
        response=PlacePage,
        auth=True,
        errors=(401, 404, 409, 422, 503),
        params=_POINT,
    ),
)
