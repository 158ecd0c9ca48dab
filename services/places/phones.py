"""Phone numbers found in free text, in Korean national format (`031-8075-2706`).

`phonenumbers` (Google's libphonenumber) finds and validates the numbers; around it:
- a range of lines, `031-8075-2706~2708`, keeps its first number (the library would read
  `~2708` as an extension);
- a shorthand sibling, `031-729-3203, 3220`, is the same number with its last group
  replaced (`031-729-3220`), the usual way Korean offices list a department's lines;
- text without an area code (`850-6921`) is not a number anyone can dial, and is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

_SIBLING = re.compile(r"\s*,\s*(\d{3,4})(?![\d~-])")


def phone_numbers(text: str) -> tuple[str, ...]:
    """The valid numbers in `text`, in order, each once."""
    found: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(text, "KR"):
        main = _national(match.number)
        if main is None:
            continue
        found.append(main)
        position = match.end
        while (sibling := _SIBLING.match(text, position)) is not None:
            head, _, last = main.rpartition("-")
            if head and len(sibling[1]) == len(last):
                number = _parse(f"{head}-{sibling[1]}")
                if number is not None:
                    found.append(number)
            position = sibling.end()
    return tuple(dict.fromkeys(found))


def merged(texts: Iterable[str]) -> tuple[str, ...]:
    """The numbers of several texts, in order, each once."""
    return tuple(dict.fromkeys(n for t in texts for n in phone_numbers(t)))


def _parse(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "KR")
    except phonenumbers.NumberParseException:
        return None
    return _national(number)


def _national(found: phonenumbers.PhoneNumber) -> str | None:
    number = phonenumbers.PhoneNumber()
    number.merge_from(found)
    number.extension = None
    if not phonenumbers.is_valid_number(number):
        return None
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return formatted
