"""The sync loop's PostgreSQL target turns every face of an outage into `SyncUnavailable`,
so the loop backs off and retries instead of ending the worker."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
import pytest

from journal.ports import SyncUnavailable
from journal.postgres.outcomes import PostgresTarget


class BrokenPool:
    """A pool whose COPY meets `error`, as when the server ends the connection mid-COPY."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def copy_records_to_table(self, *args: Any, **kwargs: Any) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.InternalClientError("cannot switch to state 21; another operation is in progress"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        ConnectionResetError("reset by peer"),
        TimeoutError(),
    ],
)
async def test_an_outage_is_sync_unavailable(error: BaseException) -> None:
    target = PostgresTarget(cast(asyncpg.Pool, BrokenPool(error)))
    with pytest.raises(SyncUnavailable, match="PostgreSQL"):
        await target.ship("ai", [])
