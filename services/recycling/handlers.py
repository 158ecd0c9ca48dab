"""Bus handlers of the `recycling` service and their registry table.

All three are queries answered by request/reply; they change nothing, so a redelivered
request is simply answered again. `RecyclingError` becomes the bus's `RequestFailed`,
which the requester receives as an `error.reply` with the error's code.
"""

from __future__ import annotations

from functools import partial

from bus.ports import Handler, Message, Subscription
from contracts.recycling.v1 import (
    CategoryTree,
    GetCategories,
    GetRules,
    Matches,
    RulesFound,
    Search,
)
from services.kit.table import table_subscription
from services.recycling import domain
from services.recycling.queries import Reader
from services.recycling.search import search as rank_hits

GROUP = "recycling"


async def categories(message: Message[GetCategories]) -> CategoryTree:
    """`recycling.categories` -> the taxonomy tree, in taxonomy order."""
    return CategoryTree(majors=domain.category_tree())


async def rules(message: Message[GetRules], *, reader: Reader) -> RulesFound:
    """`recycling.rules` -> the rules of one category, or `not_found`."""
    major, middle = domain.resolve(message.payload.major, message.payload.middle)
    return RulesFound(rules=await reader.rules(major, middle))


async def search(message: Message[Search], *, reader: Reader) -> Matches:
    """`recycling.search` -> the best matching item names, best first."""
    request = message.payload
    return Matches(items=rank_hits(await reader.index(), request.q, request.limit))


def table(reader: Reader) -> dict[str, Handler]:
    """Message type -> handler bound to its dependencies."""
    return {
        GetCategories.__message_type__: categories,
        GetRules.__message_type__: partial(rules, reader=reader),
        Search.__message_type__: partial(search, reader=reader),
    }


def subscriptions(reader: Reader) -> list[Subscription]:
    return [table_subscription(GROUP, table(reader))]
