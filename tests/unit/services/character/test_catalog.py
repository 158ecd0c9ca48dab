"""The catalog is complete: 13 characters, one per recyclable middle category, 이코 first."""

from __future__ import annotations

import pytest

from contracts.character.v1 import Character
from contracts.scan.taxonomy import RECYCLABLES, middles
from services.character.catalog import CATALOG, DEFAULT_CODE
from services.character.domain import by_middle, default_character

EXPECTED = {
    "eco": ("이코", None),
    "peti": ("페티", "무색페트병"),
    "metali": ("메탈리", "금속류"),
    "paepy": ("페이피", "종이"),
    "pli": ("플리", "플라스틱류"),
    "vini": ("비니", "비닐류"),
    "pomi": ("폼이", "발포합성수지"),
    "glassy": ("글래시", "유리병"),
    "packtory": ("팩토리", "종이팩"),
    "barry": ("배리", "전지"),
    "lighty": ("라이티", "조명제품"),
    "cotton": ("코튼", "의류및원단"),
    "elec": ("일렉", "전기전자제품"),
}


def test_thirteen_characters_with_unique_codes_and_names() -> None:
    assert len(CATALOG) == 13
    assert len({c.code for c in CATALOG}) == 13
    assert len({c.name for c in CATALOG}) == 13


def test_each_character_is_the_one_the_domain_names() -> None:
    assert {c.code: (c.name, c.middle) for c in CATALOG} == EXPECTED


def test_eco_is_the_default_and_comes_first() -> None:
    eco = default_character()
    assert eco.code == DEFAULT_CODE == "eco"
    assert eco.name == "이코"
    assert eco.middle is None
    assert CATALOG[0] == eco
    assert [c for c in CATALOG if c.middle is None] == [eco]


def test_every_recyclable_middle_has_exactly_one_character() -> None:
    recyclable = set(middles(RECYCLABLES))
    with_middle = [c.middle for c in CATALOG if c.middle is not None]
    assert sorted(with_middle) == sorted(recyclable)
    assert set(by_middle(CATALOG)) == recyclable


@pytest.mark.parametrize("character", CATALOG, ids=lambda c: c.code)
def test_each_character_is_presentable(character: Character) -> None:
    assert character.code.isascii()
    assert character.code.isalpha()
    assert character.code.islower()
    assert 0 < len(character.type) <= 12
    assert 10 <= len(character.dialog) <= 60
    assert character.dialog.strip() == character.dialog
