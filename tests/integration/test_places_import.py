"""`eco2 places import` as an operator runs it, against a real PostgreSQL: the whole shared
KECO file (counts, every refused row with its line and reason, a second run changing
nothing), the zero-waste sample, a dry run, bad files and formats, and the KECO API
through a local fake that serves the shared file as JSON pages.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.places.hours import WeeklySchedule
from services.places.importers import Imported, SourceRow, import_file
from services.places.importers.files import table
from services.runtime import components
from support.databases import fresh_database
from support.env import ECO2
from support.servers import serve_fake
from tests.unit.services.places.conftest import shared_file
from tests.unit.services.places.test_keco_api import KEY, FakeKeco

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KECO_REFUSED = {
    706: "coordinates_outside_korea",
    1457: "coordinates_unreadable",
    2638: "coordinates_outside_korea",
    2711: "coordinates_missing",
    2714: "coordinates_missing",
    2720: "coordinates_missing",
    2723: "coordinates_missing",
    2729: "coordinates_missing",
    3016: "coordinates_outside_korea",
    3042: "coordinates_missing",
    3086: "coordinates_missing",
    3096: "coordinates_missing",
    3126: "coordinates_unreadable",
    3148: "coordinates_missing",
}


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_url, "eco2_places_cli", components.MIGRATIONS) as url:
        yield url


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECO2_")}
    return {**env, "ECO2_DATABASE_URL": url, "ECO2_LOG_LEVEL": "WARNING", **extra}


async def eco2(url: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    process = await asyncio.create_subprocess_exec(
        ECO2,
        "places",
        "import",
        *args,
        env=_env(url, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


def report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


async def stored(url: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(
            "SELECT source, source_id, name, lat, lon, category, accepts, hours, updated_at"
            " FROM places.places ORDER BY source, source_id"
        )
    finally:
        await connection.close()


async def test_the_whole_keco_file_imports_once_and_a_second_run_changes_nothing(
    database: str,
) -> None:
    keco = str(shared_file("keco_recycle_compensation_sites.csv"))
    first = report(await eco2(database, keco, "--json"))
    assert (first["source"], first["read"], first["imported"]) == ("keco", 409, 395)
    assert (first["updated"], first["unchanged"]) == (0, 0)
    assert {r["line"]: r["code"] for r in first["refused"]} == KECO_REFUSED
    assert all(r["reason"] and r["source_id"] for r in first["refused"])
    rows = await stored(database)
    assert len(rows) == 395
    assert {r["source"] for r in rows} == {"keco"}
    assert all(33 <= r["lat"] <= 39 and 124 <= r["lon"] <= 132 for r in rows)
    expected = {
        r.place.source_id: r.place
        for r in import_file(Path(keco)).results
        if isinstance(r, Imported)
    }
    for row in rows:
        place = expected[row["source_id"]]
        assert (row["name"], row["category"]) == (place.name, place.category.value)
        assert row["accepts"] == [a.value for a in place.accepts]
        assert WeeklySchedule.model_validate_json(row["hours"]) == place.hours

    second = report(await eco2(database, keco, "--json", "--format", "keco"))
    assert (second["read"], second["imported"], second["updated"]) == (409, 0, 0)
    assert second["unchanged"] == 395
    assert second["refused"] == first["refused"]
    assert await stored(database) == rows, "not a row rewritten, not even updated_at"


async def test_a_human_report_and_a_dry_run(database: str) -> None:
    sample = str(shared_file("zero_waste_map.sample.csv"))
    dry = await eco2(database, sample, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing written" in dry.stdout
    assert await stored(database) == []
    real = report(await eco2(database, sample, "--json"))
    assert real["source"] == "zero-waste"
    assert real["imported"] == real["read"] - len(real["refused"]) > 0
    assert len(await stored(database)) == real["imported"]
    again = await eco2(database, sample, "--dry-run", "--json")
    assert report(again)["unchanged"] == real["imported"]


async def test_an_unreadable_file_or_an_unknown_format_is_a_clear_error(
    database: str, tmp_path: Path
) -> None:
    missing = await eco2(database, str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    unknown = await eco2(database, str(other))
    assert unknown.returncode == 2
    assert "match no known format" in unknown.stderr
    sample = str(shared_file("zero_waste_map.sample.csv"))
    wrong = await eco2(database, sample, "--format", "keco")
    assert wrong.returncode == 2
    assert "missing column" in wrong.stderr
    bogus = await eco2(database, sample, "--format", "gpx")
    assert bogus.returncode == 2
    assert "unknown format 'gpx'" in bogus.stderr
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    assert (await eco2(database, str(binary))).returncode == 2
    assert await stored(database) == []


async def test_the_keco_api_page_by_page(database: str) -> None:
    path = shared_file("keco_recycle_compensation_sites.csv")
    rows = [r for r in table(path.read_text(encoding="utf-8")).records if isinstance(r, SourceRow)]
    fake = FakeKeco(rows=[dict(r.fields) for r in rows], fail={2: [503]})
    async with serve_fake(fake) as served:
        base = {"ECO2_KECO_API_BASE_URL": f"{served.base}/getCmpnPositnInfo"}
        fetched = report(
            await eco2(database, "--from", "keco-api", "--service-key", KEY, "--json", **base)
        )
        refused = await eco2(database, "--from", "keco-api", "--service-key", "wrong", **base)
    assert (fetched["read"], fetched["imported"], len(fetched["refused"])) == (409, 395, 14)
    assert len(await stored(database)) == 395
    assert refused.returncode == 1
    assert "SERVICE_KEY_IS_NOT_REGISTERED_ERROR" in refused.stderr
    assert "wrong" not in refused.stderr
    no_key = await eco2(database, "--from", "keco-api")
    assert no_key.returncode == 2
    assert "--service-key" in no_key.stderr
