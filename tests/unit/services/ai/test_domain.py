"""The pipeline's pure rules: insufficiencies per category, disposal, reward eligibility."""

from __future__ import annotations

import pytest

from contracts.recycling.v1 import DisposalRules, NotAccepted
from contracts.scan import taxonomy
from contracts.scan.v1 import Classification, Insufficiency, NotAcceptedItem
from services.ai import domain

R = taxonomy.RECYCLABLES


def item(middle: str, *tags: str, major: str = R) -> Classification:
    return Classification(major=major, middle=middle, situation_tags=tags)


def rules_for(middle: str) -> DisposalRules:
    return DisposalRules(
        major=R,
        middle=middle,
        label="x",
        targets=(),
        detailed_items=(),
        steps=("비우고 헹궈 주세요.", "분리수거함에 넣어 주세요."),
        detailed_steps=("분리수거함에 넣어 주세요.", "찌그러뜨려 주세요."),
        not_accepted=(NotAccepted(item="깨진 병", instead="불연성 마대"),),
    )


@pytest.mark.parametrize(
    ("classification", "expected"),
    [
        (item("무색페트병", "label_attached"), ("label_attached",)),
        (item("무색페트병", "cap_on"), ()),  # closing the cap is the guidance for clear PET
        (item("유리병", "cap_on", "label_attached"), ("label_attached", "cap_on")),
        (item("종이", "tape_attached", "coated"), ("tape_attached", "coated")),
        (item("금속류", "contains_liquid", "food_residue"), ("food_residue", "contains_liquid")),
        (item("음식물류폐기물", "food_residue", major="음식물류폐기물"), ()),
        (item("음식물류폐기물", "contains_liquid", major="음식물류폐기물"), ("contains_liquid",)),
        (item("일반종량제폐기물", "hazardous_part", major="일반종량제폐기물"), ("hazardous_part",)),
        (item("생활계유해폐기물", "hazardous_part", major="생활계유해폐기물"), ()),
        (item("전지", "hazardous_part"), ()),
        (item("미분류", "damaged", major="미분류"), ()),
    ],
)
def test_insufficiencies_are_the_tags_that_matter_for_the_category(
    classification: Classification, expected: tuple[str, ...]
) -> None:
    found = domain.insufficiencies(classification)
    assert tuple(i.tag for i in found) == expected
    assert all(i.message and any("가" <= c <= "힣" for c in i.message) for i in found)


def test_every_situation_tag_has_a_rule() -> None:
    assert set(domain.RULES) == taxonomy.ALL_TAGS
    assert set(domain.FALLBACK_STEPS) == set(taxonomy.CATEGORIES)


def test_disposal_comes_from_the_rules_or_the_fallback() -> None:
    bottle = item("무색페트병")
    found = domain.disposal(bottle, rules_for("무색페트병"))
    assert found.steps == ("비우고 헹궈 주세요.", "분리수거함에 넣어 주세요.", "찌그러뜨려 주세요.")
    assert found.not_accepted == (NotAcceptedItem(item="깨진 병", instead="불연성 마대"),)
    fallback = domain.disposal(bottle, None)
    assert fallback.steps == domain.FALLBACK_STEPS[R]
    assert fallback.not_accepted == ()


@pytest.mark.parametrize(
    ("classification", "has_rules", "found", "eligible"),
    [
        (item("무색페트병"), True, (), True),
        (item("무색페트병"), False, (), False),
        (item("무색페트병"), True, (Insufficiency(tag="label_attached", message="."),), False),
        (item("음식물류폐기물", major="음식물류폐기물"), True, (), False),
        (item("미분류", major="미분류"), True, (), False),
    ],
)
def test_reward_eligibility(
    classification: Classification,
    has_rules: bool,
    found: tuple[Insufficiency, ...],
    eligible: bool,
) -> None:
    rules = rules_for(classification.middle) if has_rules else None
    assert domain.reward_eligible(classification, rules, found) is eligible
