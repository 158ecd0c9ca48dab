"""The zero-waste map sample through the importer: positions, ids, categories."""

from __future__ import annotations

import pytest

from services.places.geo import MapProjection
from services.places.hours import UNKNOWN_WEEK
from services.places.importers import (
    Refused,
    Tally,
    zero_waste_place,
)
from services.places.model import Place, Source
from services.places.model import StoreCategory as C
from tests.unit.services.places.conftest import Run, row_of


def test_counts(zero_waste_run: Run) -> None:
    tally = Tally.of(zero_waste_run.results)
    assert (tally.read, tally.imported, sum(tally.refused.values())) == (20, 20, 0)
    assert [r.line for r in zero_waste_run.results] == list(range(2, 22))


def test_a_row_with_lon_lat_uses_them(zero_waste_run: Run) -> None:
    assert zero_waste_run.places["1317010384"] == Place(
        source=Source.ZERO_WASTE,
        source_id="1317010384",
        name="프릿지",
        address="서울 강동구 성안로 90 1층 102호 (성내동)",
        lat=37.53138753,
        lon=127.1325739,
        category=C.REFILL_ZERO,
        hours=UNKNOWN_WEEK,
    )


def test_a_row_with_only_x_y_is_projected(zero_waste_run: Run) -> None:
    place = zero_waste_run.places["1988691002"]
    assert place.name == "자연상점"
    assert (round(place.lat, 5), round(place.lon, 5)) == (37.60941, 126.93496)


def test_categories_from_names_and_memos(zero_waste_run: Run) -> None:
    assert zero_waste_run.places["982192783"].category == C.LODGING
    assert zero_waste_run.places["1932137287"].category == C.BOOK_WORKSHOP
    assert zero_waste_run.places["17354768"].category == C.BOOK_WORKSHOP
    assert zero_waste_run.places["387986061"].category == C.UPCYCLE_RECYCLE
    assert zero_waste_run.places["27261767"].category == C.UPCYCLE_RECYCLE
    assert zero_waste_run.places["982192783"].notes == ("제로웨이스트 지향 숙소",)
    others = {
        p.category
        for k, p in zero_waste_run.places.items()
        if k not in {"982192783", "1932137287", "17354768", "387986061", "27261767"}
    }
    assert others == {C.REFILL_ZERO}
    assert all(p.accepts == () for p in zero_waste_run.places.values()), "the sample names no item"


SHOP = {"key": "k1", "display1": "가게", "display2": "서울", "x": "", "y": "", "lon": "", "lat": ""}


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ({}, "coordinates_missing"),
        ({"x": "529295"}, "coordinates_missing"),
        ({"lon": "127.1325739"}, "coordinates_missing"),
        ({"lon": "127,13", "lat": "37.53"}, "coordinates_unreadable"),
        ({"lon": "37.53", "lat": "127.13"}, "coordinates_outside_korea"),
        ({"x": "9999999", "y": "1"}, "coordinates_outside_korea"),
        ({"x": "529295", "y": "1119990", "lon": "127.2", "lat": "37.53"}, "coordinates_conflict"),
        ({"key": ""}, "source_id_missing"),
        ({"display1": " "}, "name_missing"),
    ],
)
def test_bad_rows_are_refused(cells: dict[str, str], code: str) -> None:
    result = zero_waste_place(row_of(SHOP, line=3, **cells), MapProjection())
    assert isinstance(result, Refused)
    assert (result.line, result.code) == (3, code)
    assert result.reason
