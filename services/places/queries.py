"""The places queries: pages of nearby places with their open-now status, one place, text
search, and the places that take a scanned item.

The point is rounded to 5 decimals (about a metre) before anything else, so requests from
the same spot share one cache entry and one answer. Pages without `open_now` come from the
Redis cache when they can (the stored rows, not the statuses); open-now is evaluated on
every answer, in Asia/Seoul at the request's instant, with `hours.status_at`. With
`open_now`, rows are read in batches from the keyset and kept when open until the page is
full, so the filter applies before the limit like the ones in SQL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import TypeAdapter, ValidationError

from contracts.places import cursor as cursors
from contracts.places.dropoff import drop_off
from contracts.places.v1 import (
    ForScan,
    GetPlace,
    Nearby,
    PlaceDetail,
    PlaceFound,
    PlacePage,
    PlaceSummary,
    SearchPlaces,
)
from services.places.cache import Cache
from services.places.errors import not_found
from services.places.hours import HolidayCalendar, OpenStatus, WeeklySchedule, status_at
from services.places.hours.model import WEEKDAYS
from services.places.store import Row, Store

log = logging.getLogger(__name__)

ROWS = TypeAdapter(list[Row])
PRECISION = 5
_BATCH = 64


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Reader:
    store: Store
    cache: Cache
    calendar: HolidayCalendar
    clock: Callable[[], datetime] = now
    _schedules: dict[str, WeeklySchedule] = field(default_factory=dict, repr=False)
    _statuses: dict[tuple[str, datetime], OpenStatus] = field(default_factory=dict, repr=False)

    async def nearby(self, query: Nearby) -> PlacePage:
        return await self._page(query, query.category, query.accepts, query.open_now)

    async def for_scan(self, query: ForScan) -> PlacePage:
        accepts = drop_off(query.major, query.middle)
        if not accepts:
            return PlacePage(items=())
        return await self._page(query, (), accepts, False)

    async def get(self, query: GetPlace) -> PlaceFound:
        row = await self.store.get(query.place_id)
        if row is None:
            raise not_found(query.place_id)
        return PlaceFound(place=self.detail(row, query.at or self.clock()))

    async def search(self, query: SearchPlaces) -> PlacePage:
        point = None
        if query.lat is not None and query.lon is not None:
            point = (round(query.lat, PRECISION), round(query.lon, PRECISION))
        rows = await self.store.search(query.q, point, query.limit)
        instant = query.at or self.clock()
        return PlacePage(items=tuple(self.summary(r, self.status(r, instant)) for r in rows))

    async def _page(
        self,
        query: Nearby | ForScan,
        categories: Sequence[str],
        accepts: Sequence[str],
        open_now: bool,
    ) -> PlacePage:
        point = (round(query.lat, PRECISION), round(query.lon, PRECISION))
        after = cursors.decode(query.cursor) if query.cursor else None
        instant = query.at or self.clock()
        wanted = query.limit + 1
        page: list[tuple[Row, OpenStatus]] = []
        if not open_now:
            rows = await self._rows(point, query.radius, categories, accepts, after, wanted)
            page = [(row, self.status(row, instant)) for row in rows]
        else:
            while len(page) < wanted:
                rows = await self.store.nearby(
                    point, query.radius, categories, accepts, after, _BATCH
                )
                for row in rows:
                    status = self.status(row, instant)
                    if status.open is True and len(page) < wanted:
                        page.append((row, status))
                if len(rows) < _BATCH:
                    break
                after = (_distance(rows[-1]), rows[-1].id)
        more = len(page) > query.limit
        page = page[: query.limit]
        next_cursor = None
        if more:
            last = page[-1][0]
            next_cursor = cursors.encode(_distance(last), last.id)
        return PlacePage(
            items=tuple(self.summary(row, status) for row, status in page),
            next_cursor=next_cursor,
        )

    async def _rows(
        self,
        point: tuple[float, float],
        radius: int,
        categories: Sequence[str],
        accepts: Sequence[str],
        after: tuple[float, int] | None,
        limit: int,
    ) -> list[Row]:
        """The stored rows of a page, through the cache."""
        parts = json.dumps([*point, radius, categories, accepts, after, limit])
        key = await self.cache.key(parts)
        if key is not None:
            cached = await self.cache.get(key)
            if cached is not None:
                try:
                    return ROWS.validate_json(cached)
                except ValidationError:
                    log.warning("places cache: %s holds an unreadable value, replacing it", key)
        rows = await self.store.nearby(point, radius, categories, accepts, after, limit)
        if key is not None:
            await self.cache.put(key, ROWS.dump_json(rows).decode())
        return rows

    def schedule(self, row: Row) -> WeeklySchedule:
        found = self._schedules.get(row.hours)
        if found is None:
            found = WeeklySchedule.model_validate_json(row.hours)
            if len(self._schedules) > 10_000:
                self._schedules.clear()
            self._schedules[row.hours] = found
        return found

    def status(self, row: Row, instant: datetime) -> OpenStatus:
        """The row's status at `instant`, remembered per schedule and minute: hours are
        whole minutes, so nothing changes within one (and evaluating one costs ms)."""
        key = (row.hours, instant.replace(second=0, microsecond=0))
        found = self._statuses.get(key)
        if found is None:
            found = status_at(self.schedule(row), instant, self.calendar)
            if len(self._statuses) > 10_000:
                self._statuses.clear()
            self._statuses[key] = found
        return found

    def summary(self, row: Row, status: OpenStatus) -> PlaceSummary:
        return PlaceSummary.model_validate(
            {
                "id": row.id,
                "name": row.name,
                "address": row.address,
                "lat": row.lat,
                "lon": row.lon,
                "distance_m": row.distance_m,
                "category": row.category,
                "accepts": row.accepts,
                "open_now": status.open,
                "hours_today": status.hours_today,
                "next_change_at": status.next_change_at,
                "phone": row.phone,
            }
        )

    def detail(self, row: Row, instant: datetime) -> PlaceDetail:
        schedule = self.schedule(row)
        weekly = {day: hours.text() for day, hours in zip(WEEKDAYS, schedule.days, strict=True)}
        weekly["holiday"] = schedule.holiday.text()
        summary = self.summary(row, self.status(row, instant))
        return PlaceDetail(
            **summary.model_dump(),
            alt_address=row.alt_address,
            phones=row.phones,
            items=row.items,
            weekly_hours=weekly,
            schedule=json.loads(row.hours),
            notes=row.notes,
            url=row.url,
            source=row.source,
            source_id=row.source_id,
            updated_at=row.updated_at,
        )


def _distance(row: Row) -> float:
    assert row.distance_m is not None, "nearby rows carry their distance"
    return row.distance_m
