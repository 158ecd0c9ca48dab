"""Opening hours as data: a week of `DayHours`, public-holiday hours, closures and notes.

A day is `open` during its ranges (closed outside them), `closed`, or `unknown`. An
`unknown` day with ranges says "maybe open during these ranges, certainly closed outside
them" (a source that gives hours for the 1st, 3rd and 5th Monday only); an `unknown` day
without ranges says nothing at all. A range ending at or before its start runs past
midnight into the next day (22:00–02:00); `24:00` ends a day. Seasons replace a day's
ranges in some months (summer hours). The models are frozen pydantic models, so a
schedule is hashable, and `model_dump(mode="json")` / `model_validate` round-trip it for
storage.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

_CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Kind = Literal["open", "closed", "unknown"]


def minutes(clock: str) -> int:
    """Minutes since midnight of an `HH:MM` clock (`24:00` is 1440)."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def clock(total: int) -> str:
    """The `HH:MM` clock of minutes since midnight (1440 is `24:00`)."""
    return f"{total // 60:02d}:{total % 60:02d}"


class TimeRange(BaseModel):
    """From `start` to `end` (`HH:MM`); an `end` at or before `start` is on the next day."""

    model_config = ConfigDict(frozen=True)

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _is_clock(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError(f"{value!r} is not a clock time HH:MM from 00:00 to 24:00")
        return value

    @model_validator(mode="after")
    def _is_a_span(self) -> TimeRange:
        if self.start == "24:00":
            raise ValueError("a range cannot start at 24:00")
        if self.start == self.end:
            raise ValueError(f"a range from {self.start} to {self.end} is empty")
        return self

    @property
    def overnight(self) -> bool:
        """True when the range runs past midnight into the next day."""
        return minutes(self.end) <= minutes(self.start)

    def text(self) -> str:
        return f"{self.start}-{self.end}"


class Season(BaseModel):
    """Other ranges for a day in some months of the year (e.g. July to September)."""

    model_config = ConfigDict(frozen=True)

    months: tuple[int, ...]
    ranges: tuple[TimeRange, ...]

    @field_validator("months")
    @classmethod
    def _are_months(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= m <= 12 for m in value):
            raise ValueError("a season needs months from 1 to 12")
        return tuple(sorted(set(value)))


class DayHours(BaseModel):
    """One day's hours; `note` keeps the source's words when they said more than ranges."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    ranges: tuple[TimeRange, ...] = ()
    seasons: tuple[Season, ...] = ()
    note: str | None = None

    @model_validator(mode="after")
    def _ranges_fit_the_kind(self) -> DayHours:
        if self.kind == "open" and not self.ranges:
            raise ValueError("an open day needs at least one range")
        if self.kind == "closed" and (self.ranges or self.seasons):
            raise ValueError("a closed day has no ranges")
        if self.kind == "unknown" and self.seasons:
            raise ValueError("an unknown day has no seasons")
        return self

    @classmethod
    def closed(cls, note: str | None = None) -> DayHours:
        return cls(kind="closed", note=note)

    @classmethod
    def unknown(cls, note: str | None = None) -> DayHours:
        return cls(kind="unknown", note=note)

    @classmethod
    def open(cls, *ranges: tuple[str, str], note: str | None = None) -> DayHours:
        """An open day from `(start, end)` pairs: `DayHours.open(("09:00", "18:00"))`."""
        return cls(
            kind="open", ranges=tuple(TimeRange(start=s, end=e) for s, e in ranges), note=note
        )

    @property
    def all_day(self) -> bool:
        """Open around the clock (one range 00:00–24:00)."""
        return self.kind == "open" and self.ranges == (TimeRange(start="00:00", end="24:00"),)

    def in_month(self, month: int) -> DayHours:
        """This day as it is in `month`: a season's ranges replace the usual ones."""
        for season in self.seasons:
            if month in season.months:
                return DayHours(kind="open", ranges=season.ranges, note=self.note)
        return self if not self.seasons else self.model_copy(update={"seasons": ()})

    def uncertain(self, note: str) -> DayHours:
        """This day when a closure may apply to it: open hours become maybe-open hours."""
        match self.kind:
            case "open":
                return DayHours(kind="unknown", ranges=self.ranges, note=note)
            case "unknown":
                return DayHours(kind="unknown", ranges=self.ranges, note=self.note or note)
            case "closed":
                return self

    def text(self) -> str | None:
        """How a person reads this day: `09:00-12:00, 14:00-17:00`, `24시간`, `휴무`, or
        the source's note; None when nothing is known."""
        if self.kind == "open":
            ranges = "24시간" if self.all_day else ", ".join(r.text() for r in self.ranges)
            seasons = "".join(
                f" ({_months_text(s.months)}: {', '.join(r.text() for r in s.ranges)})"
                for s in self.seasons
            )
            return ranges + seasons
        if self.note:
            return self.note
        return "휴무" if self.kind == "closed" else None


class Closure(BaseModel):
    """Closed from `start` to `end`, both days included."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    reason: str | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Closure:
        if self.end < self.start:
            raise ValueError(f"a closure cannot end ({self.end}) before it starts ({self.start})")
        return self


_UNKNOWN = DayHours(kind="unknown")


class WeeklySchedule(BaseModel):
    """A week of hours, Monday first; `holiday` applies on Korean public holidays."""

    model_config = ConfigDict(frozen=True)

    mon: DayHours = _UNKNOWN
    tue: DayHours = _UNKNOWN
    wed: DayHours = _UNKNOWN
    thu: DayHours = _UNKNOWN
    fri: DayHours = _UNKNOWN
    sat: DayHours = _UNKNOWN
    sun: DayHours = _UNKNOWN
    holiday: DayHours = _UNKNOWN
    closures: tuple[Closure, ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        days: tuple[DayHours, ...],
        holiday: DayHours = _UNKNOWN,
        closures: tuple[Closure, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> WeeklySchedule:
        """A schedule from seven days, Monday first."""
        if len(days) != 7:
            raise ValueError(f"a week has 7 days, not {len(days)}")
        return cls(
            **dict(zip(WEEKDAYS, days, strict=True)),
            holiday=holiday,
            closures=closures,
            notes=notes,
        )

    @property
    def days(self) -> tuple[DayHours, ...]:
        """The seven days, Monday first (index = `date.weekday()`)."""
        return (self.mon, self.tue, self.wed, self.thu, self.fri, self.sat, self.sun)

    @property
    def known(self) -> bool:
        """False when the schedule says nothing about any day (every day unknown, no ranges)."""
        return any(d != _UNKNOWN for d in (*self.days, self.holiday)) or bool(self.closures)

    def on(self, day: date, holiday: bool) -> DayHours:
        """The hours that apply on `day`: a closure, the holiday hours, or the weekday's,
        each as it is in that month."""
        for closure in self.closures:
            if closure.start <= day <= closure.end:
                return DayHours.closed(closure.reason)
        hours = self.holiday if holiday else self.days[day.weekday()]
        return hours.in_month(day.month)


UNKNOWN_WEEK = WeeklySchedule()


def _months_text(months: tuple[int, ...]) -> str:
    if list(months) == list(range(months[0], months[-1] + 1)) and len(months) > 1:
        return f"{months[0]}-{months[-1]}월"
    return ",".join(str(m) for m in months) + "월"
