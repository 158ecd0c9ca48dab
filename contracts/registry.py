"""The registry of (type, version) -> payload model, and the upcaster chains between versions.

Readers (the bus, the journal) parse any published version and hand handlers the newest
model: an old payload is upcast one version at a time by pure `dict -> dict` functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from contracts.envelope import Envelope, Payload

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class ContractError(Exception):
    """A message the registry cannot turn into a payload; `reason` is a stable code."""

    reason = "contract_error"


class MalformedMessage(ContractError):
    reason = "malformed"


class UnknownType(ContractError):
    reason = "unknown_type"


class UnsupportedVersion(ContractError):
    reason = "unsupported_version"


class InvalidRegistry(Exception):
    """The registered versions and upcasters do not form one chain per type."""


@dataclass
class _Type:
    models: dict[int, type[Payload]] = field(default_factory=dict)
    upcasters: dict[int, tuple[int, Upcaster]] = field(default_factory=dict)

    @property
    def newest(self) -> int:
        return max(self.models)


class Registry:
    """Maps wire (type, version) to models; `validate()` before use."""

    def __init__(self) -> None:
        self._types: dict[str, _Type] = {}
        self._validated = False

    def register(self, *models: type[Payload]) -> Registry:
        for model in models:
            entry = self._types.setdefault(model.__message_type__, _Type())
            if model.__version__ in entry.models:
                raise InvalidRegistry(f"{model.__message_type__} v{model.__version__} twice")
            entry.models[model.__version__] = model
        self._validated = False
        return self

    def upcaster(
        self, message_type: str, from_version: int, to_version: int
    ) -> Callable[[Upcaster], Upcaster]:
        """Decorator registering a pure function that turns one version's payload into the next."""

        def add(fn: Upcaster) -> Upcaster:
            entry = self._types.setdefault(message_type, _Type())
            if from_version in entry.upcasters:
                raise InvalidRegistry(f"{message_type}: two upcasters from v{from_version}")
            entry.upcasters[from_version] = (to_version, fn)
            self._validated = False
            return fn

        return add

    def validate(self) -> Registry:
        """Fail unless every older version of every type reaches the newest, without cycles."""
        for name, entry in self._types.items():
            if not entry.models:
                raise InvalidRegistry(f"{name}: upcasters but no model")
            for start in entry.models:
                seen = {start}
                version = start
                while version != entry.newest:
                    step = entry.upcasters.get(version)
                    if step is None:
                        raise InvalidRegistry(f"{name}: no upcaster from v{version} (gap)")
                    version = step[0]
                    if version in seen:
                        raise InvalidRegistry(f"{name}: upcaster cycle through v{version}")
                    if version not in entry.models:
                        raise InvalidRegistry(f"{name}: upcaster to unregistered v{version}")
                    seen.add(version)
        self._validated = True
        return self

    @property
    def types(self) -> Iterable[str]:
        return sorted(self._types)

    def models(self) -> Iterable[type[Payload]]:
        """Every registered model, every version, sorted by type and version."""
        for name in self.types:
            entry = self._types[name]
            for version in sorted(entry.models):
                yield entry.models[version]

    def newest(self, message_type: str) -> type[Payload]:
        entry = self._types.get(message_type)
        if entry is None:
            raise UnknownType(f"unknown message type {message_type!r}")
        return entry.models[entry.newest]

    def upcast(self, message_type: str, version: int, data: dict[str, Any]) -> Payload:
        """Validate `data` published as (type, version) and return the newest model of it."""
        if not self._validated:
            raise InvalidRegistry("validate() the registry before reading messages")
        entry = self._types.get(message_type)
        if entry is None:
            raise UnknownType(f"unknown message type {message_type!r}")
        if version not in entry.models:
            raise UnsupportedVersion(
                f"{message_type} v{version} is not supported (known: {sorted(entry.models)})"
            )
        try:
            if version != entry.newest:
                entry.models[version].model_validate(data)  # old shapes must be valid as sent
                while version != entry.newest:
                    version, step = entry.upcasters[version]
                    data = step(data)
            return entry.models[version].model_validate(data)
        except ValidationError as exc:
            raise MalformedMessage(
                f"{message_type} v{version} payload invalid: {_first_error(exc)}"
            ) from exc

    def parse(self, body: bytes | str | dict[str, Any]) -> tuple[Envelope, Payload]:
        """Parse a wire envelope into (envelope, newest payload model)."""
        if isinstance(body, bytes | str):
            try:
                envelope = Envelope.model_validate_json(body)
            except ValidationError as exc:
                kind = exc.errors()[0]["type"]
                if kind == "json_invalid":
                    raise MalformedMessage(f"body is not JSON: {_first_error(exc)}") from exc
                if kind == "model_type":
                    raise MalformedMessage("envelope must be a JSON object") from exc
                raise MalformedMessage(f"envelope invalid: {_first_error(exc)}") from exc
        else:
            try:
                envelope = Envelope.model_validate(body)
            except ValidationError as exc:
                raise MalformedMessage(f"envelope invalid: {_first_error(exc)}") from exc
        return envelope, self.upcast(envelope.type, envelope.version, envelope.payload)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{where}: {err['msg']} ({exc.error_count()} error(s))"
