"""The offline provider: deterministic classification from the dictionary items the hint
names (matched here with the recycling service's real dictionary and matcher, as
`recycling.match` answers), template answers with the item's notes."""

from __future__ import annotations

import re

import pytest

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan.v1 import Classification
from services.ai import domain
from services.ai.offline import OfflineProvider, classify_text
from services.ai.provider import Photo
from services.recycling import queries
from services.recycling.dictionary import load_dictionary
from services.recycling.matcher import Matcher

MATCHER = Matcher(load_dictionary())


def named(hint: str) -> tuple[Item, ...]:
    return queries.match(MATCHER, hint, 5) if hint.strip() else ()


def classify(hint: str) -> Classification:
    return classify_text(hint, named(hint))


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
        ("치킨뼈는", "일반종량제폐기물", "일반종량제폐기물", ()),
        ("닭 뼈", "일반종량제폐기물", "일반종량제폐기물", ()),
        ("철사 옷걸이", "재활용폐기물", "금속류", ()),
        ("plastic shopping bag", "재활용폐기물", "비닐류", ()),
        ("빈 부탄가스", "재활용폐기물", "금속류", ()),
        ("수은 체온계", "생활계유해폐기물", "생활계유해폐기물", ()),
        ("", "미분류", "미분류", ()),
        ("something unknown", "미분류", "미분류", ()),
    ],
)
def test_hints_classify_deterministically(
    hint: str, major: str, middle: str, tags: tuple[str, ...]
) -> None:
    result = classify(hint)
    assert (result.major, result.middle, result.situation_tags) == (major, middle, tags)
    assert classify(hint) == result


async def test_the_provider_never_loads_the_image() -> None:
    async def refuse() -> bytes:
        raise AssertionError("offline classification must not need the photo")

    provider = OfflineProvider()
    result = await provider.classify("우유팩", Photo("0" * 64, refuse), named("우유팩"))
    assert isinstance(result, Classification)
    assert provider.model == "offline"


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


@pytest.mark.parametrize(
    "hint",
    [
        "라벨 뗀 투명 페트병",
        "라벨이 그대로 붙은 투명 페트병",
        "뚜껑 있는 유리병, 라벨 붙은, 내용물 남은",
        "우유팩",
        "먹다 남은 음식",
        "something unknown",
    ],
)
async def test_offline_answers_are_short_friendly_korean_and_deterministic(hint: str) -> None:
    provider = OfflineProvider()
    classification = classify(hint)
    found = domain.insufficiencies(classification)
    item = next(iter(named(hint)), None)
    text = await provider.answer(classification, None, found, item)
    assert 3 <= len(_sentences(text)) <= 5, text
    assert "이코" in text
    assert re.search(r"[가-힣]", text)
    assert not re.search(r"[\n*#]", text), "plain text"
    assert await provider.answer(classification, None, found, item) == text


def test_every_items_answer_is_three_to_five_sentences_with_its_notes() -> None:
    from services.ai import answers
    from services.recycling.queries import as_item

    for entry in load_dictionary().items:
        item = as_item(entry, entry.ko)
        classification = classify_text(entry.ko, (item,))
        text = answers.compose(classification, None, (), item)
        assert 3 <= len(_sentences(text)) <= 5, text
        if entry.notes:
            assert entry.notes in text


async def test_the_answer_names_only_the_insufficiencies_that_apply() -> None:
    provider = OfflineProvider()
    labelled = classify("라벨이 그대로 붙은 투명 페트병")
    text = await provider.answer(labelled, None, domain.insufficiencies(labelled), None)
    assert "라벨이 아직 붙어 있어요" in text

    clean = classify("라벨 뗀 투명 페트병")
    text = await provider.answer(clean, None, domain.insufficiencies(clean), None)
    assert "다만" not in text
    assert "아직" not in text
    assert "완벽" in text

    # A cap on a clear PET bottle is fine under Korean guidance: not an insufficiency.
    capped = Classification(major="재활용폐기물", middle="무색페트병", situation_tags=("cap_on",))
    text = await provider.answer(capped, None, domain.insufficiencies(capped), None)
    assert "뚜껑이 닫혀" not in text


async def test_the_answer_uses_the_rules_steps_when_there_are_rules() -> None:
    rules = DisposalRules(
        major="재활용폐기물",
        middle="종이팩",
        label="paper cartons",
        targets=("우유팩",),
        detailed_items=(),
        steps=("펼쳐서 말린 뒤 종이팩 전용 수거함에 넣어 주세요.",),
        detailed_steps=(),
        not_accepted=(),
    )
    classification = classify("우유팩")
    text = await OfflineProvider().answer(classification, rules, (), None)
    assert "종이팩 전용 수거함" in text


R, GENERAL, FOOD = "재활용폐기물", "일반종량제폐기물", "음식물류폐기물"


@pytest.mark.parametrize(
    ("hints", "major", "middle"),
    [
        (("chicken bones", "치킨뼈"), GENERAL, GENERAL),
        (("egg shells", "달걀 껍데기"), GENERAL, GENERAL),
        (("tea bags", "티백"), GENERAL, GENERAL),
        (("coffee grounds", "커피 찌꺼기"), GENERAL, GENERAL),
        (("watermelon rind", "수박 껍질"), FOOD, FOOD),
        (("leftover rice", "남은 밥"), FOOD, FOOD),
        (("receipts", "영수증"), GENERAL, GENERAL),
        (("toothbrush", "칫솔"), GENERAL, GENERAL),
        (("a hair dryer", "드라이기"), R, "전기전자제품"),
        (("fridge", "냉장고"), R, "전기전자제품"),
        (("mercury thermometer", "수은 체온계"), "생활계유해폐기물", "생활계유해폐기물"),
        (("empty butane can", "빈 부탄가스"), R, "금속류"),
        (("glass jam jar", "잼 병"), R, "유리병"),
        (("bubble wrap", "뽁뽁이"), R, "비닐류"),
        (("wire hanger", "철사 옷걸이"), R, "금속류"),
        (("plastic shopping bag", "비닐 쇼핑백"), R, "비닐류"),
    ],
)
def test_the_items_issue_12_found_unclassified_or_misplaced(
    hints: tuple[str, str], major: str, middle: str
) -> None:
    for hint in hints:
        result = classify(hint)
        assert (result.major, result.middle) == (major, middle), hint
        assert result.minor is not None
