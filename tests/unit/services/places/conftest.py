"""Where the shared places data sets are: `../shared/data/places/` beside the repository.

The files are real public data kept outside the repository (never copied into it). A
checkout whose `../shared` is elsewhere (a git worktree) can point `ECO2_SHARED_DIR` at
the shared folder. Missing files fail under ECO2_REQUIRE_SERVICES=1 and skip otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import unavailable

REPO = Path(__file__).resolve().parents[4]


def shared_file(name: str) -> Path:
    """The path of a shared places data file; fails or skips when it is not there."""
    shared = Path(os.environ.get("ECO2_SHARED_DIR") or REPO.parent / "shared")
    path = shared / "data" / "places" / name
    if not path.is_file():
        unavailable(f"the shared places data file {name} is not at {path}")
    return path


@pytest.fixture(scope="session")
def keco_file() -> Path:
    return shared_file("keco_recycle_compensation_sites.csv")


@pytest.fixture(scope="session")
def zero_waste_file() -> Path:
    return shared_file("zero_waste_map.sample.csv")
