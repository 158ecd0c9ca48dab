"""Coordinates: strict numbers, Korea only, and the map service's x/y through pyproj."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.places.geo import BadCoordinates, MapProjection, point_of


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        ("", "", "coordinates_missing"),
        ("37.5", "", "coordinates_missing"),
        ("37.45255496043788?", "126.6402626", "coordinates_unreadable"),
        ("36.5525533", "127.7.23106", "coordinates_unreadable"),
        ("5.1571039", "126.9340352", "coordinates_outside_korea"),
        ("27.1273734", "128.2150058", "coordinates_outside_korea"),
        ("126.9", "37.5", "coordinates_outside_korea"),
    ],
)
def test_bad_coordinates_are_refused_not_repaired(lat: str, lon: str, code: str) -> None:
    with pytest.raises(BadCoordinates) as refused:
        point_of(lat, lon)
    assert refused.value.code == code


def test_swapped_coordinates_are_named_but_not_swapped() -> None:
    with pytest.raises(BadCoordinates, match="look swapped"):
        point_of("126.9", "37.5")


def test_good_coordinates() -> None:
    assert point_of(" 37.7025454 ", "126.901133") == (37.7025454, 126.901133)
    assert point_of("33.5", "126.5") == (33.5, 126.5)


def test_the_projection_agrees_with_the_rows_that_have_both(zero_waste_file: Path) -> None:
    projection = MapProjection()
    with zero_waste_file.open(encoding="utf-8", newline="") as f:
        both = [r for r in csv.DictReader(f) if r["lon"] and r["lat"]]
    assert len(both) == 12
    for row in both:
        mapped = projection.to_wgs84(float(row["x"]), float(row["y"]))
        apart = projection.apart_m(mapped, (float(row["lat"]), float(row["lon"])))
        assert apart < 2.0, f"{row['display1']}: {apart:.2f} m apart"
