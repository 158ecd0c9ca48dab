"""Open now at fixed instants, in Seoul, with the Korean public holidays of `holidays`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from opening_hours import validate

from services.places.hours import (
    SEOUL,
    Closure,
    DayHours,
    HolidayCalendar,
    OpenStatus,
    WeeklySchedule,
    parse_day,
    status_at,
    weekly,
)

CLOSED = DayHours.closed()
OFFICE = WeeklySchedule.of(
    (DayHours.open(("09:00", "18:00")),) * 5 + (DayHours.open(("10:00", "13:00")), CLOSED),
    holiday=CLOSED,
)


@pytest.fixture(scope="module")
def calendar() -> HolidayCalendar:
    return HolidayCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


def test_the_holiday_package_knows_the_days_the_tests_use(calendar: HolidayCalendar) -> None:
    assert calendar.name(date(2026, 9, 25)) == "추석"
    assert calendar.name(date(2026, 10, 9)) == "한글날"
    assert calendar.name(date(2026, 11, 30)) is None


def test_a_weekday(calendar: HolidayCalendar) -> None:
    assert status_at(OFFICE, at("2026-11-30T10:15"), calendar) == OpenStatus(
        open=True, hours_today="09:00-18:00", next_change_at=at("2026-11-30T18:00")
    )
    assert status_at(OFFICE, at("2026-11-30T18:00"), calendar) == OpenStatus(
        open=False, hours_today="09:00-18:00", next_change_at=at("2026-12-01T09:00")
    )


def test_a_saturday_and_a_sunday(calendar: HolidayCalendar) -> None:
    assert status_at(OFFICE, at("2026-11-28T12:00"), calendar).open is True
    assert status_at(OFFICE, at("2026-11-29T12:00"), calendar) == OpenStatus(
        open=False, hours_today="휴무", next_change_at=at("2026-11-30T09:00")
    )


def test_a_public_holiday_on_a_weekday(calendar: HolidayCalendar) -> None:
    assert status_at(OFFICE, at("2026-09-25T11:00"), calendar) == OpenStatus(
        open=False, hours_today="추석: 휴무", next_change_at=at("2026-09-28T09:00")
    )
    hangul = status_at(OFFICE, at("2026-10-09T11:00"), calendar)
    assert (hangul.open, hangul.hours_today) == (False, "한글날: 휴무")
    assert hangul.next_change_at == at("2026-10-10T10:00"), "Saturday after 한글날 opens at 10"


def test_holiday_hours_apply_on_holidays(calendar: HolidayCalendar) -> None:
    short = OFFICE.model_copy(update={"holiday": DayHours.open(("10:00", "14:00"))})
    assert status_at(short, at("2026-09-25T13:00"), calendar) == OpenStatus(
        open=True, hours_today="추석: 10:00-14:00", next_change_at=at("2026-09-25T14:00")
    )


def test_an_overnight_range_just_after_midnight(calendar: HolidayCalendar) -> None:
    night = WeeklySchedule.of((CLOSED,) * 4 + (DayHours.open(("22:00", "02:00")),) + (CLOSED,) * 2)
    friday_night = status_at(night, at("2026-11-27T23:00"), calendar)
    assert (friday_night.open, friday_night.next_change_at) == (True, at("2026-11-28T02:00"))
    after_midnight = status_at(night, at("2026-11-28T00:30"), calendar)
    assert (after_midnight.open, after_midnight.next_change_at) == (True, at("2026-11-28T02:00"))
    assert after_midnight.hours_today == "휴무", "Saturday's own hours"
    assert status_at(night, at("2026-11-28T02:30"), calendar).open is False


def test_an_overnight_range_runs_into_a_holiday(calendar: HolidayCalendar) -> None:
    night = WeeklySchedule.of(
        (CLOSED,) * 3 + (DayHours.open(("22:00", "02:00")),) + (CLOSED,) * 3, holiday=CLOSED
    )
    # Thursday 2026-09-24 is 추석 전날: closed itself, but Wednesday night's range runs on.
    wednesday = WeeklySchedule.of(
        (CLOSED,) * 2 + (DayHours.open(("22:00", "02:00")),) + (CLOSED,) * 4, holiday=CLOSED
    )
    assert status_at(wednesday, at("2026-09-24T01:00"), calendar).open is True
    # A holiday's own (closed) hours do not run into the next day.
    assert status_at(night, at("2026-09-25T01:00"), calendar).open is False


def test_around_the_clock(calendar: HolidayCalendar) -> None:
    always = WeeklySchedule.of((parse_day("상시"),) * 7, holiday=parse_day("00:00~24:00"))
    assert status_at(always, at("2026-11-30T03:00"), calendar) == OpenStatus(
        open=True, hours_today="24시간", next_change_at=None
    )
    assert status_at(always, at("2026-09-25T03:00"), calendar).open is True


def test_a_closed_day(calendar: HolidayCalendar) -> None:
    ended = WeeklySchedule.of((parse_day("계약종료"),) * 5 + (CLOSED,) * 2, holiday=CLOSED)
    assert status_at(ended, at("2026-11-30T12:00"), calendar) == OpenStatus(
        open=False, hours_today="계약종료", next_change_at=None
    )


def test_an_unknown_note(calendar: HolidayCalendar) -> None:
    odd = OFFICE.model_copy(update={"mon": parse_day("10:00~12:00\n14:00~16:00\n(1,3,5주)", 0)})
    during = status_at(odd, at("2026-11-30T11:00"), calendar)
    assert during == OpenStatus(
        open=None,
        hours_today="10:00~12:00 14:00~16:00 (1,3,5주)",
        next_change_at=at("2026-11-30T12:00"),
    )
    assert status_at(odd, at("2026-11-30T13:00"), calendar).open is False, "closed between"
    assert status_at(odd, at("2026-11-30T20:00"), calendar).open is False, "closed after"
    vague = OFFICE.model_copy(update={"mon": parse_day("둘째 주 휴무")})
    assert status_at(vague, at("2026-11-30T03:00"), calendar) == OpenStatus(
        open=None, hours_today="둘째 주 휴무", next_change_at=at("2026-12-01T00:00")
    )


def test_nothing_known(calendar: HolidayCalendar) -> None:
    assert status_at(WeeklySchedule(), at("2026-11-30T11:00"), calendar) == OpenStatus(
        open=None, hours_today=None, next_change_at=None
    )


def test_summer_hours(calendar: HolidayCalendar) -> None:
    summer = WeeklySchedule.of(
        (parse_day("10시~22시 (하절기(7~9월) 10시~23시)"),) * 7, holiday=CLOSED
    )
    assert status_at(summer, at("2026-09-30T22:30"), calendar).open is True
    october = status_at(summer, at("2026-10-01T22:30"), calendar)
    assert (october.open, october.hours_today) == (False, "10:00-22:00")


def test_a_closure_period(calendar: HolidayCalendar) -> None:
    shut = OFFICE.model_copy(
        update={
            "closures": (Closure(start=date(2026, 12, 1), end=date(2026, 12, 3), reason="공사"),)
        }
    )
    assert status_at(shut, at("2026-12-02T10:00"), calendar) == OpenStatus(
        open=False, hours_today="공사", next_change_at=at("2026-12-04T09:00")
    )


def test_any_timezone_in_seoul_time(calendar: HolidayCalendar) -> None:
    utc = datetime(2026, 11, 30, 1, 15, tzinfo=UTC)  # 10:15 in Seoul
    status = status_at(OFFICE, utc, calendar)
    assert status.open is True
    assert status.next_change_at == at("2026-11-30T18:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        status_at(OFFICE, datetime(2026, 11, 30, 10, 15), calendar)


def test_weekly_export() -> None:
    assert weekly(OFFICE) == (
        "Mo 09:00-18:00; Tu 09:00-18:00; We 09:00-18:00; Th 09:00-18:00; Fr 09:00-18:00; "
        "Sa 10:00-13:00; Su off; PH off"
    )
    shut = OFFICE.model_copy(
        update={"closures": (Closure(start=date(2026, 12, 1), end=date(2026, 12, 3)),)}
    )
    assert weekly(shut).endswith("; PH off; 2026 Dec 01-2026 Dec 03 off")
    summer = WeeklySchedule.of((parse_day("10시~22시 (하절기(7~9월) 10시~23시)"),) + (CLOSED,) * 6)
    assert weekly(summer).startswith("Mo 10:00-22:00; Tu off")
    assert "Jul,Aug,Sep Mo 10:00-23:00; PH unknown" in weekly(summer)
    assert all(validate(weekly(s)) for s in (OFFICE, shut, summer)), "valid OSM syntax"
