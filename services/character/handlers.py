"""Bus handlers of the `character` service and their registry table.

One group receives both queries (request/reply) and `user.*` events, so the table maps
each message type to its handler; event handlers return None. The table translates
`CharacterError` into `RequestFailed`: a requester receives an `error.reply` with its
code, and an event that fails that way is dead-lettered with it.

Every change is safe to deliver twice: events are claimed in the inbox in the same
transaction as their effect, and a grant is recorded per scan with the status it answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bus.ports import Handler, Message, Subscription
from contracts.accounts.v1 import UserDeleted, UserRegistered
from contracts.character.v1 import (
    Catalog,
    Character,
    GetCatalog,
    GetOwned,
    Grant,
    Granted,
    GrantStatus,
    Owned,
)
from services.character.catalog import CATALOG
from services.character.domain import default_character, for_middle, parse_user_id
from services.character.errors import CharacterError
from services.character.store import GrantRow, Store
from services.kit.table import table_subscription

GROUP = "character"


@dataclass(frozen=True)
class Characters:
    """Everything the handlers need, built once by the composition root."""

    store: Store
    catalog: tuple[Character, ...] = CATALOG


async def catalog(message: Message[GetCatalog], *, characters: tuple[Character, ...]) -> Catalog:
    return Catalog(items=characters)


async def owned(message: Message[GetOwned], *, store: Store) -> Owned:
    """The user's characters. The default one is owned from registration on: if the
    `user.registered` event is still on its way, this query grants it first, so a new
    user never sees an empty list (the event's grant then finds it owned)."""
    user_id = parse_user_id(message.payload.user_id)
    items = await store.owned(user_id)
    default = default_character().code
    if all(item.code != default for item in items):
        async with store.of_user(user_id) as tx:
            if await tx.erased(user_id):
                return Owned(items=())
            await tx.own(user_id, default, "default")
        items = await store.owned(user_id)
    return Owned(items=tuple(items))


async def grant(message: Message[Grant], *, store: Store) -> Granted:
    """Give the scan's character; the same scan asked again answers the same status."""
    p = message.payload
    user_id = parse_user_id(p.user_id)
    character = for_middle(p.middle)
    async with store.of_user(user_id) as tx:
        found = await tx.grant_of(p.scan_id)
        if found is None:
            if await tx.erased(user_id):
                raise CharacterError("user_deleted", "this account was deleted")
            newly = await tx.own(user_id, character.code, "scan", p.scan_id)
            status: GrantStatus = "newly_acquired" if newly else "already_owned"
            answer = GrantRow(p.scan_id, user_id, character.code, status)
            # Grants of one user take turns, so only another user's grant of the same scan
            # id can win this insert; the check below then rolls our ownership back.
            found = answer if await tx.record_grant(answer) else await tx.grant_of(p.scan_id)
        if found is None or (found.user_id, found.character_code) != (user_id, character.code):
            raise CharacterError(
                "grant_conflict", f"scan {p.scan_id} was granted to another user or character"
            )
    return Granted(user_id=p.user_id, scan_id=p.scan_id, character=character, status=found.status)


async def user_registered(message: Message[UserRegistered], *, store: Store) -> None:
    """Every new user owns the default character."""
    user_id = parse_user_id(message.payload.user_id)
    async with store.of_user(user_id) as tx:
        if await tx.claim(message.envelope.message_id) and not await tx.erased(user_id):
            await tx.own(user_id, default_character().code, "default")


async def user_deleted(message: Message[UserDeleted], *, store: Store) -> None:
    """Erase everything the user owned and every grant answered to them."""
    user_id = parse_user_id(message.payload.user_id)
    async with store.of_user(user_id) as tx:
        if await tx.claim(message.envelope.message_id):
            await tx.erase(user_id)


def table(deps: Characters) -> dict[str, Handler]:
    """Message type -> handler bound to its dependencies."""
    store = deps.store
    return {
        GetCatalog.__message_type__: partial(catalog, characters=deps.catalog),
        GetOwned.__message_type__: partial(owned, store=store),
        Grant.__message_type__: partial(grant, store=store),
        UserRegistered.__message_type__: partial(user_registered, store=store),
        UserDeleted.__message_type__: partial(user_deleted, store=store),
    }


def subscriptions(deps: Characters) -> list[Subscription]:
    return [table_subscription(GROUP, table(deps))]
