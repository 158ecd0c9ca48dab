"""A collection point as an importer makes it, and the vocabularies it is filtered by.

`StoreCategory` and `AcceptedItem` are the codes of DOMAIN.md, stored with each place and
filtered in SQL; `Place` is what every importer yields for a good row, identified by
(`source`, `source_id`) so that a re-import updates in place.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.places.hours.model import UNKNOWN_WEEK, WeeklySchedule


class StoreCategory(StrEnum):
    """What kind of place it is."""

    REFILL_ZERO = "refill_zero"
    CAFE_BAKERY = "cafe_bakery"
    VEGAN_DINING = "vegan_dining"
    UPCYCLE_RECYCLE = "upcycle_recycle"
    BOOK_WORKSHOP = "book_workshop"
    MARKET_MART = "market_mart"
    LODGING = "lodging"
    PUBLIC_DROPBOX = "public_dropbox"
    GENERAL = "general"


class AcceptedItem(StrEnum):
    """What a place takes back."""

    CLEAR_PET = "clear_pet"
    COLORED_PET = "colored_pet"
    CAN = "can"
    PAPER = "paper"
    PLASTIC = "plastic"
    GLASS = "glass"
    TEXTILE = "textile"
    ELECTRONICS = "electronics"
    GENERAL = "general"


class Source(StrEnum):
    """The data set a place was imported from (the `--format` of `eco2 places import`)."""

    KECO = "keco"
    ZERO_WASTE = "zero-waste"


class Place(BaseModel):
    """One collection point, normalised.

    `address` is the address to show (the road address where the source has one) and
    `alt_address` another form of it (the lot address); `phone` is the main number and
    `phones` every number found, main first, all in national format (`031-8075-2706`).
    `accepts` is in vocabulary order; `items` are the source's own item names, as listed.
    """

    model_config = ConfigDict(frozen=True)

    source: Source
    source_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    address: str | None = None
    alt_address: str | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    phone: str | None = None
    phones: tuple[str, ...] = ()
    category: StoreCategory = StoreCategory.GENERAL
    accepts: tuple[AcceptedItem, ...] = ()
    items: tuple[str, ...] = ()
    hours: WeeklySchedule = UNKNOWN_WEEK
    url: str | None = None
    notes: tuple[str, ...] = ()
