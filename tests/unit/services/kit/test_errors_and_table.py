"""The kit's coded error and table: a domain error answers a request with its code and
dead-letters an event with it; any other failure stays the bus's (retried)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest

from bus.memory import MemoryBus
from bus.policy import RetryPolicy
from bus.ports import Message, RemoteError
from contracts import new_envelope
from contracts.accounts.v1 import UserDeleted
from contracts.catalog import build_registry
from contracts.system.v1 import Ping, Pong
from services.kit.errors import DomainError
from services.kit.table import table_subscription
from tests.contract.bus_suite import eventually


class NoteError(DomainError[Literal["no_note", "too_long"]]):
    """A domain's thin subclass, as each domain keeps one."""


def test_a_domain_error_keeps_its_code_message_and_details() -> None:
    error = NoteError("too_long", "a note has at most 10 characters", limit=10, got=12)
    assert (error.code, error.message) == ("too_long", "a note has at most 10 characters")
    assert error.details == {"limit": 10, "got": 12}
    assert str(error) == "too_long: a note has at most 10 characters (got=12, limit=10)"
    assert str(NoteError("no_note", "none")) == "no_note: none"
    assert isinstance(error, DomainError)


async def ping(message: Message[Ping]) -> Pong:
    if message.payload.note == "missing":
        raise NoteError("no_note", "there is no such note", note=message.payload.note)
    if message.payload.note == "broken":
        raise RuntimeError("the disk is on fire")
    return Pong(ping_id="p", note=message.payload.note, handled_by="kit")


attempts: list[int] = []


async def user_deleted(message: Message[UserDeleted]) -> None:
    attempts.append(message.attempt)
    raise NoteError("no_note", f"nothing to erase for {message.payload.user_id}")


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    attempts.clear()
    bus = MemoryBus(
        build_registry(),
        policy=RetryPolicy(max_attempts=3, base_delay=0.01, factor=2, max_delay=0.02),
        request_timeout=5.0,
    )
    handlers: dict[str, Any] = {"system.ping": ping, "user.deleted": user_deleted}
    bus.subscribe(table_subscription("notes", handlers))
    await bus.start()
    yield bus
    await bus.close()


def test_the_table_binds_every_type_it_serves() -> None:
    subscription = table_subscription("notes", {"user.deleted": user_deleted, "system.ping": ping})
    assert (subscription.group, list(subscription.bindings)) == (
        "notes",
        ["system.ping", "user.deleted"],
    )


async def test_a_request_is_answered(bus: MemoryBus) -> None:
    reply = await bus.request(new_envelope(Ping(note="hello")))
    assert isinstance(reply.payload, Pong)
    assert reply.payload.note == "hello"


async def test_a_domain_error_answers_the_request_with_its_code(bus: MemoryBus) -> None:
    with pytest.raises(RemoteError) as info:
        await bus.request(new_envelope(Ping(note="missing")))
    assert (info.value.code, info.value.message) == ("no_note", "there is no such note")


async def test_any_other_failure_is_not_a_domain_answer(bus: MemoryBus) -> None:
    with pytest.raises(RemoteError) as info:
        await bus.request(new_envelope(Ping(note="broken")))
    assert info.value.code == "internal_error"


async def test_a_domain_error_dead_letters_an_event_at_once_with_its_code(bus: MemoryBus) -> None:
    await bus.publish(new_envelope(UserDeleted(user_id="u1")))
    await eventually(lambda: len(bus.broker.dead["notes"]) == 1)
    [dead] = bus.broker.dead["notes"]
    assert (dead.reason, dead.detail) == ("no_note", "nothing to erase for u1")
    assert attempts == [1]
