"""`character.*` v1: the collectible characters and who owns which.

gateway --character.catalog / character.owned--> character service
AI worker (reward stage) --character.grant--> character service
        <--character.granted {character, status}--
accounts --user.registered--> character service (grants the default character)
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Payload

GrantStatus = Literal["newly_acquired", "already_owned"]
Source = Literal["default", "scan"]


class Character(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    type: str
    dialog: str
    middle: str | None = None


class OwnedCharacter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    type: str
    dialog: str
    acquired_at: datetime
    source: Source


class GetCatalog(Payload):
    __message_type__: ClassVar[str] = "character.catalog"
    __version__: ClassVar[int] = 1


class Catalog(Payload):
    __message_type__: ClassVar[str] = "character.catalog_list"
    __version__: ClassVar[int] = 1

    items: tuple[Character, ...]


class GetOwned(Payload):
    __message_type__: ClassVar[str] = "character.owned"
    __version__: ClassVar[int] = 1

    user_id: str


class Owned(Payload):
    __message_type__: ClassVar[str] = "character.owned_list"
    __version__: ClassVar[int] = 1

    items: tuple[OwnedCharacter, ...]


class Grant(Payload):
    """Give `user_id` the character of recyclable middle category `middle`, for `scan_id`.

    Idempotent per scan: asking again for the same scan answers the same status.
    """

    __message_type__: ClassVar[str] = "character.grant"
    __version__: ClassVar[int] = 1

    user_id: str
    scan_id: str = Field(min_length=1, max_length=64)
    middle: str


class Granted(Payload):
    __message_type__: ClassVar[str] = "character.granted"
    __version__: ClassVar[int] = 1

    user_id: str
    scan_id: str
    character: Character
    status: GrantStatus
