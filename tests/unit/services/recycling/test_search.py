"""Search: matching rules (Korean substring, other text word prefix) and ranking."""

from __future__ import annotations

import pytest

from contracts.recycling.v1 import DisposalRules, NotAccepted
from services.recycling.content import load_catalog
from services.recycling.search import Entry, Kind, build_index, normalize, rank, search


def index() -> tuple[Entry, ...]:
    return build_index((c.position, c.rules, c.minors) for c in load_catalog().categories)


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        ("페트병", "페트병", 0),
        ("페트 병", "페트병", 0),
        ("페트병", "페트", 1),
        ("유색 페트병", "페트", 1),
        ("무색페트병", "페트", 2),
        ("aa battery", "battery", 1),
        ("aa battery", "batt", 1),
        ("batteries", "battery", None),
        ("aa battery", "ttery", None),
        ("paper cartons", "paper cartons", 0),
        ("무색페트병", "병x", None),
    ],
)
def test_rank(text: str, query: str, expected: int | None) -> None:
    assert rank(normalize(text), normalize(query)) == expected


def test_normalize_folds_case_width_and_spaces() -> None:
    assert normalize("  Ｐａｐｅｒ   BAG ") == "paper bag"


def test_pet_finds_clear_pet_bottles_first() -> None:
    hits = search(index(), "페트", 10)
    assert hits[0].middle == "무색페트병"
    assert hits[0].item == "페트병"
    assert {h.middle for h in hits} >= {"무색페트병", "플라스틱류"}


def test_english_finds_by_word_prefix_case_insensitively() -> None:
    hits = search(index(), "BATTERY", 20)
    assert hits[0].item == "battery"
    assert hits[0].middle == "전지"
    assert all(h.middle == "전지" for h in hits)
    assert search(index(), "atter", 20) == ()


def test_exact_beats_prefix_beats_substring() -> None:
    hits = search(index(), "종이", 30)
    assert hits[0].item == "종이"
    assert hits[0].middle == "종이"
    ranks = [rank(normalize(h.item), "종이") for h in hits]
    assert ranks == sorted(r for r in ranks if r is not None)


def test_hits_are_unique_and_limited() -> None:
    hits = search(index(), "병", 100)
    keys = [(normalize(h.item).replace(" ", ""), h.middle) for h in hits]
    assert len(keys) == len(set(keys))
    assert len(search(index(), "병", 3)) == 3


def test_a_redirected_item_leads_where_it_goes() -> None:
    hits = search(index(), "영수증", 5)
    assert hits[0].middle == "일반종량제폐기물"
    coloured = search(index(), "유색 페트병", 5)
    assert coloured[0].middle == "플라스틱류"
    assert coloured[0].label == "plastics"


def test_category_codes_and_labels_are_searchable() -> None:
    assert search(index(), "대형폐기물", 1)[0].middle == "대형폐기물"
    assert search(index(), "bulky", 1)[0].middle == "대형폐기물"


def test_the_index_points_redirections_at_their_destination() -> None:
    rules = DisposalRules(
        major="재활용폐기물",
        middle="종이",
        label="paper",
        targets=("신문",),
        detailed_items=("신문지",),
        steps=("펴기", "묶기"),
        detailed_steps=("묶기",),
        not_accepted=(NotAccepted(item="영수증", instead="일반종량제폐기물"),),
    )
    lone = build_index([(0, rules, ("newspaper",))])
    kinds = {(e.text, e.kind, e.middle) for e in lone}
    assert ("신문지", Kind.ITEM, "종이") in kinds
    assert ("newspaper", Kind.ITEM, "종이") in kinds
    assert ("신문", Kind.TARGET, "종이") in kinds
    assert ("paper", Kind.CATEGORY, "종이") in kinds
    # the destination has no rules in this index: the redirection is left out
    assert not any(e.kind is Kind.REDIRECT for e in lone)
