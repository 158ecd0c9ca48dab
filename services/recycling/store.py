"""Schema `recycling` in PostgreSQL: the rules of every category and the item dictionary
with its names (trigram-indexed for search). Only SQL lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from contracts.recycling.v1 import DisposalRules
from services.recycling import terms
from services.recycling.content import Category
from services.recycling.dictionary import Item
from services.recycling.domain import Key
from services.recycling.errors import SchemaMissing

SCHEMA = "recycling"
_SEED_LOCK = 0x6563_6F32_7263  # "eco2rc": concurrent replicas seed one after another
_MISSING = "schema recycling is missing; run `eco2 migrate` before `eco2 run recycling`"


@dataclass(frozen=True)
class Found:
    """A search result: the item's row, the name that matched and how well."""

    id: str
    ko: str
    en: str
    major: str
    middle: str
    notes: str | None
    matched: str
    rank: int  # 0 the whole name, 1 its start, 2 inside it, 3 only similar
    similarity: float


class Store:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def seed(self, categories: tuple[Category, ...]) -> list[Key]:
        """Upsert `categories` and delete rows of categories no longer listed; return the
        keys whose stored content changed (inserted, updated or deleted)."""
        columns: tuple[list[object], ...] = ([], [], [], [], [], [])
        for category in categories:
            rules = category.rules
            values = (
                rules.major,
                rules.middle,
                category.position,
                rules.label,
                rules.model_dump_json(),
                category.version,
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEED_LOCK)
                changed = await conn.fetch(
                    "INSERT INTO recycling.rules AS r"
                    " (major, middle, position, label, rules, content_version)"
                    " SELECT m, d, p, l, r::jsonb, v FROM unnest("
                    "$1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[])"
                    " AS t(m, d, p, l, r, v)"
                    " ON CONFLICT (major, middle) DO UPDATE SET position = excluded.position,"
                    " label = excluded.label, rules = excluded.rules,"
                    " content_version = excluded.content_version, updated_at = now()"
                    " WHERE r.content_version <> excluded.content_version"
                    " RETURNING major, middle",
                    *columns,
                )
                removed = await conn.fetch(
                    "DELETE FROM recycling.rules WHERE (major, middle) NOT IN"
                    " (SELECT * FROM unnest($1::text[], $2::text[])) RETURNING major, middle",
                    columns[0],
                    columns[1],
                )
        except asyncpg.UndefinedTableError as exc:
            raise SchemaMissing(_MISSING) from exc
        return [(row["major"], row["middle"]) for row in (*changed, *removed)]

    async def seed_items(self, items: Sequence[Item]) -> list[str]:
        """Upsert the dictionary's items and their names, delete items no longer listed;
        return the ids whose stored content changed (inserted, updated or deleted)."""
        columns: tuple[list[object], ...] = ([], [], [], [], [], [], [], [], [])
        for position, item in enumerate(items):
            values = (
                *(item.id, item.ko, item.en, item.major, item.middle, item.notes),
                *(item.part, position, item.version),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEED_LOCK)
                changed = await conn.fetch(
                    "INSERT INTO recycling.items AS i"
                    " (id, ko, en, major, middle, notes, part, position, content_version)"
                    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                    " $5::text[], $6::text[], $7::bool[], $8::int[], $9::text[])"
                    " ON CONFLICT (id) DO UPDATE SET ko = excluded.ko, en = excluded.en,"
                    " major = excluded.major, middle = excluded.middle, notes = excluded.notes,"
                    " part = excluded.part, position = excluded.position,"
                    " content_version = excluded.content_version, updated_at = now()"
                    " WHERE (i.content_version, i.position)"
                    " IS DISTINCT FROM (excluded.content_version, excluded.position)"
                    " RETURNING id",
                    *columns,
                )
                removed = await conn.fetch(
                    "DELETE FROM recycling.items WHERE id <> ALL($1::text[]) RETURNING id",
                    columns[0],
                )
                ids = [row["id"] for row in changed]
                by_id = {item.id: item for item in items}
                names = [
                    (item_id, name, terms.key(name))
                    for item_id in ids
                    for name in by_id[item_id].names
                ]
                await conn.execute("DELETE FROM recycling.item_names WHERE item_id = ANY($1)", ids)
                await conn.executemany(
                    "INSERT INTO recycling.item_names (item_id, name, key) VALUES ($1, $2, $3)",
                    names,
                )
        except asyncpg.UndefinedTableError as exc:
            raise SchemaMissing(_MISSING) from exc
        return [*ids, *(row["id"] for row in removed)]

    async def search(self, key: str, limit: int) -> list[Found]:
        """Items with a name whose key (`terms.key`) is, starts with, holds or is like
        `key`, best first: by how it matched, then trigram similarity, whole items before
        parts, then dictionary order. One row per item, with its best-matching name."""
        rows = await self._pool.fetch(
            "SELECT * FROM ("
            " SELECT DISTINCT ON (i.id) i.id, i.ko, i.en, i.major, i.middle, i.notes, i.part,"
            " i.position, n.name AS matched, m.rank, m.similarity"
            " FROM recycling.item_names n JOIN recycling.items i ON i.id = n.item_id,"
            " LATERAL (SELECT CASE WHEN n.key = $1 THEN 0 WHEN n.key LIKE $1 || '%' THEN 1"
            " WHEN n.key LIKE '%' || $1 || '%' THEN 2 ELSE 3 END AS rank,"
            " similarity(n.key, $1) AS similarity) m"
            " WHERE n.key LIKE '%' || $1 || '%' OR n.key % $1"
            " ORDER BY i.id, m.rank, m.similarity DESC, length(n.key)"
            ") best ORDER BY rank, similarity DESC, part, position LIMIT $2",
            key,
            limit,
        )
        return [
            Found(
                id=row["id"],
                ko=row["ko"],
                en=row["en"],
                major=row["major"],
                middle=row["middle"],
                notes=row["notes"],
                matched=row["matched"],
                rank=row["rank"],
                similarity=row["similarity"],
            )
            for row in rows
        ]

    async def rules(self, major: str, middle: str) -> DisposalRules | None:
        """The stored rules of one category."""
        raw = await self._pool.fetchval(
            "SELECT rules FROM recycling.rules WHERE major = $1 AND middle = $2", major, middle
        )
        return None if raw is None else DisposalRules.model_validate_json(raw)
