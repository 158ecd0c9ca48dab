"""How names and hints are compared: the folding the item dictionary uses to find names that
collide, and the matcher uses to find names in a hint. Pure; no I/O.

Both sides are NFKC-normalised and case-folded. A Korean name (any Hangul in it) is compared
with spaces and punctuation removed, so 닭 뼈 and 닭뼈 are one name. An English name is
compared word by word after a light stemming of plurals (bottles, boxes, batteries, knives),
with the words joined, so egg shell, eggshell and egg shells are one name.
"""

from __future__ import annotations

import re
import unicodedata

_HANGUL = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
_DROPPED = re.compile(r"[^0-9a-z가-힣ㄱ-ㅎㅏ-ㅣ]")
WORD = re.compile(r"[0-9a-z]+")

# Plurals the suffix rules below would get wrong, and words they must leave alone.
_IRREGULAR = {
    "knives": "knife",
    "leaves": "leaf",
    "shelves": "shelf",
    "halves": "half",
    "loaves": "loaf",
    "teeth": "tooth",
    "feet": "foot",
    "mice": "mouse",
    "children": "child",
    "shoes": "shoe",
    "toes": "toe",
    "lens": "lens",
    "lenses": "lens",
}
_ES_PLURALS = ("sses", "shes", "ches", "xes", "zes", "oes")


def fold(text: str) -> str:
    """NFKC, case-folded: full-width letters, compatibility forms and case no longer differ."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_hangul(char: str) -> bool:
    return _HANGUL.fullmatch(char) is not None


def is_korean(term: str) -> bool:
    """Whether `term` is compared as Korean (it has Hangul) rather than word by word."""
    return _HANGUL.search(term) is not None


def compact(text: str) -> str:
    """Folded, keeping only Hangul, ASCII letters and digits: 닭 뼈! -> 닭뼈."""
    return _DROPPED.sub("", fold(text))


def stem(word: str) -> str:
    """The singular of a folded English word, as far as simple rules go; the same function
    runs over names and hints, so a rule only has to map both forms to one string."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(_ES_PLURALS):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and _long(word):
        word = word[:-1]
    if len(word) > 3 and word.endswith("ie"):  # cookie and cookies both become cooky
        word = word[:-2] + "y"
    return word


def _long(word: str) -> bool:
    # cds, tvs and pcs are plurals; gas, has and yes are not.
    return len(word) > 3 or (len(word) == 3 and word[1] not in "aeiou")


def words(text: str) -> list[str]:
    """The stemmed English words of `text`, in order."""
    return [stem(w) for w in WORD.findall(fold(text))]


def key(term: str) -> str:
    """The one string two spellings of a name share: compact Korean, or joined stems."""
    return compact(term) if is_korean(term) else "".join(words(term))
