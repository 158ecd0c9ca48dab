"""Places through the gateway over real HTTP, with the places service on real PostgreSQL
and Redis: nearby, details, search, the places of a scan (its result naming
`disposal.drop_off`), and every bad input answered 422 naming the field, or 404.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from contracts.places.v1 import CATEGORIES, ITEMS
from contracts.scan.v1 import ScanCompleted
from services.places.importers import Imported, import_file
from services.places.store import upsert
from support.places import WEEKLY_KEYS
from tests.e2e.gateway_system import bearer, gateway_settings, register
from tests.e2e.scan_system import ScanSystem, scan_system
from tests.e2e.test_gateway_scans import assert_error, result, scan_of, submit
from tests.unit.services.places.conftest import shared_file

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SEOUL_CITY_HALL = {"lat": "37.5665", "lon": "126.978"}
SUMMARY_FIELDS = {
    "id",
    "name",
    "address",
    "lat",
    "lon",
    "distance_m",
    "category",
    "accepts",
    "open_now",
    "hours_today",
    "next_change_at",
    "phone",
}


@pytest.fixture
async def system(postgres_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[ScanSystem]:
    settings = gateway_settings(max_image_bytes=64 * 1024, data_dir=tmp_path)
    redis = aioredis.from_url(redis_url)
    extra = (("places", "services.places"),)
    async with scan_system(settings, postgres_url, tmp_path, redis=redis, extra=extra) as built:
        places = [
            r.place
            for r in import_file(shared_file("keco_recycle_compensation_sites.csv")).results
            if isinstance(r, Imported)
        ]
        async with built.db.acquire() as connection:
            await upsert(connection, places)
        await redis.incr("eco2:places:v1:generation")
        yield built


async def get(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_nearby_pages_details_and_search(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        first = await get(client, "/api/v1/places", **SEOUL_CITY_HALL, radius=50_000, limit=5)
        assert len(first["items"]) == 5
        assert first["next_cursor"]
        assert all(set(item) == SUMMARY_FIELDS for item in first["items"])
        distances = [item["distance_m"] for item in first["items"]]
        assert distances == sorted(distances)
        after = await get(
            client,
            "/api/v1/places",
            **SEOUL_CITY_HALL,
            radius=50_000,
            limit=5,
            cursor=first["next_cursor"],
        )
        assert after["items"][0]["distance_m"] >= distances[-1]
        assert not {i["id"] for i in first["items"]} & {i["id"] for i in after["items"]}

        filtered = await get(
            client,
            "/api/v1/places",
            **SEOUL_CITY_HALL,
            radius=50_000,
            accepts="textile,electronics",
            category="general,upcycle_recycle",
            limit=100,
        )
        assert filtered["items"]
        for item in filtered["items"]:
            assert {"textile", "electronics"} & set(item["accepts"])
            assert item["category"] in ("general", "upcycle_recycle")
        open_now = await get(
            client, "/api/v1/places", **SEOUL_CITY_HALL, radius=50_000, open_now="true"
        )
        assert {item["open_now"] for item in open_now["items"]} <= {True}

        place = first["items"][0]
        detail = await get(client, f"/api/v1/places/{place['id']}")
        same = SUMMARY_FIELDS - {"distance_m", "open_now", "hours_today", "next_change_at"}
        assert {k: detail[k] for k in same} == {k: place[k] for k in same}
        assert detail["distance_m"] is None
        assert detail["source"] == "keco"
        assert set(detail["weekly_hours"]) == WEEKLY_KEYS

        found = await get(client, "/api/v1/places/search", q="자원순환가게", **SEOUL_CITY_HALL)
        assert found["items"]
        assert all("자원순환가게" in i["name"] + (i["address"] or "") for i in found["items"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "91", "lon": "127"}, "lat"),
        ({"lat": "north", "lon": "127"}, "lat"),
        ({"lat": "37.5"}, "lon"),
        ({**SEOUL_CITY_HALL, "radius": "99"}, "radius"),
        ({**SEOUL_CITY_HALL, "radius": "50001"}, "radius"),
        ({**SEOUL_CITY_HALL, "limit": "101"}, "limit"),
        ({**SEOUL_CITY_HALL, "category": "cafe"}, "category"),
        ({**SEOUL_CITY_HALL, "accepts": "clear_pet,batteries"}, "accepts"),
        ({**SEOUL_CITY_HALL, "cursor": "garbage"}, "cursor"),
        ({**SEOUL_CITY_HALL, "open_now": "maybe"}, "open_now"),
        ({**SEOUL_CITY_HALL, "colour": "red"}, "colour"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    system: ScanSystem, params: dict[str, str], field: str
) -> None:
    async with system.gateway.client() as client:
        response = await client.get("/api/v1/places", params=params)
    assert_error(response, 422, "invalid_field")
    message = response.json()["error"]["message"]
    assert message.startswith(f"{field}:")
    if field == "category":
        assert ", ".join(CATEGORIES) in message
    if field == "accepts":
        assert ", ".join(ITEMS) in message


async def test_unknown_places_are_404(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        for path in ("/api/v1/places/999999999", "/api/v1/places/abc", "/api/v1/places/0"):
            assert_error(await client.get(path), 404, "not_found")
        assert_error(
            await client.get("/api/v1/places/search", params={"q": ""}), 422, "invalid_field"
        )


async def test_the_places_of_a_scan_take_its_item(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        user = session["user"]["id"]
        accepted = await submit(client, session)
        scan_id = accepted.json()["id"]
        path = f"/api/v1/scans/{scan_id}/places"
        early = await client.get(path, params=SEOUL_CITY_HALL, headers=bearer(session))
        assert_error(early, 409, "conflict")
        await system.gateway_system.publish(
            ScanCompleted(scan_id=scan_id, user_id=user, result=result()), user
        )
        deadline = time.monotonic() + 5
        while (view := await scan_of(client, session, scan_id))["status"] != "completed":
            assert time.monotonic() < deadline, view
            await asyncio.sleep(0.05)
        assert view["result"]["disposal"]["drop_off"] == ["clear_pet"]
        listed = (await client.get("/api/v1/scans", headers=bearer(session))).json()
        assert listed["items"][0]["result"]["disposal"]["drop_off"] == ["clear_pet"]

        params = {**SEOUL_CITY_HALL, "radius": "50000", "limit": "10"}
        page = await client.get(path, params=params, headers=bearer(session))
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        assert len(items) == 10
        assert all("clear_pet" in item["accepts"] for item in items)

        assert_error(await client.get(path, params=params), 401, "unauthorized")
        other = await register(client)
        assert_error(await client.get(path, params=params, headers=bearer(other)), 404, "not_found")
        bad = await client.get(path, params={"lat": "37"}, headers=bearer(session))
        assert_error(bad, 422, "invalid_field")


async def test_the_openapi_document_lists_the_places_routes(system: ScanSystem) -> None:
    async with system.gateway.client() as client:
        paths = (await get(client, "/openapi.json"))["paths"]
    for path in (
        "/api/v1/places",
        "/api/v1/places/search",
        "/api/v1/places/{place_id}",
        "/api/v1/scans/{scan_id}/places",
    ):
        assert "get" in paths[path], path
