"""Schema `recycling` in PostgreSQL: the rules of every category. Only SQL lives here."""

from __future__ import annotations

import json

import asyncpg

from contracts.recycling.v1 import DisposalRules
from services.recycling.content import Category
from services.recycling.domain import Key
from services.recycling.errors import SchemaMissing

SCHEMA = "recycling"
_SEED_LOCK = 0x6563_6F32_7263  # "eco2rc": concurrent replicas seed one after another

Row = tuple[int, DisposalRules, tuple[str, ...]]


class Store:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def seed(self, categories: tuple[Category, ...]) -> list[Key]:
        """Upsert `categories` and delete rows of categories no longer listed; return the
        keys whose stored content changed (inserted, updated or deleted)."""
        columns: tuple[list[object], ...] = ([], [], [], [], [], [], [])
        for category in categories:
            rules = category.rules
            values = (
                rules.major,
                rules.middle,
                category.position,
                rules.label,
                rules.model_dump_json(),
                json.dumps(list(category.minors), ensure_ascii=False),
                category.version,
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEED_LOCK)
                changed = await conn.fetch(
                    "INSERT INTO recycling.rules AS r"
                    " (major, middle, position, label, rules, minors, content_version)"
                    " SELECT m, d, p, l, r::jsonb, n::jsonb, v FROM unnest("
                    "$1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],"
                    " $7::text[]) AS t(m, d, p, l, r, n, v)"
                    " ON CONFLICT (major, middle) DO UPDATE SET position = excluded.position,"
                    " label = excluded.label, rules = excluded.rules, minors = excluded.minors,"
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
            raise SchemaMissing(
                "schema recycling is missing; run `eco2 migrate` before `eco2 run recycling`"
            ) from exc
        return [(row["major"], row["middle"]) for row in (*changed, *removed)]

    async def rules(self, major: str, middle: str) -> DisposalRules | None:
        """The stored rules of one category."""
        raw = await self._pool.fetchval(
            "SELECT rules FROM recycling.rules WHERE major = $1 AND middle = $2", major, middle
        )
        return None if raw is None else DisposalRules.model_validate_json(raw)

    async def categories(self) -> list[Row]:
        """Every stored category as (position, rules, minors), in taxonomy order."""
        rows = await self._pool.fetch(
            "SELECT position, rules, minors FROM recycling.rules ORDER BY position"
        )
        return [
            (
                row["position"],
                DisposalRules.model_validate_json(row["rules"]),
                tuple(json.loads(row["minors"])),
            )
            for row in rows
        ]
