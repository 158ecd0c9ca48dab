"""Schema `places` in PostgreSQL: the upsert of imported places and the queries. SQL only.

Nearby is `cube` + `earthdistance`: the GiST index on `ll_to_earth(lat, lon)` answers the
`earth_box` prefilter (a cube around the sphere's circle, a superset), `earth_distance`
re-checks the radius and orders, and the keyset `(distance, id) > (cursor)` continues a
page exactly after the previous one. Category and accepted items are filtered here, in
the same statement, so the limit counts only matching places. Distances are great-circle
metres on earthdistance's sphere (radius `earth()`, 6,378,168 m).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from journal.postgres.outbox import Connection
from services.kit.store import PostgresStore, Statements
from services.places.errors import SchemaMissing
from services.places.model import Place

SCHEMA = "places"

_COLUMNS = (
    "id, source, source_id, name, address, alt_address, lat, lon, phone, phones, category,"
    " accepts, items, hours, url, notes, updated_at"
)
_DISTANCE = "public.earth_distance(public.ll_to_earth($1, $2), public.ll_to_earth(lat, lon))"
_NEARBY = (
    f"SELECT * FROM (SELECT {_COLUMNS}, {_DISTANCE} AS distance_m FROM places.places"
    " WHERE public.earth_box(public.ll_to_earth($1, $2), $3) @> public.ll_to_earth(lat, lon)"
    " AND ($4::text[] IS NULL OR category = ANY($4))"
    " AND ($5::text[] IS NULL OR accepts && $5)) AS near"
    " WHERE distance_m <= $3 AND (distance_m, id) > ($6, $7)"
    " ORDER BY distance_m, id LIMIT $8"
)
# The same answer without the index: every row's distance (the benchmark's baseline).
FULL_SCAN = (
    f"SELECT * FROM (SELECT {_COLUMNS}, {_DISTANCE} AS distance_m FROM places.places"
    " WHERE ($4::text[] IS NULL OR category = ANY($4))"
    " AND ($5::text[] IS NULL OR accepts && $5)) AS near"
    " WHERE distance_m <= $3 AND (distance_m, id) > ($6, $7)"
    " ORDER BY distance_m, id LIMIT $8"
)
NEARBY = _NEARBY


@dataclass(frozen=True)
class Row:
    """One stored place; `distance_m` is None when the query had no point."""

    id: int
    source: str
    source_id: str
    name: str
    address: str | None
    alt_address: str | None
    lat: float
    lon: float
    phone: str | None
    phones: tuple[str, ...]
    category: str
    accepts: tuple[str, ...]
    items: tuple[str, ...]
    hours: str
    url: str | None
    notes: tuple[str, ...]
    updated_at: datetime
    distance_m: float | None = None

    @classmethod
    def of(cls, record: asyncpg.Record) -> Row:
        fields = dict(record)
        for name in ("phones", "accepts", "items", "notes"):
            fields[name] = tuple(fields[name])
        return cls(**fields)


@dataclass(frozen=True)
class Upserted:
    """What one upsert did: places new to the table, changed, and already the same."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def content_version(place: Place) -> str:
    """A digest of everything stored: a re-import rewrites a row only when it changes."""
    return hashlib.sha256(place.model_dump_json().encode()).hexdigest()


