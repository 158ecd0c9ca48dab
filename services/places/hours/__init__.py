"""Opening hours: the model, the free-text parser, and open-now evaluation.

`parse_day` reads one free-text cell into `DayHours`; a `WeeklySchedule` is seven of them
plus public-holiday hours, closures and notes; `status_at` says whether a schedule is
open at an instant (Asia/Seoul, Korean public holidays) through a `HolidayCalendar`.
"""

from services.places.hours.evaluate import SEOUL, HolidayCalendar, OpenStatus, status_at
from services.places.hours.model import (
    UNKNOWN_WEEK,
    Closure,
    DayHours,
    Season,
    TimeRange,
    WeeklySchedule,
)
from services.places.hours.osm import weekly
from services.places.hours.parse import parse_day

__all__ = [
    "SEOUL",
    "UNKNOWN_WEEK",
    "Closure",
    "DayHours",
    "HolidayCalendar",
    "OpenStatus",
    "Season",
    "TimeRange",
    "WeeklySchedule",
    "parse_day",
    "status_at",
    "weekly",
]
