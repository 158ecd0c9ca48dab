"""`places.*` v1: collection points near a point, one place, text search, and the places
that take a scanned item; answered by the places service.

gateway, chat --places.nearby / places.search / places.for_scan--> places <--places.page--
gateway      --places.get-----------------------------------------> places <--places.found--

`places.nearby` is the query another service asks for grounding ("where can I take
this?"): a point, a radius, optional filters, nearest first. Filters apply before the
limit, so a page is short only when nothing more matches; `next_cursor` continues after
the page's last place. `open_now` is evaluated in Asia/Seoul at `at` (default: when the
service answers), with Korean public holidays; `open_now: null` means the source does
not say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.envelope import Payload
from contracts.places import cursor as cursors

Category = Literal[
    "refill_zero",
    "cafe_bakery",
    "vegan_dining",
    "upcycle_recycle",
    "book_workshop",
    "market_mart",
    "lodging",
    "public_dropbox",
    "general",
]
Item = Literal[
    "clear_pet",
    "colored_pet",
    "can",
    "paper",
    "plastic",
    "glass",
    "textile",
    "electronics",
    "general",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
ITEMS: tuple[str, ...] = get_args(Item)
RADIUS_M = (100, 50_000)
DEFAULT_RADIUS_M = 2_000


def _codes(value: Any, allowed: Sequence[str], name: str) -> tuple[str, ...]:
    """A comma list or a list of codes, each one of `allowed`, each once, in their order."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"a comma-separated list of {name} codes")
    codes = [str(item).strip() for item in items]
    unknown = [c for c in codes if c not in allowed]
    if unknown:
        raise ValueError(
            f"unknown {name} {', '.join(repr(c) for c in unknown)} (allowed: {', '.join(allowed)})"
        )
    return tuple(c for c in allowed if c in codes)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Area(Payload):
    """A point and a radius, a page size and where to continue (shared by the queries)."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    radius: int = Field(default=DEFAULT_RADIUS_M, ge=RADIUS_M[0], le=RADIUS_M[1])
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)
    at: AwareDatetime | None = None

    @field_validator("cursor")
    @classmethod
    def _readable_cursor(cls, value: str | None) -> str | None:
        if value is not None:
            cursors.decode(value)
        return value


class Nearby(_Area):
    """Places within `radius` metres of (lat, lon), nearest first; `category` and `accepts`
    keep places of any of the listed kinds / taking any of the listed items."""

    __message_type__: ClassVar[str] = "places.nearby"
    __version__: ClassVar[int] = 1

    category: tuple[Category, ...] = ()
    accepts: tuple[Item, ...] = ()
    open_now: bool = False

    @field_validator("category", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> tuple[str, ...]:
        return _codes(value, CATEGORIES, "category")

    @field_validator("accepts", mode="before")
    @classmethod
    def _items(cls, value: Any) -> tuple[str, ...]:
        return _codes(value, ITEMS, "item")


class ForScan(_Area):
    """Places near (lat, lon) that take an item of the waste category (major, middle) —
    the accepted items `contracts.places.dropoff.drop_off` names for it."""

    __message_type__: ClassVar[str] = "places.for_scan"
    __version__: ClassVar[int] = 1

    major: str = Field(min_length=1, max_length=100)
    middle: str | None = Field(default=None, max_length=100)


class GetPlace(Payload):
    __message_type__: ClassVar[str] = "places.get"
    __version__: ClassVar[int] = 1

    place_id: int = Field(ge=1, le=2**63 - 1)
    at: AwareDatetime | None = None


class SearchPlaces(Payload):
    """Places whose name or address is like `q` (trigram similarity), best match first,
    or nearest first when a point is given."""

    __message_type__: ClassVar[str] = "places.search"
    __version__: ClassVar[int] = 1

    q: str = Field(min_length=1, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    limit: int = Field(default=20, ge=1, le=100)
    at: AwareDatetime | None = None

    @field_validator("q")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _both_or_neither(self) -> SearchPlaces:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class PlaceSummary(_Frozen):
    """A place in a list; `distance_m` is null when no point was given."""

    id: int
    name: str
    address: str | None
    lat: float
    lon: float
    distance_m: float | None
    category: Category
    accepts: tuple[Item, ...]
    open_now: bool | None
    hours_today: str | None
    next_change_at: datetime | None
    phone: str | None


class PlaceDetail(PlaceSummary):
    """One place in full: `weekly_hours` is each day's hours as text (`mon`…`sun`,
    `holiday`; null when the source does not say), `schedule` the structured week."""

    alt_address: str | None
    phones: tuple[str, ...]
    items: tuple[str, ...]
    weekly_hours: dict[str, str | None]
    schedule: dict[str, Any]
    notes: tuple[str, ...]
    url: str | None
    source: str
    source_id: str
    updated_at: datetime


class PlacePage(Payload):
    __message_type__: ClassVar[str] = "places.page"
    __version__: ClassVar[int] = 1

    items: tuple[PlaceSummary, ...]
    next_cursor: str | None = None


class PlaceFound(Payload):
    __message_type__: ClassVar[str] = "places.found"
    __version__: ClassVar[int] = 1

    place: PlaceDetail
