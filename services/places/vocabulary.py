"""Accepted items and store categories derived from a source's own words.

`accepted_items` maps each line of an item list (`투명페트병`, `알루미늄 캔`, `PP(햇반용기)`,
`종이팩(멸균팩포함)`, …) to one code of the vocabulary; group headings in parentheses
(`(플라스틱류)`) are not items. Free text (names, memos) is matched only against explicit
material words (`투명페트병`, `종이팩`), because a short word such as `책` or `옷` inside a
name says nothing about what a place takes. A line that fits no code gives none (toys,
batteries): the place keeps its own item names for display, and nothing is guessed.

`store_category` takes the first rule of an ordered list whose pattern occurs in any of
the texts, else a default: each source has its own list (a KECO site is a collection
point by definition, a zero-waste map entry a refill shop unless its words say otherwise).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from services.places.model import AcceptedItem, StoreCategory

Rule = tuple[StoreCategory, re.Pattern[str]]

_PATTERNS: tuple[tuple[AcceptedItem, str, str | None], ...] = (
    # (code, in an item line, in free text); lines take the first code that matches
    (AcceptedItem.CLEAR_PET, r"(투명|무색)(페트|패트|pet)", r"(투명|무색)(페트|패트|pet)"),
    (AcceptedItem.COLORED_PET, r"유색(혼합)?(페트|패트|pet)|pet\(유색\)", r"유색(페트|패트|pet)"),
    (AcceptedItem.GLASS, r"유리|소주병|맥주병|기타병|갈색|녹색병|빈병", r"유리병|빈병"),
    (AcceptedItem.CAN, r"캔|알루미늄|고철|^철$", r"알루미늄캔|철캔|음료캔|캔류"),
    (AcceptedItem.PAPER, r"종이|서적|신문|우유팩|멸균팩|박스|^책", r"종이팩|우유팩|멸균팩|폐지"),
    (AcceptedItem.TEXTILE, r"의류|헌옷|^옷|외류|섬유|가방|신발", r"헌옷|의류수거"),
    (
        AcceptedItem.PLASTIC,
        r"플라스틱|플리스틱|비닐|빨대|블럭|햇반|즉석밥|판(pet|페트)|other|^(pet|pe|pp|ps)\b",
        r"병뚜껑|플라스틱",
    ),
    (AcceptedItem.ELECTRONICS, r"전자제품|가전|휴대폰|핸드폰|컴퓨터", r"폐가전|소형가전|폐휴대폰"),
)
_LINE = tuple((code, re.compile(line)) for code, line, _ in _PATTERNS)
_TEXT = tuple((code, re.compile(text)) for code, _, text in _PATTERNS if text)
_HEADING = re.compile(r"\(.*\)")


def fold(text: str) -> str:
    """NFKC, case-folded, without whitespace: the form every pattern here matches."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def item_lines(text: str) -> tuple[str, ...]:
    """The items of a one-per-line list, trimmed, without blank lines, group headings or
    repeats, in their order."""
    lines = (" ".join(line.split()) for line in unicodedata.normalize("NFKC", text).splitlines())
    kept = (line for line in lines if line and not _HEADING.fullmatch(line))
    return tuple(dict.fromkeys(kept))


def item_code(line: str) -> AcceptedItem | None:
    """The code one listed item is, or None when it fits none."""
    folded = fold(line)
    return next((code for code, pattern in _LINE if pattern.search(folded)), None)


def accepted_items(items: Iterable[str], texts: Iterable[str] = ()) -> tuple[AcceptedItem, ...]:
    """The codes of listed `items` and of material words in free `texts`, in vocabulary
    order, each once."""
    found = {item_code(line) for line in items}
    for text in texts:
        folded = fold(text)
        found |= {code for code, pattern in _TEXT if pattern.search(folded)}
    return tuple(code for code in AcceptedItem if code in found)


def store_category(
    texts: Iterable[str], rules: Sequence[Rule], default: StoreCategory
) -> StoreCategory:
    """The category of the first rule whose pattern occurs in one of `texts`."""
    folded = [fold(t) for t in texts if t]
    for category, pattern in rules:
        if any(pattern.search(t) for t in folded):
            return category
    return default


def rule(category: StoreCategory, pattern: str) -> Rule:
    """A category rule; `pattern` is matched against folded text (no spaces, lower case)."""
    return category, re.compile(pattern)
