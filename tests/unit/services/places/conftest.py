"""Where the shared places data sets are: `../shared/data/places/` beside the repository.

The files are real public data kept outside the repository (never copied into it). A
checkout whose `../shared` is elsewhere (a git worktree) can point `ECO2_SHARED_DIR` at
the shared folder. Missing files fail under ECO2_REQUIRE_SERVICES=1 and skip otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from services.places.importers import Imported, Result, SourceRow, import_file
from services.places.model import Place, Source
from support.env import unavailable

REPO = Path(__file__).resolve().parents[4]


def shared_file(name: str) -> Path:
    """The path of a shared places data file; fails or skips when it is not there."""
    shared = Path(os.environ.get("ECO2_SHARED_DIR") or REPO.parent / "shared")
    path = shared / "data" / "places" / name
    if not path.is_file():
        unavailable(f"the shared places data file {name} is not at {path}")
    return path


@dataclass(frozen=True)
class Run:
    """A whole shared file through its importer."""

    results: list[Result]

    @cached_property
    def places(self) -> dict[str, Place]:
        """The imported places by source id."""
        return {r.place.source_id: r.place for r in self.results if isinstance(r, Imported)}


def row_of(base: Mapping[str, str], line: int = 7, **cells: str) -> SourceRow:
    """A source row at `line`: the `base` cells, some replaced by `cells`."""
    return SourceRow(line=line, fields={**base, **cells})


def imported(path: Path, source: Source) -> Run:
    run = import_file(path)
    assert run.source == source, "the format is detected from the columns"
    return Run(results=list(run.results))


@pytest.fixture(scope="session")
def keco_file() -> Path:
    return shared_file("keco_recycle_compensation_sites.csv")


@pytest.fixture(scope="session")
def zero_waste_file() -> Path:
    return shared_file("zero_waste_map.sample.csv")


@pytest.fixture(scope="session")
def keco_run(keco_file: Path) -> Run:
    return imported(keco_file, Source.KECO)


@pytest.fixture(scope="session")
def zero_waste_run(zero_waste_file: Path) -> Run:
    return imported(zero_waste_file, Source.ZERO_WASTE)
