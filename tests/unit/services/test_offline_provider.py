"""The offline provider: deterministic classification from the hint."""

from __future__ import annotations

import pytest

from contracts.scan.v1 import Classification
from services.ai.offline import OfflineProvider, classify_text


@pytest.mark.parametrize(
    ("hint", "major", "middle", "tags"),
    [
        ("라벨 뗀 투명 페트병", "재활용폐기물", "무색페트병", ()),
        ("라벨이 그대로 붙은 투명 페트병", "재활용폐기물", "무색페트병", ("label_attached",)),
        (
            "clear PET bottle with the label still on",
            "재활용폐기물",
            "무색페트병",
            ("label_attached",),
        ),
        ("뚜껑 있는 유리병", "재활용폐기물", "유리병", ("cap_on",)),
        ("우유팩", "재활용폐기물", "종이팩", ()),
        ("dirty plastic container", "재활용폐기물", "플라스틱류", ("food_residue",)),
        ("a scan of a can", "재활용폐기물", "금속류", ()),
        ("AA battery", "재활용폐기물", "전지", ()),
        ("먹다 남은 음식", "음식물류폐기물", "음식물류폐기물", ()),
        ("낡은 책상", "대형폐기물", "대형폐기물", ()),
        ("", "미분류", "미분류", ()),
        ("something unknown", "미분류", "미분류", ()),
    ],
)
def test_hints_classify_deterministically(
    hint: str, major: str, middle: str, tags: tuple[str, ...]
) -> None:
    result = classify_text(hint)
    assert (result.major, result.middle, result.situation_tags) == (major, middle, tags)
    assert classify_text(hint) == result


async def test_the_provider_never_loads_the_image() -> None:
    async def refuse() -> bytes:
        raise AssertionError("offline classification must not need the photo")

    provider = OfflineProvider()
    result = await provider.classify("우유팩", refuse)
    assert isinstance(result, Classification)
    assert provider.model == "offline"
