"""Which middle category earns which character, and the user-id rule."""

from __future__ import annotations

import uuid

import pytest

from contracts.scan.taxonomy import CATEGORIES, RECYCLABLES, UNCLASSIFIED, middles
from services.character.domain import for_middle, parse_user_id
from services.character.errors import CharacterError


@pytest.mark.parametrize("middle", sorted(middles(RECYCLABLES)))
def test_every_recyclable_middle_earns_its_character(middle: str) -> None:
    assert for_middle(middle).middle == middle


def test_a_clear_pet_bottle_earns_peti() -> None:
    assert for_middle("무색페트병").code == "peti"


@pytest.mark.parametrize(
    "middle",
    [UNCLASSIFIED, "음식물류폐기물", RECYCLABLES, "", "paper", "무색 페트병"]
    + [m for major in CATEGORIES if major != RECYCLABLES for m in middles(major)],
)
def test_other_middles_earn_nothing(middle: str) -> None:
    with pytest.raises(CharacterError) as info:
        for_middle(middle)
    assert info.value.code == "no_character"


def test_user_ids_are_uuids() -> None:
    user = uuid.uuid4()
    assert parse_user_id(str(user)) == user
    with pytest.raises(CharacterError) as info:
        parse_user_id("not-a-uuid")
    assert info.value.code == "invalid_user_id"
