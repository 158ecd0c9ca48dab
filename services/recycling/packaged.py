"""The recycling service's packaged data files (`data/*.json`), read and checked against
their schema, so a malformed file fails the build with a ContentError that names it."""

from __future__ import annotations

import json
from importlib import resources
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from services.recycling.errors import ContentError

Model = TypeVar("Model", bound=BaseModel)


def read(name: str) -> object:
    """The parsed JSON of `data/<name>`."""
    text = (resources.files("services.recycling") / "data" / name).read_text("utf-8")
    parsed: object = json.loads(text)
    return parsed


def validate(model: type[Model], raw: object, what: str) -> Model:
    """`raw` as `model`, or ContentError saying `what` does not match its schema."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ContentError(f"{what} does not match its schema: {exc}") from None
