"""What an answer is grounded on, gathered over the bus: the person's recent scans (and the
one the message names), the dictionary items its words name (`recycling.search`), and the
disposal rules of their categories (`recycling.rules`).

A source that does not answer in time is left out with a warning rather than failing the
answer: 이코 then says less, and says when it does not know. The result is the reply's
`context` step, checkpointed, so a resumed answer is grounded on exactly the same facts.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
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
from contracts.recycling.v1 import GetRules, Matches, RulesFound, Search
from contracts.scan import taxonomy
from contracts.scan.v1 import GetScan, ListScans, ScanPage, ScanRecord, ScanView
from services.ai.offline import classify_text

log = logging.getLogger(__name__)

RECENT_SCANS = 3
MAX_QUERIES = 8
MAX_ITEMS = 3
MAX_RULES = 2

_WORD = re.compile(r"[가-힣]+|[A-Za-z]+")
# Endings that follow a noun in a question (longest first), and words that name no item.
_PARTICLES = sorted(
    (
        "은", "는", "이", "가", "을", "를", "에", "도", "랑", "와", "과", "의", "로", "으로",
        "에서", "에서는", "에는", "까지", "부터", "이랑", "하고", "이나", "나", "만", "좀",
        "이면", "면",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
_STOPWORDS = frozenset(
    (
        "어디", "어디에", "어떻게", "어떡해", "뭐", "무엇", "왜", "그냥", "버려", "버려요",
        "버리면", "버리나", "버릴", "버리는", "버리기", "돼", "되나", "돼요", "있어", "있어요",
        "있나", "있는", "근처", "가까운", "주변", "받는", "곳", "안", "떼고", "떼면", "하면",
        "해", "해요", "나요", "이거", "그거", "저거", "이건", "그건", "저건", "어느", "알려",
        "알려줘", "줘", "주세요", "궁금해", "질문", "같이", "함께", "정말", "진짜", "제일",
        "가장", "오늘", "지금", "where", "what", "how", "why", "the", "is", "are", "do",
        "does", "can", "should", "into", "with", "near", "nearby", "throw", "away", "put",
        "it", "this", "that", "my", "you",
    )
)  # fmt: skip


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


def words_of(question: str) -> list[str]:
    """The words of the question that may name an item, particles cut, in order; adjacent
    Korean pairs joined too (`치킨 뼈`), longest first."""
    words = []
    for raw in _WORD.findall(question):
        word = raw.lower()
        if word in _STOPWORDS:
            continue
        for particle in _PARTICLES:
            if word.endswith(particle) and len(word) > len(particle):
                word = word[: -len(particle)]
                break
        if word in _STOPWORDS or (word.isascii() and len(word) < 3):
            continue
        words.append(word)
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words) if not a.isascii()]
    return sorted(dict.fromkeys(pairs + words), key=len, reverse=True)[:MAX_QUERIES]


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
    queries = words_of(question)
    answers = await asyncio.gather(*(asker.ask(Search(q=q[:100], limit=1)) for q in queries))
    found: dict[str, DictionaryFact] = {}
    for answer in answers:
        if isinstance(answer, Matches) and answer.items:
            hit = answer.items[0]
            found.setdefault(
                hit.item,
                DictionaryFact(item=hit.item, major=hit.major, middle=hit.middle, label=hit.label),
            )
    return list(found.values())[:MAX_ITEMS]


def _categories(
    scans: Sequence[ScanFact], items: Sequence[DictionaryFact], question: str, named: bool
) -> list[tuple[str, str]]:
    """The categories whose rules the answer needs, most relevant first: the named scan's,
    the items', what the words of the question suggest; else the latest scan's."""
    wanted: list[tuple[str, str]] = []
    if named and scans:
        wanted.append((scans[0].major, scans[0].middle))
    wanted += [(i.major, i.middle) for i in items]
    guess = classify_text(question)
    if guess.middle != taxonomy.UNCLASSIFIED:
        wanted.append((guess.major, guess.middle))
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
