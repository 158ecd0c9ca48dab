"""Reading the rules through the cache (cache-aside), searching the dictionary, matching
hints, and seeding rules and items at start.

A rules read tries Redis, then PostgreSQL, then fills Redis. A cached value that no longer
parses is treated as a miss and overwritten. The seed upserts the packaged rules and items
and drops the cache keys of categories whose content changed, so a new data file shows at
once. Search runs in PostgreSQL (trigram similarity over every name, `store.search`);
matching a hint runs in memory (`matcher`) over the same packaged dictionary the seed
loads, so both answer from one source.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from contracts.recycling.v1 import DisposalRules, Item
from services.recycling import domain, terms
from services.recycling.cache import Cache, rules_key
from services.recycling.content import Catalog
from services.recycling.dictionary import Dictionary
from services.recycling.dictionary import Item as Entry
from services.recycling.domain import Key
from services.recycling.errors import RecyclingError
from services.recycling.matcher import Matcher
from services.recycling.store import Found, Store

log = logging.getLogger(__name__)


class Source(Protocol):
    """Where the rules and items are kept (PostgreSQL: `store.Store`)."""

    async def rules(self, major: str, middle: str) -> DisposalRules | None:
        """The stored rules of one category, or None."""

    async def search(self, key: str, limit: int) -> list[Found]:
        """Items with a name like `key` (a `terms.key`), best first."""


@dataclass(frozen=True)
class Reader:
    source: Source
    cache: Cache

    async def rules(self, major: str, middle: str) -> DisposalRules:
        """The rules of a valid (major, middle), from the cache or the source."""
        key = rules_key(major, middle)
        cached = await self.cache.get(key)
        if cached is not None:
            try:
                return DisposalRules.model_validate_json(cached)
            except ValidationError:
                log.warning("recycling cache: %s holds an unreadable value, replacing it", key)
        rules = await self.source.rules(major, middle)
        if rules is None:
            raise RecyclingError("not_found", f"no disposal rules stored for {major}/{middle}")
        await self.cache.put(key, rules.model_dump_json())
        return rules

    async def search(self, q: str, limit: int) -> tuple[Item, ...]:
        """The items named like `q`, best first; nothing for a query without letters."""
        key = terms.key(q)
        if not key:
            return ()
        found = await self.source.search(key, limit)
        return tuple(
            Item(
                id=f.id,
                ko=f.ko,
                en=f.en,
                major=f.major,
                middle=f.middle,
                label=domain.label(f.major, f.middle),
                notes=f.notes,
                matched=f.matched,
            )
            for f in found
        )


def as_item(entry: Entry, matched: str) -> Item:
    """A dictionary entry as the contracts carry it."""
    return Item(
        id=entry.id,
        ko=entry.ko,
        en=entry.en,
        major=entry.major,
        middle=entry.middle,
        label=domain.label(entry.major, entry.middle),
        notes=entry.notes,
        matched=matched,
    )


def match(matcher: Matcher, text: str, limit: int) -> tuple[Item, ...]:
    """The items `text` names, most specific first (`Matcher.match`)."""
    return tuple(as_item(m.item, m.term) for m in matcher.match(text, limit))


async def seed(store: Store, cache: Cache, catalog: Catalog, dictionary: Dictionary) -> list[Key]:
    """Bring the stored rules and items up to the packaged ones; return the categories
    whose rules changed."""
    changed = await store.seed(catalog.categories)
    if changed:
        await cache.drop([rules_key(*key) for key in changed])
        log.info("recycling rules updated: %s", ", ".join("/".join(k) for k in changed))
    items = await store.seed_items(dictionary.items)
    if items:
        log.info("item dictionary: %d item(s) updated", len(items))
    return changed
