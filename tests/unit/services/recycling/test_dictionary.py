"""The packaged item dictionary: complete over the taxonomy, consistent with the rules, and
free of names that would send one spelling to two places."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

import pytest

from contracts.scan import taxonomy
from services.recycling import domain, terms
from services.recycling.content import load_catalog
from services.recycling.dictionary import Dictionary, load_dictionary, parse_dictionary
from services.recycling.errors import ContentError
from services.recycling.matcher import Matcher

KNOWN = [key for key in domain.categories() if key[0] != taxonomy.UNCLASSIFIED]


@cache
def dictionary() -> Dictionary:
    return load_dictionary()


def raw() -> dict[str, Any]:
    text = (resources.files("services.recycling") / "data" / "items.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_dictionary_is_large_and_says_where_it_comes_from() -> None:
    assert len(dictionary().items) >= 600
    assert "환경부" in dictionary().source
    assert "분리배출" in dictionary().source


@pytest.mark.parametrize(("major", "middle"), KNOWN)
def test_every_category_has_items(major: str, middle: str) -> None:
    count = Counter((i.major, i.middle) for i in dictionary().items)
    assert count[major, middle] >= 5


def test_no_item_is_unclassified_and_items_come_in_taxonomy_order() -> None:
    items = dictionary().items
    assert all(item.major != taxonomy.UNCLASSIFIED for item in items)
    positions = [KNOWN.index((item.major, item.middle)) for item in items]
    assert positions == sorted(positions)


def test_every_item_category_has_rules() -> None:
    catalog = load_catalog()
    for item in dictionary().items:
        rules = catalog.rules(item.major, item.middle)
        assert rules.steps, item.id


def test_no_name_maps_to_two_items() -> None:
    owners: dict[str, set[str]] = {}
    for item in dictionary().items:
        for name in item.names:
            owners.setdefault(terms.key(name), set()).add(item.id)
    shared = {name: ids for name, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_ids_are_unique_and_strings_trimmed() -> None:
    items = dictionary().items
    assert len({item.id for item in items}) == len(items)
    for item in items:
        texts = [*item.names, *([item.notes] if item.notes else [])]
        assert all(t and t == t.strip() for t in texts), item.id


def test_every_name_finds_its_own_item() -> None:
    matcher = Matcher(dictionary())
    lost = []
    for item in dictionary().items:
        for name in item.names:
            found = matcher.best(name)
            if found is None or found.item.id != item.id:
                lost.append((item.id, name, found.item.id if found else None))
    assert lost == []


def test_neutral_terms_find_nothing() -> None:
    matcher = Matcher(dictionary())
    assert [t for t in dictionary().neutral if matcher.match(t)] == []


# item -> (middle category, a phrase its notes must hold)
GUIDANCE = {
    "butane-can": ("금속류", "구멍"),
    "mercury-thermometer": ("생활계유해폐기물", "종량제봉투에 버리지 않습니다"),
    "refrigerator": ("전기전자제품", "1599-0903"),
    "chicken-bone": ("일반종량제폐기물", "음식물류폐기물이 아닙니다"),
    "wire-hanger": ("금속류", "의류가 아니라"),
    "receipt": ("일반종량제폐기물", "감열지"),
    "heat-resistant-glass": ("불연성종량제폐기물", "유리병"),
    "sofa": ("대형폐기물", "신고"),
}


@pytest.mark.parametrize("item_id", GUIDANCE)
def test_key_items_go_where_the_guidance_says(item_id: str) -> None:
    middle, note = GUIDANCE[item_id]
    item = dictionary().item(item_id)
    assert item.middle == middle
    assert item.notes is not None
    assert note in item.notes


U = taxonomy.UNCLASSIFIED


@pytest.mark.parametrize(
    ("item_id", "changes", "message"),
    [
        pytest.param("magazine", {"id": "newspaper"}, "id listed twice", id="duplicate-id"),
        pytest.param("newspaper", {"middle": "우주"}, "not a taxonomy category", id="category"),
        pytest.param("newspaper", {"major": U, "middle": U}, "is not 미분류", id="unclassified"),
        pytest.param("newspaper", {"synonyms": [" 신문 "]}, "blank, untrimmed", id="untrimmed"),
        pytest.param("newspaper", {"synonyms": [""]}, "blank, untrimmed", id="blank"),
        pytest.param("glass-bottle", {"synonyms": ["신문 지"]}, "share the name", id="shared"),
        pytest.param("newspaper", {"synonyms": ["신문지"]}, "repeats another", id="own-repeat"),
        pytest.param("newspaper", {"synonyms": ["신문·잡지"]}, "separator", id="separator"),
        pytest.param("newspaper", {"notes": "tie it up"}, "trimmed Korean", id="english-notes"),
        pytest.param("newspaper", {"ko": "newspaper!"}, "has no Hangul", id="no-hangul"),
    ],
)
def test_bad_entries_fail_with_the_reason(
    item_id: str, changes: dict[str, Any], message: str
) -> None:
    doc = raw()
    next(i for i in doc["items"] if i["id"] == item_id).update(changes)
    with pytest.raises(ContentError, match=message):
        parse_dictionary(doc)


def test_a_neutral_term_must_not_be_an_item_name() -> None:
    doc = raw()
    doc["neutral"] = [*doc["neutral"], "newspaper"]
    with pytest.raises(ContentError, match="is a name of newspaper"):
        parse_dictionary(doc)


def test_a_file_off_its_schema_fails() -> None:
    doc = raw()
    doc["items"][0]["colour"] = "blue"
    with pytest.raises(ContentError, match="does not match its schema"):
        parse_dictionary(doc)


def test_versions_follow_the_content() -> None:
    items = dictionary().items
    assert len({item.version for item in items}) == len(items)
    changed = items[0].model_copy(update={"notes": "바뀐 안내입니다."})
    assert changed.version != items[0].version
