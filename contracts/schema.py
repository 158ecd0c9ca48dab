"""JSON Schema export of every contract: one document per (type, version), plus the envelope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope
from contracts.registry import Registry


def schemas(registry: Registry) -> dict[str, dict[str, Any]]:
    """`{"<type>.v<version>": schema}` for every model, and `"envelope"`."""
    out: dict[str, dict[str, Any]] = {"envelope": Envelope.model_json_schema()}
    for model in registry.models():
        schema = model.model_json_schema()
        schema["x-message-type"] = model.__message_type__
        schema["x-message-version"] = model.__version__
        out[f"{model.__message_type__}.v{model.__version__}"] = schema
    return out


def export(registry: Registry, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas(registry).items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        written.append(path)
    return written
