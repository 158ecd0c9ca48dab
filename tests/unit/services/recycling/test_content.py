"""The packaged disposal rules: complete for the taxonomy, well-formed, and validated."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from contracts.scan import taxonomy
from services.recycling import domain
from services.recycling.content import LIMITS, load_catalog, parse_catalog
from services.recycling.errors import ContentError


def raw() -> dict[str, Any]:
    text = (resources.files("services.recycling") / "data" / "rules.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_every_taxonomy_category_has_rules_in_taxonomy_order() -> None:
    catalog = load_catalog()
    assert [c.key for c in catalog.categories] == list(domain.categories())
    assert len(catalog.categories) == 12 + 7
    assert [c.position for c in catalog.categories] == list(range(19))


def test_every_rule_is_complete_and_in_korean() -> None:
    for category in load_catalog().categories:
        rules = category.rules
        assert rules.label == taxonomy.middles(rules.major)[rules.middle]
        assert 5 <= len(rules.detailed_items) <= 15, rules.middle
        assert 2 <= len(rules.steps) <= 5, rules.middle
        assert rules.targets
        assert rules.detailed_steps
        assert rules.not_accepted
        texts = (*rules.targets, *rules.detailed_items, *rules.steps, *rules.detailed_steps)
        assert all(text.strip() == text and text for text in texts)
        assert all(any("가" <= ch <= "힣" for ch in step) for step in rules.steps)
        for other in rules.not_accepted:
            assert other.item
            assert domain.locate(other.instead) is not None
            assert other.instead != rules.middle


def test_key_disposal_facts_are_stated() -> None:
    catalog = load_catalog()

    def said(middle: str) -> str:
        key = domain.locate(middle)
        assert key is not None
        rules = catalog.rules(*key)
        return " ".join((*rules.steps, *rules.detailed_steps))

    assert all(word in said("무색페트병") for word in ("비우", "라벨", "찌그러", "뚜껑을 닫"))
    assert "헹" in said("종이팩")
    assert "일반 종이" in said("종이팩")
    assert "전용 수거함" in said("전지")
    assert "깨지지 않게" in said("조명제품")
    assert "스티커" in said("대형폐기물")
    assert "신고" in said("대형폐기물")
    plastics = catalog.rules("재활용폐기물", "무색페트병").not_accepted
    assert any(n.item.startswith("유색 페트병") and n.instead == "플라스틱류" for n in plastics)
    paper = catalog.rules("재활용폐기물", "종이").not_accepted
    assert any("영수증" in n.item and n.instead == "일반종량제폐기물" for n in paper)


def test_every_situation_tag_has_guidance() -> None:
    catalog = load_catalog()
    assert set(catalog.situations) == taxonomy.ALL_TAGS
    for tag in taxonomy.ALL_TAGS:
        assert catalog.fixes([tag], "종이") or catalog.situations[tag].overrides["종이"] is None


def test_fixes_follow_the_category() -> None:
    catalog = load_catalog()
    assert catalog.fixes(["label_attached"], "무색페트병") == (
        "라벨(상표 비닐·스티커)을 떼어 주세요.",
    )
    assert catalog.fixes(["cap_on"], "무색페트병") == ()  # the cap goes back on, crushed
    assert catalog.fixes(["cap_on"], "플라스틱류")
    assert "형광등" in catalog.fixes(["damaged"], "조명제품")[0]
    ordered = catalog.fixes(["contains_liquid", "food_residue", "nonsense"], "플라스틱류")
    assert ordered == (
        catalog.situations["food_residue"].fix,
        catalog.situations["contains_liquid"].fix,
    )


def test_the_content_version_follows_the_content() -> None:
    first, second = load_catalog(), load_catalog()
    assert [c.version for c in first.categories] == [c.version for c in second.categories]
    data = raw()
    data["categories"][0]["steps"].append("하나 더 확인해 주세요.")
    edited = parse_catalog(data)
    assert edited.categories[0].version != first.categories[0].version
    assert edited.categories[1].version == first.categories[1].version


def broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(raw())
    paper = data["categories"][0]
    match change:
        case "missing":
            data["categories"].pop()
        case "duplicate":
            data["categories"].append(paper)
        case "unknown":
            paper["middle"] = "나무"
        case "few_items":
            paper["detailed_items"] = paper["detailed_items"][:2]
        case "many_steps":
            paper["steps"] = [f"단계 {n}" for n in range(6)]
        case "blank":
            paper["targets"].append("  ")
        case "instead":
            paper["not_accepted"].append({"item": "나뭇가지", "instead": "숲"})
        case "self":
            paper["not_accepted"].append({"item": "신문", "instead": "종이"})
        case "tag":
            del data["situations"]["cap_on"]
        case "field":
            paper["colour"] = "blue"
    return data


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("missing", "no rules"),
        ("duplicate", "listed twice"),
        ("unknown", "not a taxonomy category"),
        ("few_items", "detailed_items has 2 entries"),
        ("many_steps", "steps has 6 entries"),
        ("blank", "blank"),
        ("instead", "not a category code"),
        ("self", "its own category"),
        ("tag", "missing tags ['cap_on']"),
        ("field", "does not match its schema"),
    ],
)
def test_bad_data_is_refused_with_the_reason(change: str, says: str) -> None:
    with pytest.raises(ContentError, match=r".*" + says.replace("[", r"\[").replace("]", r"\]")):
        parse_catalog(broken(change))


def test_limits_cover_every_list_field() -> None:
    assert set(LIMITS) == {
        "targets",
        "detailed_items",
        "steps",
        "detailed_steps",
        "not_accepted",
    }
