"""Payloads used only by the bus contract suite, on their own routing keys (`testbus.*`)."""

from typing import ClassVar

from contracts import Registry
from contracts.catalog import build_registry
from contracts.envelope import Payload


class Note(Payload):
    __message_type__: ClassVar[str] = "testbus.note"
    __version__: ClassVar[int] = 1

    text: str


class Echoed(Payload):
    __message_type__: ClassVar[str] = "testbus.echoed"
    __version__: ClassVar[int] = 1

    text: str


class Other(Payload):
    __message_type__: ClassVar[str] = "testbus.other.thing"
    __version__: ClassVar[int] = 1

    n: int


def registry() -> Registry:
    reg = build_registry()
    return reg.register(Note, Echoed, Other).validate()
