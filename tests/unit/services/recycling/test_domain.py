"""Pure taxonomy rules: the tree, resolving requested categories, locating codes."""

from __future__ import annotations

import pytest

from contracts.scan import taxonomy
from services.recycling import domain
from services.recycling.errors import RecyclingError


def test_categories_list_every_middle_then_the_majors_without_middles() -> None:
    keys = domain.categories()
    assert keys[0] == ("재활용폐기물", "종이")
    assert keys[11] == ("재활용폐기물", "전기전자제품")
    assert keys[12:] == tuple((m, m) for m in list(taxonomy.CATEGORIES)[1:])


def test_the_tree_lists_middles_only_where_there_are_some() -> None:
    tree = domain.category_tree()
    assert tree[0].code == "재활용폐기물"
    assert tree[0].label == "recyclables"
    assert tree[0].middles[2].code == "무색페트병"
    assert tree[0].middles[2].label == "clear PET bottles"
    assert all(major.middles == () for major in tree[1:])


@pytest.mark.parametrize(
    ("major", "middle", "key"),
    [
        ("재활용폐기물", "전지", ("재활용폐기물", "전지")),
        (" 재활용폐기물 ", " 전지", ("재활용폐기물", "전지")),
        ("대형폐기물", None, ("대형폐기물", "대형폐기물")),
        ("대형폐기물", "", ("대형폐기물", "대형폐기물")),
        ("미분류", "미분류", ("미분류", "미분류")),
    ],
)
def test_resolve_finds_the_category(major: str, middle: str | None, key: domain.Key) -> None:
    assert domain.resolve(major, middle) == key


@pytest.mark.parametrize(
    ("major", "middle", "names"),
    [
        ("plastic", None, "일반종량제폐기물"),
        ("재활용폐기물", None, "종이팩"),
        ("재활용폐기물", "페트병", "무색페트병"),
        ("음식물류폐기물", "종이", "음식물류폐기물"),
    ],
)
def test_resolve_names_the_known_codes(major: str, middle: str | None, names: str) -> None:
    with pytest.raises(RecyclingError) as info:
        domain.resolve(major, middle)
    assert info.value.code == "not_found"
    assert names in info.value.message


def test_locate_maps_a_code_to_its_category() -> None:
    assert domain.locate("플라스틱류") == ("재활용폐기물", "플라스틱류")
    assert domain.locate("일반종량제폐기물") == ("일반종량제폐기물", "일반종량제폐기물")
    assert domain.locate("재활용폐기물") is None  # a major with middles names no single one
    assert domain.locate("plastics") is None
