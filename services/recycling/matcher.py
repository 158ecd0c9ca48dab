"""Finding the dictionary items a free-text hint names ("치킨뼈는 어디에 버려?", "empty butane
can"). Pure: built once from a `Dictionary`, then `match` is a function of the text.

Korean names are found in the hint with spaces and punctuation removed, so spacing does not
matter and particles and endings after a name (치킨뼈는, 병이에요) are simply left over. A
one-syllable name (캔, 약, 뼈) must stand as a word of its own, followed by nothing, a
space or a particle, so that 스캔 or 약간 is no 캔 or 약. English names are found word by
word after stemming plurals (bottles, batteries), with the words of the hint joined as
needed, so egg shell finds eggshell. The modal verb "can" ("can I recycle this?") is no can.

Where found names overlap, the longest claims the text ("음식물 묻은 스티로폼" over
"스티로폼", "wire coat hanger" over "coat"); of equal length, the later one, since a Korean
phrase ends with its head noun. A neutral term (`Dictionary.neutral`) claims text like a
name but answers nothing. The items named in what remains are ranked: whole items before
parts (a label, a cap), longer names first, later first, then by id, so ties are
deterministic. A part the hint says was taken off ("투명 페트병 라벨 뗀", "bottle label
removed") is no subject of the hint: its name claims no text, so the item it came off is
found and ranks first; the part is still listed after it. An item the dictionary does not
know gives no match: the caller answers 미분류 and suggests what to check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from services.recycling import terms
from services.recycling.dictionary import Dictionary, Item

# What may follow a one-syllable Korean name in the same word: particles and endings.
_PARTICLES = (
    *("은", "는", "이", "가", "을", "를", "에", "도", "만", "랑", "과", "와", "의", "요", "로"),
    *("으로", "나", "인", "임", "입", "야", "류", "들", "하고", "처럼", "같", "보다", "까지"),
    *("부터", "뿐", "밖"),
)
# What, right after a part's name, says it was taken off the item.
_REMOVED = re.compile(
    r"\s*(?:은|는|을|를|이|가|도)?\s*"
    r"(?:뗀|떼|뗐|제거|벗긴|벗겨|분리한|없는|removed|taken off|peeled)"
)
_PRONOUNS = frozenset({"i", "you", "we", "they", "he", "she", "it"})
# Words after which "can" is the verb: "can I", "can't", "can be", "can go".
_AFTER_MODAL = _PRONOUNS | {"this", "that", "these", "those", "not", "t", "be", "go", "put"}
_AFTER_MODAL |= {"throw", "recycle", "dispose", "get"}


class Match(BaseModel):
    """An item a hint names, and the name in the dictionary that was found."""

    model_config = ConfigDict(frozen=True)

    item: Item
    term: str
    span: tuple[int, int]  # where, in the NFKC case-folded hint (`terms.fold`)


@dataclass(frozen=True)
class _Term:
    text: str
    length: int
    item: Item | None  # None: a neutral term


@dataclass(frozen=True)
class _Hit:
    term: _Term
    start: int
    end: int


class Matcher:
    """The dictionary's names indexed for `match`."""

    def __init__(self, dictionary: Dictionary) -> None:
        self._korean: dict[str, _Term] = {}
        self._english: dict[str, _Term] = {}
        named: list[tuple[str, Item | None]] = [
            (name, item) for item in dictionary.items for name in item.names
        ]
        named += [(term, None) for term in dictionary.neutral]
        for text, item in named:
            key = terms.key(text)
            index = self._korean if terms.is_korean(text) else self._english
            index.setdefault(key, _Term(text, len(key), item))
        self._longest = max(map(len, self._korean), default=1)
        self._window = max((len(terms.words(t.text)) for t in self._english.values()), default=1)

    def match(self, text: str, limit: int = 5) -> tuple[Match, ...]:
        """The items `text` names, best first, at most `limit`, each item once."""
        folded = terms.fold(text)
        every = (*self._korean_hits(folded), *self._english_hits(folded))
        taken_off = [hit for hit in every if _taken_off(hit, folded)]
        hits = sorted(
            (hit for hit in every if not _taken_off(hit, folded)),
            key=lambda h: (-h.term.length, -h.start, h.term.text),
        )
        claimed: list[_Hit] = []
        for hit in hits:
            if all(hit.end <= c.start or c.end <= hit.start for c in claimed):
                claimed.append(hit)
        found = [
            (hit, hit.term.item) for hit in (*claimed, *taken_off) if hit.term.item is not None
        ]
        found.sort(
            key=lambda pair: (pair[1].part, -pair[0].term.length, -pair[0].start, pair[1].id)
        )
        out: dict[str, Match] = {}
        for hit, item in found:
            out.setdefault(item.id, Match(item=item, term=hit.term.text, span=(hit.start, hit.end)))
        return tuple(out.values())[:limit]

    def best(self, text: str) -> Match | None:
        """The one item `text` is most likely about, or None if it names none."""
        found = self.match(text, limit=1)
        return found[0] if found else None

    def _korean_hits(self, folded: str) -> Iterator[_Hit]:
        # The compact text, where each kept character came from, and whether it starts a
        # word (no Hangul right before it in the hint).
        kept = [(n, ch) for n, ch in enumerate(folded) if terms.compact(ch)]
        compact = "".join(ch for _, ch in kept)
        where = [n for n, _ in kept]
        starts = [n == 0 or not terms.is_hangul(folded[n - 1]) for n in where]
        for at in range(len(compact)):
            for end in range(at + 1, min(at + self._longest, len(compact)) + 1):
                term = self._korean.get(compact[at:end])
                if term is not None and _stands(compact, starts, at, end):
                    yield _Hit(term, where[at], where[end - 1] + 1)

    def _english_hits(self, folded: str) -> Iterator[_Hit]:
        found = list(terms.WORD.finditer(folded))
        stems = [terms.stem(m.group()) for m in found]
        raw = [m.group() for m in found]
        for first in range(len(found)):
            for last in range(first, min(first + self._window, len(found))):
                term = self._english.get("".join(stems[first : last + 1]))
                if term is None or _modal(raw, first, last):
                    continue
                yield _Hit(term, found[first].start(), found[last].end())


def _ascii(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _stands(compact: str, starts: list[bool], at: int, end: int) -> bool:
    """Whether compact[at:end] is a name standing on its own rather than part of a word."""
    if _ascii(compact[at]) and at > 0 and _ascii(compact[at - 1]):
        return False
    if _ascii(compact[end - 1]) and end < len(compact) and _ascii(compact[end]):
        return False
    if end - at > 1 or not terms.is_hangul(compact[at]):
        return True
    if not starts[at]:
        return False
    return (
        end == len(compact)
        or starts[end]
        or not terms.is_hangul(compact[end])
        or compact.startswith(_PARTICLES, end)
    )


def _taken_off(hit: _Hit, folded: str) -> bool:
    """Whether the hit names a part that the text says was removed."""
    item = hit.term.item
    return item is not None and item.part and _REMOVED.match(folded, hit.end) is not None


def _modal(raw: list[str], first: int, last: int) -> bool:
    """Whether words[first..last] end in the verb "can" (can I, it can be) and name no can."""
    if raw[last] != "can":
        return False
    if last + 1 < len(raw) and raw[last + 1] in _AFTER_MODAL:
        return True
    return first == last and first > 0 and raw[first - 1] in _PRONOUNS
