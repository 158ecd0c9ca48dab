"""The matcher: Korean spacing and particles, English plurals, the most specific name, and
nothing for what the dictionary does not know. The tuning set below is what these rules
were tuned on; the held-out sets are in test_evaluate."""

from __future__ import annotations

from functools import cache

import pytest

from services.recycling.dictionary import Dictionary, Item, load_dictionary
from services.recycling.matcher import Matcher


@cache
def matcher() -> Matcher:
    return Matcher(load_dictionary())


def best(text: str) -> tuple[str, str] | None:
    found = matcher().best(text)
    return (found.item.id, found.term) if found else None


# Spacing, particles, width, case and plurals are tolerated; one-syllable names must
# stand as words (스캔 is no 캔, 약간 is no 약, 못 쓰는 is no nail).
NAMED = {
    "치킨뼈는 어디에 버려?": "chicken-bone",
    "닭 뼈": "chicken-bone",
    "닭뼈를 음식물쓰레기로 버려도 돼?": "chicken-bone",
    "치 킨 뼈": "chicken-bone",
    "소주병이에요": "soju-bottle",
    "empty butane can": "butane-can",
    "empty butane cans": "butane-can",
    "plastic shopping bag": "plastic-bag",
    "PLASTIC SHOPPING BAGS": "plastic-bag",
    "라벨 뗀 생수병": "water-bottle",
    "ＰＥＴ병": "clear-pet-bottle",
    "eggshells": "egg-shell",
    "egg shells": "egg-shell",
    "old batteries": "battery",
    "스캔한 영수증": "receipt",
    "약간 찌그러진 캔": "drink-can",
    "캔은요?": "drink-can",
    "책가방": "backpack",
    "캔들": "candle",
    "못 쓰는 가위": "scissors",
    "this can is dented": "drink-can",
}


@pytest.mark.parametrize(("hint", "item_id"), NAMED.items())
def test_hints_find_the_item_they_name(hint: str, item_id: str) -> None:
    found = matcher().best(hint)
    assert found is not None
    assert found.item.id == item_id


@pytest.mark.parametrize(
    ("hint", "item_id", "term"),
    [
        ("음식물 묻은 스티로폼", "soiled-styrofoam", "음식물 묻은 스티로폼"),
        ("깨끗한 스티로폼", "styrofoam", "스티로폼"),
        ("투명 페트병", "clear-pet-bottle", "투명 페트병"),
        ("유색 페트병", "colored-pet-bottle", "유색 페트병"),
        ("wire coat hanger", "wire-hanger", "wire coat hanger"),
        ("철사 옷걸이", "wire-hanger", "철사 옷걸이"),
        ("페트병 라벨", "bottle-label", "페트병 라벨"),
        ("깨진 유리병", "broken-glass", "깨진 유리병"),
        ("기름 묻은 피자 박스", "greasy-pizza-box", "기름 묻은 피자 박스"),
    ],
)
def test_the_most_specific_name_wins(hint: str, item_id: str, term: str) -> None:
    assert best(hint) == (item_id, term)


@pytest.mark.parametrize(
    "hint",
    [
        "",
        "   ",
        "이거 뭐예요?",
        "something unknown",
        "can I recycle this?",
        "where can you put it",
        "약간",
        "스캔",
        "옷걸이",
        "음식물쓰레기 봉투",
        "trash can",
        "flower pot",
    ],
)
def test_nothing_named_is_no_match(hint: str) -> None:
    assert matcher().match(hint) == ()


def test_parts_rank_after_whole_items() -> None:
    found = matcher().match("테이프 떼고 상자 버리기")
    assert [m.item.id for m in found] == ["cardboard-box", "tape"]


@pytest.mark.parametrize(
    "hint",
    [
        "투명 페트병 라벨 뗀",
        "생수병 라벨 뗀 거",
        "페트병 라벨은 제거했어요",
        "PET bottle label removed",
    ],
)
def test_a_part_taken_off_is_not_what_the_hint_is_about(hint: str) -> None:
    found = matcher().best(hint)
    assert found is not None
    assert (found.item.middle, found.item.part) == ("무색페트병", False), found.item.id


def test_a_part_still_on_or_asked_about_is_the_part() -> None:
    for hint in ("페트병 라벨", "페트병 라벨은 어디에 버려?"):
        found = matcher().best(hint)
        assert found is not None
        assert found.item.part, hint


def test_a_hint_naming_several_items_lists_each_once() -> None:
    found = matcher().match("치킨뼈랑 닭뼈, 그리고 치킨 박스")
    assert [m.item.id for m in found] == ["chicken-box", "chicken-bone"]
    assert matcher().match("치킨뼈랑 치킨 박스", limit=1)[0].item.id == "chicken-box"


def test_the_span_points_into_the_folded_hint() -> None:
    found = matcher().best("먹다 남은 ＣＨＩＣＫＥＮ bones")
    assert found is not None
    assert found.span == (6, 19)
    assert found.item.major == "일반종량제폐기물"


def _item(item_id: str, ko: str, en: str, middle: str, *synonyms: str) -> Item:
    major = "재활용폐기물" if middle != "일반종량제폐기물" else middle
    return Item(id=item_id, ko=ko, en=en, major=major, middle=middle, synonyms=synonyms)


def test_ties_are_deterministic() -> None:
    dictionary = Dictionary(
        source="시험용",
        neutral=(),
        items=(
            _item("paper", "종이", "paper", "종이"),
            _item("box", "상자", "box", "종이"),
            _item("can", "캔", "can", "금속류"),
        ),
    )
    small = Matcher(dictionary)
    # Equal length: the later name wins, as a Korean phrase ends with its head noun.
    assert [m.item.id for m in small.match("종이 상자")] == ["box", "paper"]
    assert [m.item.id for m in small.match("상자 종이")] == ["paper", "box"]
    assert small.match("종이 상자") == small.match("종이 상자")
