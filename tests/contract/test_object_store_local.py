"""The object-store contract suite against the local-directory adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from objects import LocalObjectStore
from tests.contract.object_store_suite import ObjectStoreContract


class TestLocalObjectStore(ObjectStoreContract):
    PRESIGNS = False

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[LocalObjectStore]:
        async with LocalObjectStore(tmp_path / "objects") as store:
            yield store


async def test_no_partial_files_are_left_behind(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    await store.put("uploads/a.jpg", b"x" * 1000, "image/jpeg")
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == ["a.jpg"]
