"""The opening hours of a KECO row: its seven weekday cells, holiday cells and closures.

- `monSalsHrExplnCn` … `sunSalsHrExplnCn`: each read by `parse_day`.
- `lhldySalsHrExplnCn`: the public-holiday hours. `lhldyDyoffCn` (holiday closures) and
  `tmprLhldyCn` (temporary holidays) must agree with them; in the real file they repeat
  the same words (`전체휴무` beside `휴무`, the same hours). When they disagree, or when the
  notes (`etcMttrCn`) say public holidays are closed while the hours say open (the
  boilerplate `근로자의 날 등 공휴일(임시공휴일 포함)은 휴무` beside `상시`), the holiday is
  unknown: the source contradicts itself, and a wrong answer is worse than none.
- `dyoffBgndeCn`, `dyoffEnddtCn`, `dyoffRsnExpln`: a closure from one date to another
  (`20260101`, `2026-01-01`, `2026.01.01`); closure text that does not read as two dates
  makes every open day maybe-open, since the closure could fall on any of them.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import ValidationError

from services.places.hours.model import Closure, DayHours, WeeklySchedule
from services.places.hours.parse import parse_day
from services.places.importers.results import SourceRow

DAY_COLUMNS = (
    "monSalsHrExplnCn",
    "tuesSalsHrExplnCn",
    "wedSalsHrExplnCn",
    "thurSalsHrExplnCn",
    "friSalsHrExplnCn",
    "satSalsHrExplnCn",
    "sunSalsHrExplnCn",
)
HOLIDAY = "lhldySalsHrExplnCn"
HOLIDAY_AGREEING = ("lhldyDyoffCn", "tmprLhldyCn")
CLOSURE = ("dyoffBgndeCn", "dyoffEnddtCn", "dyoffRsnExpln")
_HOLIDAYS_CLOSED = re.compile(r"공휴일[^\n]*휴무")
_DATE = re.compile(r"(\d{4})[-./]?\s*(\d{1,2})[-./]?\s*(\d{1,2})\.?")


def keco_schedule(row: SourceRow) -> WeeklySchedule:
    """The structured week of one KECO row."""
    days = tuple(parse_day(row.get(column), weekday) for weekday, column in enumerate(DAY_COLUMNS))
    notes: list[str] = []
    holiday = _holiday(row, notes)
    closures: tuple[Closure, ...] = ()
    begin, end, reason = (row.get(c) for c in CLOSURE)
    if begin or end or reason:
        closure = _closure(begin, end, reason)
        if closure is None:
            note = "휴무 기간을 읽을 수 없음: " + " ".join(t for t in (begin, end, reason) if t)
            days = tuple(day.uncertain(note) for day in days)
            holiday = holiday.uncertain(note)
            notes.append(note)
        else:
            closures = (closure,)
    return WeeklySchedule.of(days, holiday=holiday, closures=closures, notes=tuple(notes))


def _holiday(row: SourceRow, notes: list[str]) -> DayHours:
    holiday = parse_day(row.get(HOLIDAY))
    texts = [row.get(HOLIDAY)]
    agree = True
    for column in HOLIDAY_AGREEING:
        text = row.get(column)
        if text:
            texts.append(text)
            agree = agree and _same(parse_day(text), holiday)
    said_closed = _HOLIDAYS_CLOSED.search(row.get("etcMttrCn"))
    if said_closed is not None:
        if holiday == DayHours.unknown() and agree:
            return DayHours.closed(note=said_closed[0])
        agree = agree and holiday.kind == "closed"
        texts.append(said_closed[0])
    if agree:
        return holiday
    note = "공휴일 운영 정보가 서로 다름: " + " / ".join(
        dict.fromkeys(" ".join(t.split()) for t in texts)
    )
    notes.append(note)
    return DayHours.unknown(note=note)


def _same(one: DayHours, other: DayHours) -> bool:
    return (one.kind, one.ranges, one.seasons) == (other.kind, other.ranges, other.seasons)


def _closure(begin: str, end: str, reason: str) -> Closure | None:
    first, last = _date(begin), _date(end)
    if first is None or last is None:
        return None
    try:
        return Closure(start=first, end=last, reason=reason or None)
    except ValidationError:
        return None


def _date(text: str) -> date | None:
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
