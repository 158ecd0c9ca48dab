"""The item dictionary (`data/items.json`): the everyday things people ask about, each with
its category, Korean and English names, synonyms and common misspellings, and notes where
the category's general rule is not enough (a butane can: empty it and pierce it).

`load_dictionary` reads and validates the packaged file, so a wrong entry fails the build
rather than an answer: every category is a taxonomy category other than 미분류, and no two
items share a name once names are folded as the matcher compares them (`terms.key`).
`neutral` lists names that are no item (bin and category words such as 음식물쓰레기, and
names whose category depends on the material, such as 옷걸이): the matcher lets them hide
the shorter item names inside them and answers nothing for them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from contracts.scan import taxonomy
from services.recycling import packaged, terms
from services.recycling.errors import ContentError

_SEPARATORS = "·,/()|;"


class Item(BaseModel):
    """One thing a person might throw away, and where it goes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    ko: str
    en: str
    major: str
    middle: str
    synonyms: tuple[str, ...] = ()
    notes: str | None = None
    # Usually attached to another item (a label, a cap, tape): a hint naming both is about
    # the other one, so the matcher ranks parts after whole items.
    part: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The Korean and English names, then the synonyms: every string that finds it."""
        return (self.ko, self.en, *self.synonyms)

    @property
    def version(self) -> str:
        """A digest of the content: a seed rewrites a row only when it changes."""
        canonical = json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    neutral: tuple[str, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Dictionary:
    source: str
    neutral: tuple[str, ...]
    items: tuple[Item, ...]  # taxonomy order, then file order

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError if there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def load_dictionary() -> Dictionary:
    """Read and validate the packaged dictionary; raise ContentError listing every problem."""
    return parse_dictionary(packaged.read("items.json"))


def parse_dictionary(raw: object) -> Dictionary:
    doc = packaged.validate(_File, raw, "item dictionary")
    problems = [*_check_texts(doc), *_check_items(doc.items), *_check_names(doc)]
    if problems:
        raise ContentError("invalid item dictionary:\n  " + "\n  ".join(problems))
    order = {key: n for n, key in enumerate(_categories())}
    items = sorted(doc.items, key=lambda item: order[item.major, item.middle])
    return Dictionary(doc.source, doc.neutral, tuple(items))


def _categories() -> Iterator[tuple[str, str]]:
    for major in taxonomy.CATEGORIES:
        for middle in taxonomy.middles(major):
            yield major, middle


def _blank(text: str) -> bool:
    return not text.strip() or text != text.strip() or "  " in text


def _check_texts(doc: _File) -> Iterator[str]:
    if _blank(doc.source):
        yield "source is blank or untrimmed"
    for term in doc.neutral:
        if _blank(term) or not terms.key(term):
            yield f"neutral term {term!r} is blank, untrimmed or has no letters"
    for item in doc.items:
        for name in item.names:
            if _blank(name) or not terms.key(name):
                yield f"{item.id}: name {name!r} is blank, untrimmed or has no letters"
            elif any(sep in name for sep in _SEPARATORS):
                yield f"{item.id}: name {name!r} holds a separator; list each name on its own"
        if item.notes is not None and (_blank(item.notes) or not terms.is_korean(item.notes)):
            yield f"{item.id}: notes must be trimmed Korean text"
        if not terms.is_korean(item.ko):
            yield f"{item.id}: Korean name {item.ko!r} has no Hangul"
        if terms.is_korean(item.en) or not item.en.isascii():
            yield f"{item.id}: English name {item.en!r} is not plain English"


def _check_items(items: Iterable[Item]) -> Iterator[str]:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            yield f"{item.id}: id listed twice"
        seen.add(item.id)
        if not taxonomy.is_valid(item.major, item.middle):
            yield f"{item.id}: ({item.major}, {item.middle}) is not a taxonomy category"
        elif item.major == taxonomy.UNCLASSIFIED:
            yield f"{item.id}: an item the dictionary knows is not {taxonomy.UNCLASSIFIED}"


def _check_names(doc: _File) -> Iterator[str]:
    owners: dict[str, tuple[Item, str]] = {}
    for item in doc.items:
        own: set[str] = set()
        for name in item.names:
            key = terms.key(name)
            if key in own:
                yield f"{item.id}: {name!r} repeats another of its names"
                continue
            own.add(key)
            other = owners.setdefault(key, (item, name))
            if other[0] is not item:
                first, first_name = other
                yield (
                    f"{item.id} ({item.middle}) and {first.id} ({first.middle}) share the name "
                    f"{name!r} / {first_name!r}"
                )
    for term in doc.neutral:
        if terms.key(term) in owners:
            yield f"neutral term {term!r} is a name of {owners[terms.key(term)][0].id}"
