"""Name folding: one key for the spellings of a name, plurals stemmed on both sides."""

from __future__ import annotations

import pytest

from services.recycling.terms import compact, fold, is_korean, key, stem


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("bottles", "bottle"),
        ("boxes", "box"),
        ("glasses", "glass"),
        ("batteries", "battery"),
        ("knives", "knife"),
        ("shoes", "shoe"),
        ("potatoes", "potato"),
        ("matches", "match"),
        ("cookies", "cooky"),
        ("cookie", "cooky"),
        ("cds", "cd"),
        ("tvs", "tv"),
        ("lens", "lens"),
        ("lenses", "lens"),
        ("glass", "glass"),
        ("gas", "gas"),
        ("bus", "bus"),
        ("cans", "can"),
        ("can", "can"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("닭 뼈", "닭뼈"),
        ("치킨·뼈!", "치킨뼈"),
        ("ＬＥＤ 전구", "led전구"),
        ("egg shell", "eggshells"),
        ("Egg-Shells", "egg shell"),
        ("T-shirt", "t shirt"),
        ("Plastic Bags", "plastic bag"),
    ],
)
def test_spellings_of_one_name_share_a_key(one: str, other: str) -> None:
    assert key(one) == key(other)


@pytest.mark.parametrize(
    ("one", "other"), [("glass", "glasses case"), ("캔", "캔들"), ("pan", "pen")]
)
def test_different_names_have_different_keys(one: str, other: str) -> None:
    assert key(one) != key(other)


def test_fold_and_compact() -> None:
    assert fold("ＡＢＣ Ａ4") == "abc a4"
    assert compact(" 라벨 뗀, 생수병? ") == "라벨뗀생수병"
    assert is_korean("pet병")
    assert not is_korean("pet bottle")
