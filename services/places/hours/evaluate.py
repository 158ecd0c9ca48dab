"""Open now: whether a place is open at an instant, today's hours, and the next change.

Evaluated in Asia/Seoul (zoneinfo, with the `tzdata` package so it works without a system
time-zone database) with the Korean public holidays of the `holidays` package (country
KR, which keeps substitute, election and temporary holidays up to date).

The evaluation itself is done by `opening-hours-py`, the Python binding of the Rust
`opening-hours` crate: a maintained evaluator of OpenStreetMap `opening_hours`
expressions, chosen over a hand-written one (and over the older pure-Python OSM parsers
on PyPI, unmaintained for years) for its tested state, unknown-state and interval logic.
We compile a schedule into an expression (`osm.expression`) and read the library's
intervals from the instant on. Two things it does not do our way are handled here: its
public holidays come from its own table (Nager.Date), so the holidays of `holidays` are
written into the expression as dated rules for a window of two years; and its own
`next_change` searches to year 9999, so the search stops at the window's end and a
change beyond it is reported as None. Compiled expressions are cached per (schedule,
year) in the `HolidayCalendar` the caller holds.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from opening_hours import OpeningHours, State
from pydantic import BaseModel, ConfigDict

from services.places.hours import osm
from services.places.hours.model import WeeklySchedule

SEOUL = ZoneInfo("Asia/Seoul")


class OpenStatus(BaseModel):
    """`open` is None when the source does not say; `next_change_at` is None when
    nothing changes within the evaluated window (or nothing is known)."""

    model_config = ConfigDict(frozen=True)

    open: bool | None
    hours_today: str | None
    next_change_at: datetime | None


class HolidayCalendar:
    """Korean public holidays, and a bounded cache of compiled schedules.

    Build one per process (the composition root) and pass it to `status_at`; it holds no
    connection and does no I/O.
    """

    def __init__(self, cache_size: int = 4096) -> None:
        self._years: dict[int, dict[date, str]] = {}
        self._compiled: OrderedDict[tuple[WeeklySchedule, int], OpeningHours] = OrderedDict()
        self._cache_size = cache_size

    def name(self, day: date) -> str | None:
        """The holiday's Korean name, or None on a working day."""
        return self._year(day.year).get(day)

    def between(self, first: date, last: date) -> dict[date, str]:
        """The public holidays from `first` to `last`, both included."""
        found: dict[date, str] = {}
        for year in range(first.year, last.year + 1):
            found.update({d: n for d, n in self._year(year).items() if first <= d <= last})
        return found

    def compiled(self, schedule: WeeklySchedule, year: int) -> tuple[OpeningHours, date]:
        """The evaluator for `schedule` over `year` and the next, and the window's last day."""
        first, last = date(year, 1, 1) - timedelta(days=7), date(year + 1, 12, 31)
        key = (schedule, year)
        found = self._compiled.get(key)
        if found is None:
            text = osm.expression(
                schedule, self.between(first - timedelta(days=1), last), first, last
            )
            found = OpeningHours(text, timezone=SEOUL)
            self._compiled[key] = found
            if len(self._compiled) > self._cache_size:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(key)
        return found, last

    def _year(self, year: int) -> dict[date, str]:
        if year not in self._years:
            self._years[year] = dict(holidays.country_holidays("KR", years=year, language="ko"))
        return self._years[year]


def status_at(
    schedule: WeeklySchedule, instant: datetime, calendar: HolidayCalendar | None = None
) -> OpenStatus:
    """Whether the place is open at `instant` (timezone-aware), its hours on that day in
    Seoul, and when that state next changes (in Seoul time)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("status_at needs a timezone-aware instant")
    calendar = calendar or HolidayCalendar()
    local = instant.astimezone(SEOUL)
    today = local.date()
    holiday = calendar.name(today)
    text = schedule.on(today, holiday is not None).text()
    hours_today = f"{holiday}: {text}" if holiday and text else holiday or text
    if not schedule.known:
        return OpenStatus(open=None, hours_today=hours_today, next_change_at=None)
    evaluator, last = calendar.compiled(schedule, today.year)
    state, change = _state_and_change(evaluator, local, last)
    return OpenStatus(
        open={State.OPEN: True, State.CLOSED: False}.get(state),
        hours_today=hours_today,
        next_change_at=change,
    )


def _state_and_change(
    evaluator: OpeningHours, local: datetime, last: date
) -> tuple[State, datetime | None]:
    """The state at `local` and when it ends, searching no further than `last` (the
    library's own `next_change` would search to year 9999 past the dated rules)."""
    limit = datetime.combine(last + timedelta(days=1), time(), SEOUL)
    intervals = evaluator.intervals(local, limit)
    _start, end, state, _comment = next(intervals)
    while end < limit:
        following = next(intervals, None)
        if following is None or following[2] != state:
            return state, end
        end = following[1]
    return state, None