async def upsert(connection: Connection, places: Sequence[Place]) -> Upserted:
    """Insert or update `places` (distinct (source, source_id)) in one statement, on a
    connection (in its transaction)."""
    columns: tuple[list[object], ...] = tuple([] for _ in range(16))
    for place in places:
        values = (
            place.source.value,
            place.source_id,
            place.name,
            place.address,
            place.alt_address,
            place.lat,
            place.lon,
            place.phone,
            json.dumps(list(place.phones)),
            place.category.value,
            json.dumps([a.value for a in place.accepts]),
            json.dumps(list(place.items), ensure_ascii=False),
            place.hours.model_dump_json(),
            place.url,
            json.dumps(list(place.notes), ensure_ascii=False),
            content_version(place),
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    try:
        rows = await connection.fetch(
            "INSERT INTO places.places AS p (source, source_id, name, address, alt_address,"
            " lat, lon, phone, phones, category, accepts, items, hours, url, notes,"
            " content_version)"
            " SELECT s, i, n, a, aa, la, lo, ph,"
            " ARRAY(SELECT jsonb_array_elements_text(phs::jsonb)), c,"
            " ARRAY(SELECT jsonb_array_elements_text(ac::jsonb)),"
            " ARRAY(SELECT jsonb_array_elements_text(it::jsonb)), h::jsonb, u,"
            " ARRAY(SELECT jsonb_array_elements_text(no::jsonb)), v"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " $6::float8[], $7::float8[], $8::text[], $9::text[], $10::text[], $11::text[],"
            " $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])"
            " AS t(s, i, n, a, aa, la, lo, ph, phs, c, ac, it, h, u, no, v)"
            " ON CONFLICT (source, source_id) DO UPDATE SET name = excluded.name,"
            " address = excluded.address, alt_address = excluded.alt_address,"
            " lat = excluded.lat, lon = excluded.lon, phone = excluded.phone,"
            " phones = excluded.phones, category = excluded.category,"
            " accepts = excluded.accepts, items = excluded.items, hours = excluded.hours,"
            " url = excluded.url, notes = excluded.notes,"
            " content_version = excluded.content_version, updated_at = now()"
            " WHERE p.content_version <> excluded.content_version"
            " RETURNING (xmax = 0) AS inserted",
            *columns,
        )
    except asyncpg.UndefinedTableError as exc:
        raise SchemaMissing(_MISSING) from exc
    inserted = sum(1 for row in rows if row["inserted"])
    return Upserted(inserted, len(rows) - inserted, len(places) - len(rows))


_MISSING = "schema places is missing; run `eco2 migrate` first"


class Tx(Statements):
    """The statements of an import's transaction."""

    schema = SCHEMA

    async def upsert(self, places: Sequence[Place]) -> Upserted:
        return await upsert(self._conn, places)

    async def notify(self, channel: str, payload: str) -> None:
        """`NOTIFY channel, payload`, delivered to listeners when the transaction commits."""
        await self._conn.execute("SELECT pg_notify($1, $2)", channel, payload)


class Store(PostgresStore[Tx]):
    """Reads on the pool; `transaction()` for an import."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool, Tx)

    async def nearby(
        self,
        point: tuple[float, float],
        radius_m: float,
        categories: Sequence[str],
        accepts: Sequence[str],
        after: tuple[float, int] | None,
        limit: int,
    ) -> list[Row]:
        """Up to `limit` matching places within `radius_m`, nearest first, after `after`."""
        distance, last_id = after if after is not None else (-1.0, 0)
        try:
            rows = await self._pool.fetch(
                NEARBY,
                point[0],
                point[1],
                float(radius_m),
                list(categories) or None,
                list(accepts) or None,
                distance,
                last_id,
                limit,
            )
        except asyncpg.UndefinedTableError as exc:
            raise SchemaMissing(_MISSING) from exc
        return [Row.of(row) for row in rows]

    async def get(self, place_id: int) -> Row | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM places.places WHERE id = $1", place_id
        )
        return None if row is None else Row.of(row)

    async def search(self, q: str, point: tuple[float, float] | None, limit: int) -> list[Row]:
        """Places whose name or address contains `q` or is trigram-similar to it: nearest
        first with a point, else most similar first."""
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        distance = (
            "public.earth_distance(public.ll_to_earth($3, $4), public.ll_to_earth(lat, lon))"
            if point is not None
            else "NULL::float8"
        )
        order = "distance_m, id" if point is not None else "score DESC, id"
        sql = (
            f"SELECT {_COLUMNS}, {distance} AS distance_m FROM ("
            f" SELECT {_COLUMNS}, greatest(public.similarity(name, $1),"
            " public.similarity(coalesce(address, ''), $1)) AS score FROM places.places"
            " WHERE name ILIKE $2 OR address ILIKE $2 OR name OPERATOR(public.%) $1"
            " OR address OPERATOR(public.%) $1) AS hit"
            f" ORDER BY {order} LIMIT {int(limit)}"
        )
        args: list[object] = [q, pattern]
        if point is not None:
            args += [point[0], point[1]]
        rows = await self._pool.fetch(sql, *args)
        return [Row.of(row) for row in rows]

    async def count(self) -> int:
        """How many places are stored."""
        try:
            return int(await self._pool.fetchval("SELECT count(*) FROM places.places"))
        except asyncpg.UndefinedTableError as exc:
            raise SchemaMissing(_MISSING) from exc
