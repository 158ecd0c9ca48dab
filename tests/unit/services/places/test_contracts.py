"""The places contracts agree with the domain: vocabularies, the cursor, drop-off codes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.places import cursor as cursors
from contracts.places.dropoff import DROP_OFF, drop_off
from contracts.places.v1 import CATEGORIES, ITEMS, Nearby, SearchPlaces
from contracts.scan import taxonomy
from services.places.model import AcceptedItem, StoreCategory


def test_the_contract_vocabularies_are_the_domain_ones_in_order() -> None:
    assert tuple(c.value for c in StoreCategory) == CATEGORIES
    assert tuple(i.value for i in AcceptedItem) == ITEMS


def test_a_cursor_round_trips_exactly_and_garbage_is_refused() -> None:
    for distance, place_id in [(0.0, 1), (12.25, 7), (1234.5678901234567, 2**40)]:
        assert cursors.decode(cursors.encode(distance, place_id)) == (distance, place_id)
    for garbage in ["", "x", "not-a-cursor", cursors.encode(-1.0, 3), "WzEsIjIiXQ", "WzFd"]:
        with pytest.raises(cursors.BadCursor):
            cursors.decode(garbage)
    with pytest.raises(ValidationError, match="cursor"):
        Nearby(lat=37.5, lon=127.0, cursor="not-a-cursor")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"radius": 99}, "radius"),
        ({"radius": 50_001}, "radius"),
        ({"limit": 0}, "limit"),
        ({"category": "cafe,general"}, "allowed: refill_zero"),
        ({"accepts": "can,batteries"}, "allowed: clear_pet"),
    ],
)
def test_bad_fields_are_refused_naming_them(fields: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Nearby.model_validate({"lat": 37.5, "lon": 127.0, **fields})


def test_filters_read_comma_lists_in_vocabulary_order() -> None:
    query = Nearby(lat=37.5, lon=127.0, category="general,cafe_bakery", accepts=["can", "can"])
    assert query.category == ("cafe_bakery", "general")
    assert query.accepts == ("can",)


def test_search_takes_a_point_whole_or_not_at_all() -> None:
    with pytest.raises(ValidationError, match="both lat and lon"):
        SearchPlaces(q="센터", lat=37.5)
    with pytest.raises(ValidationError):
        SearchPlaces(q="   ")


def test_drop_off_codes_name_taxonomy_categories_and_known_items() -> None:
    for (major, middle), codes in DROP_OFF.items():
        assert taxonomy.is_valid(major, middle)
        assert codes
        assert set(codes) <= set(ITEMS)
        assert list(codes) == sorted(codes, key=ITEMS.index)
    assert drop_off("재활용폐기물", "무색페트병") == ("clear_pet",)
    assert drop_off("음식물류폐기물", None) == ()
