"""The contract registry: upcaster chains, validation at start, and parse errors."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest

from contracts import (
    MalformedMessage,
    Payload,
    Registry,
    UnknownType,
    UnsupportedVersion,
    new_envelope,
)
from contracts.registry import InvalidRegistry


class ItemV1(Payload):
    __message_type__: ClassVar[str] = "shop.item"
    __version__: ClassVar[int] = 1
    name: str


class ItemV2(Payload):
    __message_type__: ClassVar[str] = "shop.item"
    __version__: ClassVar[int] = 2
    title: str


class ItemV3(Payload):
    __message_type__: ClassVar[str] = "shop.item"
    __version__: ClassVar[int] = 3
    title: str
    tags: list[str]


def chained() -> Registry:
    registry = Registry().register(ItemV1, ItemV2, ItemV3)

    @registry.upcaster("shop.item", 1, 2)
    def rename(data: dict[str, Any]) -> dict[str, Any]:
        return {"title": data["name"]}

    @registry.upcaster("shop.item", 2, 3)
    def add_tags(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "tags": []}

    return registry.validate()


def test_old_versions_are_upcast_through_the_chain_to_the_newest_model() -> None:
    registry = chained()
    envelope, payload = registry.parse(new_envelope(ItemV1(name="bottle")).model_dump_json())
    assert envelope.version == 1
    assert payload == ItemV3(title="bottle", tags=[])
    assert registry.newest("shop.item") is ItemV3


def test_a_gap_in_the_chain_is_refused_at_start() -> None:
    registry = Registry().register(ItemV1, ItemV2, ItemV3)
    registry.upcaster("shop.item", 2, 3)(lambda d: d)
    with pytest.raises(InvalidRegistry, match="gap"):
        registry.validate()


def test_a_cycle_is_refused_at_start() -> None:
    registry = Registry().register(ItemV1, ItemV2, ItemV3)
    registry.upcaster("shop.item", 1, 2)(lambda d: d)
    registry.upcaster("shop.item", 2, 1)(lambda d: d)
    with pytest.raises(InvalidRegistry, match="cycle"):
        registry.validate()


def test_a_version_registered_twice_is_refused() -> None:
    with pytest.raises(InvalidRegistry):
        Registry().register(ItemV1, ItemV1)


def test_reading_before_validation_is_refused() -> None:
    registry = Registry().register(ItemV1)
    with pytest.raises(InvalidRegistry):
        registry.parse(new_envelope(ItemV1(name="x")).model_dump_json())


@pytest.mark.parametrize(
    ("mutate", "error", "text"),
    [
        (lambda e: "not json", MalformedMessage, "not JSON"),
        (lambda e: [], MalformedMessage, "JSON object"),
        (lambda e: {**e, "message_id": "x"}, MalformedMessage, "message_id"),
        (lambda e: {**e, "type": "shop.nothing"}, UnknownType, "shop.nothing"),
        (lambda e: {**e, "version": 7}, UnsupportedVersion, "v7"),
        (lambda e: {**e, "payload": {"name": 3}}, MalformedMessage, "name"),
        (lambda e: {**e, "payload": {"name": "a", "extra": 1}}, MalformedMessage, "extra"),
    ],
)
def test_unreadable_messages_raise_the_error_with_its_reason(
    mutate: Any, error: type[Exception], text: str
) -> None:
    raw = json.loads(new_envelope(ItemV1(name="x")).model_dump_json())
    body = mutate(raw)
    with pytest.raises(error, match=text):
        chained().parse(body if isinstance(body, str) else json.dumps(body))
