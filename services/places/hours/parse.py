"""The free-text hour cells of Korean public data, read into `DayHours`.

What a cell may say, and what it becomes:
- `09:00~18:00`, `09:00 ~ 18:00`, `9:00~11:00`, `08시~22시`, `12시 30분~14시`: one range
  (`~`, `-` or `–` between the times, any spacing, `시` for `:`); `00:00~24:00` is all day;
- `09:00 ~ 12:00,\n14:00 ~ 17:00`: several ranges (commas, slashes, spaces or line breaks);
- `22:00~02:00`: a range past midnight;
- `상시`, `24시간`: open around the clock;
- `휴무`, `전체휴무`, `휴관`: closed; `계약종료` (the site's contract ended): closed, noted;
- `(매주 목요일)` in that weekday's own cell: nothing more than its ranges;
- `10시~22시 (하절기(7~9월) 10시~23시)`: a season with other ranges in those months;
- `(1,3,5주)`, `(2, 4주)` and other week-of-month remarks: the ranges become maybe-open
  hours (unknown during them, closed outside), since "the 1st week" can mean the first
  such weekday or the first calendar week of the month;
- anything else: unknown, with the cell's words as the note. A wrong open or closed is
  worse than unknown, so nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import ValidationError

from services.places.hours.model import DayHours, Season, TimeRange, clock

_TIME = r"(\d{1,2})\s*(?::\s*(\d{2})|시(?:\s*(\d{1,2})\s*분)?)"
_RANGE = re.compile(_TIME + r"\s*[~\-–—]\s*" + _TIME)
_SEPARATOR = re.compile(r"[\s,/]*")
_CLOSED = {"휴무", "전체휴무", "휴관", "정기휴무", "휴일", "운영안함", "미운영"}
_ALL_DAY = {"상시", "상시운영", "24시간", "24시간운영", "연중무휴24시간"}
_ENDED = {"계약종료", "운영종료", "폐업"}
_KOREAN_DAYS = "월화수목금토일"
_EVERY_WEEKDAY = re.compile(r"매주\s*([월화수목금토일])\s*요일")
_SEASON = re.compile(
    r"(?:하절기|동절기|여름|겨울)?\s*\(\s*(\d{1,2})\s*월?\s*~\s*(\d{1,2})\s*월\s*\)\s*(.+)", re.S
)
_WEEK_OF_MONTH = re.compile(r"\d\s*주|첫째|둘째|셋째|넷째|다섯째|마지막")


def parse_day(cell: str | None, weekday: int | None = None) -> DayHours:
    """Read one free-text hours cell; `weekday` (0 = Monday) is the day its column is for,
    so a remark naming that same weekday can be recognised as redundant."""
    text = " ".join(unicodedata.normalize("NFKC", cell or "").split())
    if not text:
        return DayHours.unknown()
    bare = text.replace(" ", "")
    if bare in _CLOSED:
        return DayHours.closed()
    if bare in _ALL_DAY:
        return DayHours.open(("00:00", "24:00"))
    if bare in _ENDED:
        return DayHours.closed(note=text)
    outside, remarks = _split_remarks(text)
    ranges = _ranges(outside) if outside is not None else None
    if not ranges:
        return DayHours.unknown(note=text)
    seasons: list[Season] = []
    maybe = False
    for remark in remarks:
        every = _EVERY_WEEKDAY.fullmatch(remark)
        if every is not None and weekday is not None and _KOREAN_DAYS.index(every[1]) == weekday:
            continue
        season = _season(remark)
        if season is not None:
            seasons.append(season)
        elif _WEEK_OF_MONTH.search(remark):
            maybe = True
        else:
            return DayHours.unknown(note=text)
    if maybe:
        return DayHours(kind="unknown", ranges=ranges, note=text)
    return DayHours(
        kind="open", ranges=ranges, seasons=tuple(seasons), note=text if remarks else None
    )


def _split_remarks(text: str) -> tuple[str | None, list[str]]:
    """The text outside parentheses and each top-level parenthesised remark; None for the
    outside when the parentheses do not balance."""
    outside: list[str] = []
    remarks: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            if depth:
                current.append(char)
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None, []
            if depth:
                current.append(char)
            else:
                remarks.append("".join(current).strip())
                current = []
                outside.append(" ")
        elif depth:
            current.append(char)
        else:
            outside.append(char)
    if depth:
        return None, []
    return "".join(outside), remarks


def _ranges(text: str) -> tuple[TimeRange, ...] | None:
    """Every range of a text made of nothing but ranges and separators, else None."""
    found: list[TimeRange] = []
    position = 0
    text = text.strip()
    while position < len(text):
        gap = _SEPARATOR.match(text, position)
        position = gap.end() if gap else position
        if position >= len(text):
            break
        match = _RANGE.match(text, position)
        if match is None:
            return None
        span = _span(match)
        if span is None:
            return None
        found.append(span)
        position = match.end()
    return tuple(found) or None


def _span(match: re.Match[str]) -> TimeRange | None:
    hour1, min1, kmin1, hour2, min2, kmin2 = match.groups()
    start = _minutes(hour1, min1 or kmin1)
    end = _minutes(hour2, min2 or kmin2)
    if start is None or end is None:
        return None
    try:
        return TimeRange(start=clock(start), end=clock(end))
    except ValidationError:
        return None


def _minutes(hour: str, minute: str | None) -> int | None:
    h, m = int(hour), int(minute or 0)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def _season(remark: str) -> Season | None:
    match = _SEASON.fullmatch(remark)
    if match is None:
        return None
    first, last = int(match[1]), int(match[2])
    ranges = _ranges(match[3])
    if not (1 <= first <= 12 and 1 <= last <= 12) or ranges is None:
        return None
    months = range(first, last + 1) if first <= last else [*range(first, 13), *range(1, last + 1)]
    return Season(months=tuple(months), ranges=ranges)
