"""A `WeeklySchedule` written as an OpenStreetMap `opening_hours` expression.

`weekly` is the schedule's week as OSM tags write it (`Mo-Fr 09:00-18:00; PH off`), for
export. `expression` is what the evaluator runs: the same week with every public holiday
and closure of a window of dates written out as a dated rule, because the evaluator's
own holiday table is not the one we use (see `evaluate`).

Each day's rule carries that day's own ranges cut at midnight plus the part of the
previous day's overnight ranges that runs into it. An OSM rule for a day replaces
everything earlier rules said about that day, the previous night's spill included, so
the spill is written out explicitly (as an additional `,` rule, which wins within its
span) instead of being left to `22:00-02:00` on the day before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from services.places.hours.model import DayHours, TimeRange, WeeklySchedule

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def weekly(schedule: WeeklySchedule) -> str:
    """The week as an OSM expression, holidays as `PH` (export only: overnight ranges and
    seasons are written the OSM way, which an OSM reader takes as we do on plain weeks)."""
    rules = [f"{_DAYS[i]} {_plain(day)}" for i, day in enumerate(schedule.days)]
    rules += [
        f"{_month_list(season.months)} {_DAYS[i]} {_spans(season.ranges)}"
        for i, day in enumerate(schedule.days)
        for season in day.seasons
    ]
    rules.append(f"PH {_plain(schedule.holiday)}")
    rules += [f"{_date(c.start)}-{_date(c.end)} off" for c in schedule.closures]
    return "; ".join(rules)


def expression(schedule: WeeklySchedule, holidays: Iterable[date], first: date, last: date) -> str:
    """An expression that equals `schedule` on every day from `first` to `last`, the
    public holidays being `holidays` (days outside the window follow the plain week)."""
    days = schedule.days
    if any(day.seasons for day in (*days, schedule.holiday)):
        rules = [
            _rule(
                f"{_MONTHS[month - 1]} {_DAYS[i]}",
                days[i].in_month(month),
                days[i - 1].in_month(month),
            )
            for month in range(1, 13)
            for i in range(7)
        ]
        month_starts = {
            date(y, m, 1) for y in range(first.year, last.year + 1) for m in range(1, 13)
        }
    else:
        rules = [_rule(_DAYS[i], days[i], days[i - 1]) for i in range(7)]
        month_starts = set()
    off = set(holidays)
    special = {d for d in off if first <= d <= last}
    special |= {d + timedelta(days=1) for d in special}
    for closure in schedule.closures:
        day = max(closure.start, first)
        while day <= min(closure.end, last) + timedelta(days=1):
            special.add(day)
            day += timedelta(days=1)
    special |= {d for d in month_starts if first <= d <= last}
    for day in sorted(special):
        before = day - timedelta(days=1)
        rules.append(
            _rule(
                _date(day),
                schedule.on(day, day in off),
                schedule.on(before, before in off),
            )
        )
    return "; ".join(rules)


def _rule(selector: str, own: DayHours, previous: DayHours) -> str:
    """The rule for the days `selector` picks: their own hours, then the spill of the
    night before (maybe-open spill first, so open spill wins where both apply)."""
    spill = tuple(TimeRange(start="00:00", end=r.end) for r in previous.ranges if r.overnight)
    cut = tuple(r if not r.overnight else TimeRange(start=r.start, end="24:00") for r in own.ranges)
    match own.kind:
        case "open":
            parts = [f"{selector} {_spans(cut)}"]
        case "closed":
            parts = [f"{selector} off"]
        case "unknown":
            parts = [f"{selector} {_spans(cut)} unknown" if cut else f"{selector} unknown"]
    if spill and previous.kind == "unknown":
        parts.append(f"{selector} {_spans(spill)} unknown")
    if spill and previous.kind == "open":
        parts.append(f"{selector} {_spans(spill)}")
    return ", ".join(parts)


def _plain(day: DayHours) -> str:
    match day.kind:
        case "open":
            return _spans(day.ranges)
        case "closed":
            return "off"
        case "unknown":
            return f"{_spans(day.ranges)} unknown" if day.ranges else "unknown"


def _spans(ranges: Iterable[TimeRange]) -> str:
    return ",".join(f"{r.start}-{r.end}" for r in ranges)


def _date(day: date) -> str:
    return f"{day.year} {_MONTHS[day.month - 1]} {day.day:02d}"


def _month_list(months: tuple[int, ...]) -> str:
    return ",".join(_MONTHS[m - 1] for m in months)
