"""The waste taxonomy's codes (Korean names are canonical) with English labels, and the fixed
vocabulary of situation tags. Values of classifications on the wire come from here."""

from __future__ import annotations

RECYCLABLES = "재활용폐기물"
UNCLASSIFIED = "미분류"

# major -> (English label, {middle -> English label}); a major without middles is its own middle.
CATEGORIES: dict[str, tuple[str, dict[str, str]]] = {
    RECYCLABLES: (
        "recyclables",
        {
            "종이": "paper",
            "종이팩": "paper cartons",
            "무색페트병": "clear PET bottles",
            "플라스틱류": "plastics",
            "비닐류": "plastic film",
            "발포합성수지": "styrofoam / EPS",
            "유리병": "glass bottles",
            "금속류": "metals and cans",
            "의류및원단": "clothing and textiles",
            "전지": "batteries",
            "조명제품": "lamps and lighting",
            "전기전자제품": "electrical and electronic goods",
        },
    ),
    "일반종량제폐기물": ("general waste (volume-rate bags)", {}),
    "불연성종량제폐기물": ("non-combustible waste", {}),
    "음식물류폐기물": ("food waste", {}),
    "공사장생활폐기물": ("household construction waste", {}),
    "대형폐기물": ("bulky waste", {}),
    "생활계유해폐기물": ("household hazardous waste", {}),
    UNCLASSIFIED: ("unclassified", {}),
}

# theme -> tags
SITUATION_TAGS: dict[str, tuple[str, ...]] = {
    "contamination": ("contaminated", "food_residue", "oil_residue"),
    "attachments": ("label_attached", "cap_on", "tape_attached"),
    "material": ("mixed_material", "coated"),
    "condition": ("damaged", "contains_liquid"),
    "safety": ("hazardous_part",),
}

ALL_TAGS = frozenset(tag for tags in SITUATION_TAGS.values() for tag in tags)


def middles(major: str) -> dict[str, str]:
    """The middle categories of `major`; a major without any is its own single middle."""
    label, subs = CATEGORIES[major]
    return subs or {major: label}


def is_valid(major: str, middle: str) -> bool:
    return major in CATEGORIES and middle in middles(major)
