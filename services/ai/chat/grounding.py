"""What an answer is grounded on, gathered over the bus: the person's recent scans (and the
one the message names), the dictionary items it names (`recycling.match`), and the
disposal rules of their categories (`recycling.rules`).

A source that does not answer in time is left out with a warning rather than failing the
answer: 이코 then says less, and says when it does not know. The result is the reply's
`context` step, checkpointed, so a resumed answer is grounded on exactly the same facts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bus.ports import BusError, Requester
from contracts import Envelope, Payload, new_envelope
from contracts.chat.v1 import (
    DictionaryFact,
    ReplyContext,
    ReplyRequested,
    RuleFact,
    ScanFact,
    Source,
)
from contracts.recycling.v1 import MATCH_TEXT_MAX, GetRules, Items, Match, RulesFound
from contracts.scan import taxonomy
from contracts.scan.v1 import GetScan, ListScans, ScanPage, ScanRecord, ScanView

log = logging.getLogger(__name__)

RECENT_SCANS = 3
MAX_QUERIES = 8
MAX_ITEMS = 3
MAX_RULES = 2


@dataclass(frozen=True)
class Asker:
    """Queries on the bus on behalf of one reply."""

    requester: Requester
    cause: Envelope
    timeout: float | None

    async def ask(self, query: Payload) -> Any:
        """The reply's payload; None when the source refused or did not answer."""
        envelope = new_envelope(query, cause=self.cause)
        try:
            reply = await self.requester.request(envelope, timeout=self.timeout)
        except BusError as exc:
            if getattr(exc, "code", None) != "not_found":
                log.warning("grounding: %s unanswered: %s", query.__message_type__, exc)
            return None
        return reply.payload


def _scan_fact(view: ScanView) -> ScanFact | None:
    if view.result is None:
        return None
    c = view.result.classification
    return ScanFact(
        id=view.id, major=c.major, middle=c.middle, minor=c.minor, answer=view.result.answer
    )


async def _scans(asker: Asker, task: ReplyRequested) -> list[ScanFact]:
    named = None
    if task.scan_id is not None:
        record = await asker.ask(GetScan(user_id=task.user_id, scan_id=task.scan_id))
        named = record.scan if isinstance(record, ScanRecord) else None
    page = await asker.ask(ListScans(user_id=task.user_id, limit=RECENT_SCANS))
    views = [named] if named is not None else []
    if isinstance(page, ScanPage):
        views += [v for v in page.items if named is None or v.id != named.id]
    return [f for f in map(_scan_fact, views) if f is not None][:RECENT_SCANS]


async def _dictionary(asker: Asker, question: str) -> list[DictionaryFact]:
    """The dictionary items the question names (`recycling.match`), most specific first."""
    answer = await asker.ask(Match(text=question[:MATCH_TEXT_MAX], limit=MAX_ITEMS))
    if not isinstance(answer, Items):
        return []
    return [
        DictionaryFact(item=i.ko, major=i.major, middle=i.middle, label=i.label)
        for i in answer.items
    ]


def _categories(
    scans: Sequence[ScanFact], items: Sequence[DictionaryFact], question: str, named: bool
) -> list[tuple[str, str]]:
    """The categories whose rules the answer needs, most relevant first: the named scan's,
    the items'; else the latest scan's."""
    wanted: list[tuple[str, str]] = []
    if named and scans:
        wanted.append((scans[0].major, scans[0].middle))
    wanted += [(i.major, i.middle) for i in items]
    if not wanted and scans:
        wanted.append((scans[0].major, scans[0].middle))
    known = [c for c in dict.fromkeys(wanted) if c[1] != taxonomy.UNCLASSIFIED]
    return known[:MAX_RULES]


async def _rules(asker: Asker, categories: Sequence[tuple[str, str]]) -> list[RuleFact]:
    asked = [
        GetRules(major=major, middle=None if middle == major else middle)
        for major, middle in categories
    ]
    facts = []
    for answer in await asyncio.gather(*(asker.ask(q) for q in asked)):
        if isinstance(answer, RulesFound):
            rules = answer.rules
            facts.append(
                RuleFact(
                    major=rules.major,
                    middle=rules.middle,
                    label=rules.label,
                    steps=rules.steps[:3],
                    not_accepted=tuple(f"{n.item} → {n.instead}" for n in rules.not_accepted[:4]),
                )
            )
    return facts


async def gather(
    task: ReplyRequested, requester: Requester, cause: Envelope, timeout: float | None
) -> ReplyContext:
    """The reply's grounding (its `context` event)."""
    asker = Asker(requester, cause, timeout)
    scans, items = await asyncio.gather(_scans(asker, task), _dictionary(asker, task.text))
    categories = _categories(scans, items, task.text, task.scan_id is not None)
    rules = await _rules(asker, categories)
    return ReplyContext(
        reply_id=task.reply_id,
        chat_id=task.chat_id,
        user_id=task.user_id,
        scans=tuple(scans),
        rules=tuple(rules),
        dictionary=tuple(items),
    )


def sources(context: ReplyContext) -> tuple[Source, ...]:
    """What the stored answer says it was grounded on."""
    out = [Source(kind="scan", id=s.id, title=s.minor or s.middle) for s in context.scans]
    out += [Source(kind="rule", id=f"{r.major}/{r.middle}", title=r.middle) for r in context.rules]
    out += [Source(kind="dictionary", id=d.item, title=d.item) for d in context.dictionary]
    out += [Source(kind="place", id=p.id, title=p.name) for p in context.places]
    return tuple(out)
