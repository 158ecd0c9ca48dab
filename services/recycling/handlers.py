"""Bus handlers of the `recycling` service and their registry table.

All four are queries answered by request/reply; they change nothing, so a redelivered
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
    Items,
    Match,
    RulesFound,
    Search,
)
from services.kit.table import table_subscription
from services.recycling import domain, queries
from services.recycling.matcher import Matcher
from services.recycling.queries import Reader

GROUP = "recycling"


async def categories(message: Message[GetCategories]) -> CategoryTree:
    """`recycling.categories` -> the taxonomy tree, in taxonomy order."""
    return CategoryTree(majors=domain.category_tree())


async def rules(message: Message[GetRules], *, reader: Reader) -> RulesFound:
    """`recycling.rules` -> the rules of one category, or `not_found`."""
    major, middle = domain.resolve(message.payload.major, message.payload.middle)
    return RulesFound(rules=await reader.rules(major, middle))


async def search(message: Message[Search], *, reader: Reader) -> Items:
    """`recycling.search` -> the items named like the query, best first."""
    request = message.payload
    return Items(items=await reader.search(request.q, request.limit))


async def match(message: Message[Match], *, matcher: Matcher) -> Items:
    """`recycling.match` -> the items a text names, the most specific first."""
    request = message.payload
    return Items(items=queries.match(matcher, request.text, request.limit))


def table(reader: Reader, matcher: Matcher) -> dict[str, Handler]:
    """Message type -> handler bound to its dependencies."""
    return {
        GetCategories.__message_type__: categories,
        GetRules.__message_type__: partial(rules, reader=reader),
        Search.__message_type__: partial(search, reader=reader),
        Match.__message_type__: partial(match, matcher=matcher),
    }


def subscriptions(reader: Reader, matcher: Matcher) -> list[Subscription]:
    return [table_subscription(GROUP, table(reader, matcher))]
