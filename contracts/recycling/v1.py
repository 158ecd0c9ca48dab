"""`recycling.*` v1: the taxonomy, the disposal rules and the item dictionary, answered by
the recycling service.

gateway, AI worker, chat --recycling.categories / .rules / .search / .match--> recycling
                         <--recycling.category_tree / .rules_found / .items--

`recycling.search` finds items by name for a person typing a query (trigram similarity, so
near misses count); `recycling.match` finds the items a free-text hint names ("치킨뼈는
어디에 버려?"), as the offline classifier and the chat's grounding need. Both answer
`recycling.items`: dictionary items with their category and notes, best first.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Payload

MATCH_TEXT_MAX = 1000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Middle(_Frozen):
    code: str
    label: str


class Major(_Frozen):
    code: str
    label: str
    middles: tuple[Middle, ...]


class NotAccepted(_Frozen):
    """An item people often put here by mistake, and where it goes instead."""

    item: str
    instead: str


class DisposalRules(_Frozen):
    """How to dispose of one category (Korean text; `label` is the English category name)."""

    major: str
    middle: str
    label: str
    targets: tuple[str, ...]
    detailed_items: tuple[str, ...]
    steps: tuple[str, ...]
    detailed_steps: tuple[str, ...]
    not_accepted: tuple[NotAccepted, ...]


class Item(_Frozen):
    """An item of the dictionary: what it is, where it goes, and what to mind."""

    id: str
    ko: str
    en: str
    major: str
    middle: str
    label: str  # the English label of (major, middle)
    notes: str | None  # Korean, where the category's general rule is not enough
    matched: str  # the name (or synonym) of the item the query or text found


class GetCategories(Payload):
    __message_type__: ClassVar[str] = "recycling.categories"
    __version__: ClassVar[int] = 1


class CategoryTree(Payload):
    __message_type__: ClassVar[str] = "recycling.category_tree"
    __version__: ClassVar[int] = 1

    majors: tuple[Major, ...]


class GetRules(Payload):
    """The rules of (major, middle); `middle` may be omitted for a major without middles."""

    __message_type__: ClassVar[str] = "recycling.rules"
    __version__: ClassVar[int] = 1

    major: str = Field(min_length=1, max_length=100)
    middle: str | None = Field(default=None, max_length=100)


class RulesFound(Payload):
    __message_type__: ClassVar[str] = "recycling.rules_found"
    __version__: ClassVar[int] = 1

    rules: DisposalRules


class Search(Payload):
    # Items whose names are like `q` (Korean or English, near misses included).
    __message_type__: ClassVar[str] = "recycling.search"
    __version__: ClassVar[int] = 1

    q: str = Field(min_length=1, max_length=100)
    limit: int = Field(default=20, ge=1, le=100)


class Match(Payload):
    """The items `text` names (a hint, a question), the most specific first; none if it
    names no item the dictionary knows."""

    __message_type__: ClassVar[str] = "recycling.match"
    __version__: ClassVar[int] = 1

    text: str = Field(min_length=1, max_length=MATCH_TEXT_MAX)
    limit: int = Field(default=5, ge=1, le=20)


class Items(Payload):
    __message_type__: ClassVar[str] = "recycling.items"
    __version__: ClassVar[int] = 1

    items: tuple[Item, ...]
