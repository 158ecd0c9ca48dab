"""Places on `eco2 up`'s embedded defaults: it starts with no places and says so, then
`eco2 places import` from another process (same data directory) fills its embedded
PostgreSQL, and the running system answers with them at once (the import's NOTIFY drops
the in-process cache).
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from support.env import ECO2
from support.servers import free_port
from tests.e2e.test_up import start_up
from tests.unit.services.places.conftest import shared_file

pytestmark = pytest.mark.slow

POINT = {"lat": "37.5665", "lon": "126.978", "radius": "50000"}


async def test_up_starts_empty_and_serves_what_an_import_adds(tmp_path: Path) -> None:
    keco = shared_file("keco_recycle_compensation_sites.csv")
    port = free_port()
    up = await start_up(tmp_path, port, "up.log")
    try:
        assert "no places stored yet" in up.output()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            empty = await client.get("/api/v1/places", params=POINT)
            assert empty.status_code == 200, empty.text
            assert empty.json() == {"items": [], "next_cursor": None}

            env = {k: v for k, v in os.environ.items() if not k.startswith("ECO2_")}
            importing = await asyncio.create_subprocess_exec(
                ECO2,
                "places",
                "import",
                str(keco),
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await importing.communicate()
            assert importing.returncode == 0, err.decode()
            assert "imported" in out.decode()

            for _ in range(100):
                page = (await client.get("/api/v1/places", params=POINT)).json()
                if page["items"]:
                    break
                await asyncio.sleep(0.1)
            assert len(page["items"]) == 20
            assert page["next_cursor"]
            assert (await client.get("/readyz")).status_code == 200
    finally:
        assert await up.stop(signal.SIGINT) == 0, up.output()
