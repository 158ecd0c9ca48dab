"""The packaged disposal rules (`data/rules.json`): loaded, then validated against the
contract models and the taxonomy, so a wrong entry fails the build rather than a query.

Items themselves (names, synonyms, notes) are the item dictionary's (`dictionary`).
`situations` is the guidance per situation tag that the answer
stage uses: what to fix, with per-category overrides (`null`: not a problem there, e.g. a
cap left on a crushed clear PET bottle is the rule, not a fault).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from contracts.recycling.v1 import DisposalRules, NotAccepted
from contracts.scan import taxonomy
from services.recycling import domain, packaged
from services.recycling.errors import ContentError

LIMITS = {"targets": (1, 15), "detailed_items": (5, 15), "steps": (2, 5)}
LIMITS |= {"detailed_steps": (1, 10), "not_accepted": (1, 12)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CategoryDoc(_Strict):
    major: str
    middle: str
    targets: tuple[str, ...]
    detailed_items: tuple[str, ...]
    steps: tuple[str, ...]
    detailed_steps: tuple[str, ...]
    not_accepted: tuple[NotAccepted, ...]


class _SituationDoc(_Strict):
    fix: str
    overrides: dict[str, str | None] = {}


class _File(_Strict):
    source: str
    categories: tuple[_CategoryDoc, ...]
    situations: dict[str, _SituationDoc]


@dataclass(frozen=True)
class Category:
    """One category's rules and its place in the taxonomy."""

    position: int
    rules: DisposalRules

    @property
    def key(self) -> domain.Key:
        return self.rules.major, self.rules.middle

    @property
    def version(self) -> str:
        """A digest of the content: the seed rewrites a row only when it changes."""
        body = {"position": self.position, "rules": self.rules.model_dump(mode="json")}
        canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Catalog:
    categories: tuple[Category, ...]  # taxonomy order
    situations: Mapping[str, _SituationDoc]

    def rules(self, major: str, middle: str) -> DisposalRules:
        return next(c.rules for c in self.categories if c.key == (major, middle))

    def fixes(self, tags: Iterable[str], middle: str) -> tuple[str, ...]:
        """What to fix for these situation tags of an item of `middle` (unknown tags and
        tags that are fine for that category give nothing), in vocabulary order."""
        wanted = set(tags)
        out = []
        for tag in (t for group in taxonomy.SITUATION_TAGS.values() for t in group):
            if tag in wanted:
                situation = self.situations[tag]
                text = situation.overrides.get(middle, situation.fix)
                if text is not None:
                    out.append(text)
        return tuple(out)


def load_catalog() -> Catalog:
    """Read and validate the packaged rules; raise ContentError listing every problem."""
    return parse_catalog(packaged.read("rules.json"))


def parse_catalog(raw: object) -> Catalog:
    doc = packaged.validate(_File, raw, "rules data")
    problems: list[str] = []
    by_key = {}
    for entry in doc.categories:
        key = (entry.major, entry.middle)
        if not taxonomy.is_valid(*key):
            problems.append(f"{key}: not a taxonomy category")
        elif key in by_key:
            problems.append(f"{key}: listed twice")
        else:
            by_key[key] = entry
            problems.extend(f"{key}: {p}" for p in _check(entry))
    problems.extend(f"{k}: no rules" for k in domain.categories() if k not in by_key)
    problems.extend(_check_situations(doc.situations))
    if problems:
        raise ContentError("invalid rules data:\n  " + "\n  ".join(problems))
    categories = []
    for position, key in enumerate(domain.categories()):
        entry = by_key[key]
        rules = DisposalRules(**entry.model_dump(), label=domain.label(*key))
        categories.append(Category(position, rules))
    return Catalog(tuple(categories), doc.situations)


def _check(entry: _CategoryDoc) -> Iterable[str]:
    for name, (low, high) in LIMITS.items():
        values: tuple[str, ...] = getattr(entry, name)
        if name == "not_accepted":
            values = tuple(n.item for n in entry.not_accepted)
        if not low <= len(values) <= high:
            yield f"{name} has {len(values)} entries, expected {low}..{high}"
        if any(not v.strip() or v != v.strip() for v in values):
            yield f"{name} has a blank or untrimmed entry"
        if len({v.casefold() for v in values}) != len(values):
            yield f"{name} has duplicates"
    for other in entry.not_accepted:
        if not other.instead.strip():
            yield f"not_accepted {other.item!r} has no destination"
        elif domain.locate(other.instead) is None:
            yield f"not_accepted {other.item!r} goes to {other.instead!r}, not a category code"
        elif other.instead == entry.middle:
            yield f"not_accepted {other.item!r} goes to its own category"


def _check_situations(situations: Mapping[str, _SituationDoc]) -> Iterable[str]:
    if set(situations) != taxonomy.ALL_TAGS:
        missing = sorted(taxonomy.ALL_TAGS - set(situations))
        extra = sorted(set(situations) - taxonomy.ALL_TAGS)
        yield f"situations: missing tags {missing}, unknown tags {extra}"
    for tag, situation in situations.items():
        if not situation.fix.strip():
            yield f"situation {tag}: empty guidance"
        for middle in situation.overrides:
            if domain.locate(middle) is None:
                yield f"situation {tag}: override for unknown category {middle!r}"
