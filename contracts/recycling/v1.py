"""`recycling.*` v1: the taxonomy and the disposal rules, answered by the recycling service.

gateway, AI worker --recycling.categories / recycling.rules / recycling.search--> recycling
                   <--recycling.category_tree / recycling.rules_found / recycling.matches--
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Payload


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


class SearchHit(_Frozen):
    item: str
    major: str
    middle: str
    label: str


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
    __message_type__: ClassVar[str] = "recycling.search"
    __version__: ClassVar[int] = 1

    q: str = Field(min_length=1, max_length=100)
    limit: int = Field(default=20, ge=1, le=100)


class Matches(Payload):
    __message_type__: ClassVar[str] = "recycling.matches"
    __version__: ClassVar[int] = 1

    items: tuple[SearchHit, ...]
