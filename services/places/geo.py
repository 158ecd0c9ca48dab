"""Coordinates: read strictly, kept only inside Korea, projected with pyproj when needed.

A coordinate is a plain decimal number or nothing; `37.45255496043788?` or `127.7.23106`
is unreadable, not "almost" a number. A point must lie in Korea (latitude 33–39,
longitude 124–132, the bounds of the mainland, Jeju and the islands the data sets
cover); one outside is refused, never swapped or corrected, since any repair is a guess.
The zero-waste map's own x/y are EPSG:5181 metres times 2.5; `MapProjection` turns them
into WGS84 with pyproj.
"""

from __future__ import annotations

import re
from typing import Literal

from pyproj import Geod, Transformer

LAT_RANGE = (33.0, 39.0)
LON_RANGE = (124.0, 132.0)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")

Problem = Literal[
    "coordinates_missing",
    "coordinates_unreadable",
    "coordinates_outside_korea",
    "coordinates_conflict",
]


class BadCoordinates(ValueError):
    """A row's coordinates cannot be used; `code` says why, the message says what."""

    def __init__(self, code: Problem, message: str) -> None:
        super().__init__(message)
        self.code: Problem = code
        self.message = message


def number(text: str | None, what: str) -> float | None:
    """The decimal number a cell holds, None for an empty cell."""
    cell = (text or "").strip()
    if not cell:
        return None
    if not _NUMBER.fullmatch(cell):
        raise BadCoordinates("coordinates_unreadable", f"{what} {cell!r} is not a number")
    return float(cell)


def korean_point(lat: float | None, lon: float | None) -> tuple[float, float]:
    """(lat, lon) when both are given and lie in Korea."""
    if lat is None or lon is None:
        missing = " and ".join(n for n, v in (("latitude", lat), ("longitude", lon)) if v is None)
        raise BadCoordinates("coordinates_missing", f"no {missing}")
    if in_korea(lat, lon):
        return lat, lon
    hint = " (they look swapped; not corrected)" if in_korea(lon, lat) else ""
    raise BadCoordinates(
        "coordinates_outside_korea",
        f"latitude {lat}, longitude {lon} is outside Korea "
        f"(latitude {LAT_RANGE[0]:g}–{LAT_RANGE[1]:g}, longitude {LON_RANGE[0]:g}–{LON_RANGE[1]:g})"
        + hint,
    )


def point_of(lat_text: str | None, lon_text: str | None) -> tuple[float, float]:
    """(lat, lon) read from two cells, checked as `korean_point` checks them."""
    return korean_point(number(lat_text, "latitude"), number(lon_text, "longitude"))


def in_korea(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


class MapProjection:
    """The map service's x/y (EPSG:5181 metres × 2.5) to WGS84, through pyproj.

    Building one reads PROJ's database (shipped inside the pyproj wheel), so build it
    once per import, not per row and not at import time.
    """

    SCALE = 2.5

    def __init__(self) -> None:
        self._transformer = Transformer.from_crs("EPSG:5181", "EPSG:4326", always_xy=True)
        self._geod = Geod(ellps="WGS84")

    def to_wgs84(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) of a map-service point."""
        lon, lat = self._transformer.transform(x / self.SCALE, y / self.SCALE)
        return float(lat), float(lon)

    def apart_m(self, one: tuple[float, float], other: tuple[float, float]) -> float:
        """The distance in metres between two (lat, lon) points on the WGS84 ellipsoid."""
        _, _, distance = self._geod.inv(one[1], one[0], other[1], other[0])
        return float(distance)
