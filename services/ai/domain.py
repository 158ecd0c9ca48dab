"""The scan pipeline's pure rules (no I/O): which situation tags keep an item from being
disposed of correctly in its category, the disposal to show, and reward eligibility."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.recycling.v1 import DisposalRules
from contracts.scan import taxonomy
from contracts.scan.v1 import Classification, Disposal, Insufficiency, NotAcceptedItem

R = taxonomy.RECYCLABLES
_RECYCLABLE = frozenset(taxonomy.middles(R))
_CONTAINERS = frozenset({"무색페트병", "플라스틱류", "유리병", "금속류", "종이팩"})
_NOT_HAZARDOUS = frozenset(taxonomy.CATEGORIES) - {"생활계유해폐기물", taxonomy.UNCLASSIFIED}

# tag -> (the middle categories where it is an insufficiency, what to tell the person).
# A tag outside its categories is just a fact (a cap on a clear PET bottle is fine; food
# residue in food waste is the point).
RULES: dict[str, tuple[frozenset[str], str]] = {
    "contaminated": (_RECYCLABLE, "오염된 부분이 있어요. 깨끗이 씻어서 말린 뒤 배출해 주세요."),
    "food_residue": (
        _RECYCLABLE,
        "음식물이 묻어 있어요. 물로 헹궈 음식물을 없앤 뒤 배출해 주세요.",
    ),
    "oil_residue": (_RECYCLABLE, "기름기가 남아 있어요. 세제로 씻어 기름기를 없애 주세요."),
    "label_attached": (
        frozenset({"무색페트병", "플라스틱류", "유리병"}),
        "라벨이 아직 붙어 있어요. 라벨을 떼어 비닐류로 따로 배출해 주세요.",
    ),
    "cap_on": (
        frozenset({"유리병", "플라스틱류", "종이팩"}),
        "뚜껑이 닫혀 있어요. 뚜껑은 분리해 재질에 맞게 따로 배출해 주세요.",
    ),
    "tape_attached": (
        frozenset({"종이", "종이팩", "발포합성수지"}),
        "테이프나 송장이 붙어 있어요. 모두 떼어낸 뒤 배출해 주세요.",
    ),
    "mixed_material": (
        _RECYCLABLE | {"음식물류폐기물"},
        "여러 재질이 섞여 있어요. 재질별로 분리한 뒤 각각 배출해 주세요.",
    ),
    "coated": (
        frozenset({"종이", "종이팩"}),
        "코팅된 종이는 재활용이 어려워요. "
        "코팅이 없는 부분만 분리하고 나머지는 종량제 봉투에 버려 주세요.",
    ),
    "damaged": (
        frozenset({"유리병", "조명제품", "전지"}),
        "깨지거나 파손되었어요. 다치지 않게 신문지로 감싸 파손품 배출 방법을 따라 주세요.",
    ),
    "contains_liquid": (
        _CONTAINERS | {"음식물류폐기물"},
        "내용물이 남아 있어요. 깨끗이 비우고 물기를 뺀 뒤 배출해 주세요.",
    ),
    "hazardous_part": (
        _RECYCLABLE - {"전지"} | _NOT_HAZARDOUS - {R},
        "위험한 부품(배터리 등)이 들어 있어요. 분리해서 전용 수거함에 따로 배출해 주세요.",
    ),
}

# Disposal when the recycling service has no rules for the category, by major.
FALLBACK_STEPS: dict[str, tuple[str, ...]] = {
    R: (
        "내용물을 비우고 이물질을 깨끗이 헹궈 주세요.",
        "라벨, 뚜껑처럼 다른 재질은 분리해 주세요.",
        "재질에 맞는 분리수거함에 배출해 주세요.",
    ),
    "일반종량제폐기물": ("일반 종량제 봉투에 담아 배출해 주세요.",),
    "불연성종량제폐기물": ("신문지 등으로 감싸 불연성 마대(특수 규격 봉투)에 담아 배출해 주세요.",),
    "음식물류폐기물": (
        "물기를 최대한 빼 주세요.",
        "뼈, 껍데기, 포장재 같은 이물질은 빼고 음식물 전용 용기나 봉투에 배출해 주세요.",
    ),
    "공사장생활폐기물": ("소량은 불연성 마대에, 많은 양은 구청에 신고한 뒤 배출해 주세요.",),
    "대형폐기물": ("구청이나 주민센터에 대형폐기물 배출을 신고하고 스티커를 붙여 배출해 주세요.",),
    "생활계유해폐기물": ("가까운 주민센터나 약국의 전용 수거함에 배출해 주세요.",),
    taxonomy.UNCLASSIFIED: (
        "재질을 확인한 뒤 지자체의 배출 안내를 따라 주세요.",
        "다른 각도에서 다시 찍거나 품목 이름을 함께 적어 주면 더 정확히 알려 줄게요.",
    ),
}


def insufficiencies(classification: Classification) -> tuple[Insufficiency, ...]:
    """The situation tags that keep this item from correct disposal in its category."""
    found = []
    for tag, (middles, message) in RULES.items():
        if tag in classification.situation_tags and classification.middle in middles:
            found.append(Insufficiency(tag=tag, message=message))
    return tuple(found)


def disposal(classification: Classification, rules: DisposalRules | None) -> Disposal:
    """The steps to show: the category's rules, or the major's generic fallback."""
    if rules is None:
        return Disposal(steps=FALLBACK_STEPS[classification.major])
    steps = tuple(dict.fromkeys((*rules.steps, *rules.detailed_steps)))
    return Disposal(
        steps=steps or FALLBACK_STEPS[classification.major],
        not_accepted=tuple(
            NotAcceptedItem(item=item.item, instead=item.instead) for item in rules.not_accepted
        ),
    )


def reward_eligible(
    classification: Classification,
    rules: DisposalRules | None,
    found: Sequence[Insufficiency],
) -> bool:
    """A scan earns its category's character only for a known recyclable, with rules found
    and nothing left to fix."""
    return (
        classification.major == R
        and classification.middle in _RECYCLABLE
        and rules is not None
        and not found
    )
