"""Published contracts are frozen: every (type, version) has a golden example envelope and a
schema snapshot; an example must still parse (upcast to the newest model) and the schema
must not change. New contracts get their files with `ECO2_WRITE_GOLDEN=1` (never overwrites).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from contracts import Envelope
from contracts.catalog import build_registry
from contracts.schema import schemas

GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("ECO2_WRITE_GOLDEN") == "1"
REGISTRY = build_registry()
MODELS = {f"{m.__message_type__}.v{m.__version__}": m for m in REGISTRY.models()}
SCHEMAS = schemas(REGISTRY)


def _load_or_write(path: Path, current: dict[str, Any] | None) -> dict[str, Any]:
    if not path.exists():
        if WRITE and current is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                json.dumps(current, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
            )
        else:
            pytest.fail(f"{path.name} is missing: write one (ECO2_WRITE_GOLDEN=1) and review it")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_published_schema_is_unchanged(name: str) -> None:
    snapshot = _load_or_write(GOLDEN / "schemas" / f"{name}.schema.json", SCHEMAS[name])
    assert SCHEMAS[name] == snapshot, (
        f"the published schema of {name} changed; publish a new version with an upcaster instead"
    )


@pytest.mark.parametrize("name", sorted(MODELS))
def test_golden_example_parses_as_the_newest_model(name: str) -> None:
    example = _load_or_write(GOLDEN / "messages" / f"{name}.json", None)
    envelope, payload = REGISTRY.parse(json.dumps(example))
    model = MODELS[name]
    assert (envelope.type, envelope.version) == (model.__message_type__, model.__version__)
    assert type(payload) is REGISTRY.newest(envelope.type)


def test_every_golden_file_belongs_to_a_registered_contract() -> None:
    known = set(MODELS)
    stray = [p.name for p in (GOLDEN / "messages").glob("*.json") if p.stem not in known]
    assert stray == [], "golden examples of unregistered contracts (a contract was removed?)"
    assert Envelope.model_json_schema() == SCHEMAS["envelope"]
