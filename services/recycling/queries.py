"""Reading the rules through the cache (cache-aside), and seeding them at start.

A read tries Redis, then PostgreSQL, then fills Redis. A cached value that no longer
parses is treated as a miss and overwritten. The seed upserts the packaged rules and drops
the cache keys of categories whose content changed, so a new data file shows at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from contracts.recycling.v1 import DisposalRules
from services.recycling.cache import INDEX_KEY, Cache, rules_key
from services.recycling.content import Catalog
from services.recycling.domain import Key
from services.recycling.errors import RecyclingError
from services.recycling.search import INDEX, Entry, build_index
from services.recycling.store import Store

log = logging.getLogger(__name__)


class Source(Protocol):
    """Where the rules are kept (PostgreSQL: `store.Store`)."""

    async def rules(self, major: str, middle: str) -> DisposalRules | None:
        """The stored rules of one category, or None."""

    async def categories(self) -> list[tuple[int, DisposalRules, tuple[str, ...]]]:
        """Every category as (position, rules, minors), in taxonomy order."""


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

    async def index(self) -> tuple[Entry, ...]:
        """The search index, from the cache or built from the source."""
        cached = await self.cache.get(INDEX_KEY)
        if cached is not None:
            try:
                return INDEX.validate_json(cached)
            except ValidationError:
                log.warning("recycling cache: the search index is unreadable, replacing it")
        index = build_index(await self.source.categories())
        await self.cache.put(INDEX_KEY, INDEX.dump_json(index).decode())
        return index


async def seed(store: Store, cache: Cache, catalog: Catalog) -> list[Key]:
    """Bring the stored rules up to the packaged ones; return the categories that changed."""
    changed = await store.seed(catalog.categories)
    if changed:
        await cache.drop([INDEX_KEY, *(rules_key(*key) for key in changed)])
        log.info("recycling rules updated: %s", ", ".join("/".join(k) for k in changed))
    return changed
