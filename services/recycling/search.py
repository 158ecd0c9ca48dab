"""Search over the disposal rules: a flat index of names, and a pure ranking.

Every detailed item, target, extra item name (`minors`), category code and English label
is an index entry pointing at its category; an item that is *not accepted* in one category
points at the category it goes to instead. A query matches an entry case-insensitively:
Korean anywhere in the name (spaces ignored), other text only at the start of a word.
Hits rank exact name, then prefix, then substring; ties go to item names over targets
over category names over redirections, then taxonomy order, then shorter names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, TypeAdapter

from contracts.recycling.v1 import DisposalRules, SearchHit
from services.recycling import domain


class Kind(IntEnum):
    ITEM = 0
    TARGET = 1
    CATEGORY = 2
    REDIRECT = 3


class Entry(BaseModel):
    """One searchable name and the category it leads to."""

    model_config = ConfigDict(frozen=True)

    text: str
    kind: Kind
    major: str
    middle: str
    label: str
    position: int


INDEX = TypeAdapter(tuple[Entry, ...])
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def build_index(
    categories: Iterable[tuple[int, DisposalRules, tuple[str, ...]]],
) -> tuple[Entry, ...]:
    """The entries of (position, rules, minors) rows, in taxonomy order."""
    rows = list(categories)
    positions = {(r.major, r.middle): p for p, r, _ in rows}
    entries: list[Entry] = []
    for position, rules, minors in rows:
        here = {"major": rules.major, "middle": rules.middle, "label": rules.label}
        names = [(rules.middle, Kind.CATEGORY), (rules.label, Kind.CATEGORY)]
        names += [(t, Kind.ITEM) for t in (*rules.detailed_items, *minors)]
        names += [(t, Kind.TARGET) for t in rules.targets]
        entries += [Entry(text=t, kind=k, position=position, **here) for t, k in names]
        for other in rules.not_accepted:
            key = domain.locate(other.instead)
            if key is not None and key in positions:
                entries.append(
                    Entry(
                        text=other.item,
                        kind=Kind.REDIRECT,
                        major=key[0],
                        middle=key[1],
                        label=domain.label(*key),
                        position=positions[key],
                    )
                )
    return tuple(entries)


def normalize(text: str) -> str:
    """NFKC, case-folded, with runs of whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def rank(text: str, query: str) -> int | None:
    """0 exact, 1 prefix (of the name or of a word in it), 2 Korean substring, or None.
    Both arguments are `normalize`d."""
    name, wanted = text.replace(" ", ""), query.replace(" ", "")
    if not wanted:
        return None
    if name == wanted:
        return 0
    if name.startswith(wanted) or re.search(r"(?<!\w)" + re.escape(query), text):
        return 1
    if _HANGUL.search(query) and wanted in name:
        return 2
    return None


def search(index: Iterable[Entry], q: str, limit: int) -> tuple[SearchHit, ...]:
    """The best `limit` hits for `q`, one per (name, category)."""
    query = normalize(q)
    best: dict[tuple[str, str, str], tuple[tuple[int, int, int, int, str], Entry]] = {}
    for entry in index:
        text = normalize(entry.text)
        found = rank(text, query)
        if found is None:
            continue
        order = (found, entry.kind, entry.position, len(text), text)
        key = (text.replace(" ", ""), entry.major, entry.middle)
        if key not in best or order < best[key][0]:
            best[key] = (order, entry)
    ranked = sorted(best.values(), key=lambda pair: pair[0])[:limit]
    return tuple(
        SearchHit(item=e.text, major=e.major, middle=e.middle, label=e.label) for _, e in ranked
    )
