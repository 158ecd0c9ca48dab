"""Support for the places tests and benchmark: synthetic places, a brute-force nearby, and
a database with schema `places`.

`brute_force` is the reference the SQL must agree with: the haversine distance on
earthdistance's sphere (radius 6,378,168 m, `earth()`), every place checked, sorted by
(distance, id).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.places.hours import DayHours, WeeklySchedule
from services.places.model import AcceptedItem, Place, Source, StoreCategory

EARTH_RADIUS_M = 6_378_168.0
# A box around Seoul and Gyeonggi: dense enough that 50 km holds thousands of places.
BOX: tuple[tuple[float, float], tuple[float, float]] = ((37.2, 37.8), (126.6, 127.4))
ALWAYS = WeeklySchedule.of(tuple(DayHours.open(("00:00", "24:00")) for _ in range(7)))
NEVER = WeeklySchedule.of(tuple(DayHours.closed() for _ in range(7)))
SCHEDULES = (ALWAYS, NEVER, WeeklySchedule())  # open, closed, unknown
WEEKLY_KEYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"}
"""The days a place's `weekly_hours` names."""


def haversine_m(one: tuple[float, float], other: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*one, *other))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Synthetic:
    """A generated place and what the filters see of it."""

    place: Place
    schedule_kind: int  # index into SCHEDULES: 0 open, 1 closed, 2 unknown

    @property
    def point(self) -> tuple[float, float]:
        return self.place.lat, self.place.lon


Box = tuple[tuple[float, float], tuple[float, float]]


def synthetic_places(count: int, seed: int = 13, box: Box = BOX) -> list[Synthetic]:
    rng = random.Random(seed)
    categories = list(StoreCategory)
    items = list(AcceptedItem)
    out = []
    for n in range(count):
        kind = rng.randrange(len(SCHEDULES))
        place = Place(
            source=Source.KECO,
            source_id=f"synthetic-{n}",
            name=f"테스트 거점 {n}",
            address=f"서울특별시 어딘가로 {n}",
            lat=rng.uniform(*box[0]),
            lon=rng.uniform(*box[1]),
            category=rng.choice(categories),
            accepts=tuple(sorted(rng.sample(items, rng.randrange(0, 4)), key=items.index)),
            hours=SCHEDULES[kind],
        )
        out.append(Synthetic(place, kind))
    return out


def brute_force(
    places: Iterable[tuple[int, Synthetic]],
    point: tuple[float, float],
    radius_m: float,
    categories: Sequence[str] = (),
    accepts: Sequence[str] = (),
    open_only: bool = False,
) -> list[tuple[float, int]]:
    """(distance, id) of every matching place within the radius, nearest first."""
    found = []
    for place_id, synthetic in places:
        place = synthetic.place
        if categories and place.category.value not in categories:
            continue
        if accepts and not {a.value for a in place.accepts} & set(accepts):
            continue
        if open_only and synthetic.schedule_kind != 0:
            continue
        distance = haversine_m(point, synthetic.point)
        if distance <= radius_m:
            found.append((distance, place_id))
    return sorted(found)
