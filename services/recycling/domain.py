"""Pure rules over the taxonomy: the category tree, resolving a requested category, codes.

`contracts.scan.taxonomy` is the source of the codes; nothing here does I/O.
"""

from __future__ import annotations

from contracts.recycling.v1 import Major, Middle
from contracts.scan import taxonomy
from services.recycling.errors import RecyclingError

Key = tuple[str, str]


def categories() -> tuple[Key, ...]:
    """Every (major, middle) with rules, in taxonomy order; a major without middles is
    its own middle."""
    return tuple(
        (major, middle) for major in taxonomy.CATEGORIES for middle in taxonomy.middles(major)
    )


def label(major: str, middle: str) -> str:
    """The English label of a valid (major, middle)."""
    return taxonomy.middles(major)[middle]


def category_tree() -> tuple[Major, ...]:
    """Majors in taxonomy order, each with its middles; a major without middles lists none."""
    return tuple(
        Major(
            code=major,
            label=major_label,
            middles=tuple(Middle(code=code, label=text) for code, text in subs.items()),
        )
        for major, (major_label, subs) in taxonomy.CATEGORIES.items()
    )


def locate(code: str) -> Key | None:
    """The category a single code names: a middle, or a major without middles."""
    for major, middle in categories():
        if code == middle:
            return major, middle
    return None


def resolve(major: str, middle: str | None) -> Key:
    """The (major, middle) a rules request asks for, or `not_found` naming the valid codes."""
    major = major.strip()
    middle = middle.strip() if middle is not None else None
    if major not in taxonomy.CATEGORIES:
        raise RecyclingError(
            "not_found",
            f"unknown major category {major!r}; known majors: {', '.join(taxonomy.CATEGORIES)}",
        )
    subs = taxonomy.middles(major)
    if not middle:
        if major in subs:
            return major, major
        raise RecyclingError(
            "not_found",
            f"major category {major!r} has middle categories; give one of: {', '.join(subs)}",
        )
    if middle not in subs:
        raise RecyclingError(
            "not_found",
            f"unknown middle category {middle!r} of {major!r}; known middles: {', '.join(subs)}",
        )
    return major, middle
