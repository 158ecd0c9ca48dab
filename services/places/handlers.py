"""Bus handlers of the `places` service and their registry table.

All four are queries answered by request/reply; they change nothing, so a redelivered
request is simply answered again. `PlacesError` becomes the bus's `RequestFailed`, which
the requester receives as an `error.reply` with the error's code (`services.kit.table`).
"""

from __future__ import annotations

from functools import partial

from bus.ports import Handler, Message, Subscription
from contracts.places.v1 import (
    ForScan,
    GetPlace,
    Nearby,
    PlaceFound,
    PlacePage,
    SearchPlaces,
)
from services.kit.table import table_subscription
from services.places.queries import Reader

GROUP = "places"


async def nearby(message: Message[Nearby], *, reader: Reader) -> PlacePage:
    """`places.nearby` -> a page of places nearest first."""
    return await reader.nearby(message.payload)


async def for_scan(message: Message[ForScan], *, reader: Reader) -> PlacePage:
    """`places.for_scan` -> a page of the nearest places that take the category's items."""
    return await reader.for_scan(message.payload)


async def get(message: Message[GetPlace], *, reader: Reader) -> PlaceFound:
    """`places.get` -> one place in full, or `not_found`."""
    return await reader.get(message.payload)


async def search(message: Message[SearchPlaces], *, reader: Reader) -> PlacePage:
    """`places.search` -> places whose name or address matches."""
    return await reader.search(message.payload)


def table(reader: Reader) -> dict[str, Handler]:
    """Message type -> handler bound to its dependencies."""
    return {
        Nearby.__message_type__: partial(nearby, reader=reader),
        ForScan.__message_type__: partial(for_scan, reader=reader),
        GetPlace.__message_type__: partial(get, reader=reader),
        SearchPlaces.__message_type__: partial(search, reader=reader),
    }


def subscriptions(reader: Reader) -> list[Subscription]:
    return [table_subscription(GROUP, table(reader))]
