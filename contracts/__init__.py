"""Versioned message contracts: the envelope, the payload models and their registry.

This package imports nothing else from the project; every other package may import it.
"""

from contracts.envelope import Envelope, Payload, derive_id, new_envelope
from contracts.registry import (
    ContractError,
    MalformedMessage,
    Registry,
    UnknownType,
    UnsupportedVersion,
)

__all__ = [
    "ContractError",
    "Envelope",
    "MalformedMessage",
    "Payload",
    "Registry",
    "UnknownType",
    "UnsupportedVersion",
    "derive_id",
    "new_envelope",
]
