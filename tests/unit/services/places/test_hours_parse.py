"""The free-text hours cells: every distinct form in the KECO file, and the edge cases."""

from __future__ import annotations

import pytest

from services.places.hours import DayHours, Season, TimeRange, parse_day

TUE, THU = 1, 3


def maybe(*ranges: tuple[str, str], note: str) -> DayHours:
    return DayHours(
        kind="unknown", ranges=tuple(TimeRange(start=s, end=e) for s, e in ranges), note=note
    )


def seasonal(
    base: tuple[str, str], months: tuple[int, ...], other: tuple[str, str], note: str
) -> DayHours:
    return DayHours(
        kind="open",
        ranges=(TimeRange(start=base[0], end=base[1]),),
        seasons=(Season(months=months, ranges=(TimeRange(start=other[0], end=other[1]),)),),
        note=note,
    )


ALL_DAY = DayHours.open(("00:00", "24:00"))
SUMMER = "10시~22시 (하절기(7~9월) 10시~23시)"

# Every distinct weekday, holiday and closure cell of the KECO file, verbatim.
REAL_CELLS = [
    ("휴무", DayHours.closed()),
    ("전체휴무", DayHours.closed()),
    ("상시", ALL_DAY),
    ("00:00~24:00", ALL_DAY),
    ("계약종료", DayHours.closed(note="계약종료")),
    ("09:00 ~ 21:00", DayHours.open(("09:00", "21:00"))),
    ("09:00~18:00", DayHours.open(("09:00", "18:00"))),
    ("08:00~21:00", DayHours.open(("08:00", "21:00"))),
    ("09:00 ~ 18:00", DayHours.open(("09:00", "18:00"))),
    ("08시~22시", DayHours.open(("08:00", "22:00"))),
    ("09:00 ~ 12:00", DayHours.open(("09:00", "12:00"))),
    ("14:00 ~ 18:00", DayHours.open(("14:00", "18:00"))),
    ("14:00 ~ 17:00", DayHours.open(("14:00", "17:00"))),
    ("12:00 ~ 16:00", DayHours.open(("12:00", "16:00"))),
    ("13:00 ~ 17:00", DayHours.open(("13:00", "17:00"))),
    ("11:00 ~ 14:00", DayHours.open(("11:00", "14:00"))),
    ("11:00 ~ 15:00", DayHours.open(("11:00", "15:00"))),
    ("9:00 ~ 11:00", DayHours.open(("09:00", "11:00"))),
    ("09:30 ~ 12:00", DayHours.open(("09:30", "12:00"))),
    ("10:00 ~ 17:00", DayHours.open(("10:00", "17:00"))),
    ("10:00 ~ 12:00", DayHours.open(("10:00", "12:00"))),
    ("08:00 ~ 12:00", DayHours.open(("08:00", "12:00"))),
    ("10시~22시         ", DayHours.open(("10:00", "22:00"))),
    ("12:00 ~ 18:00", DayHours.open(("12:00", "18:00"))),
    ("09:30 ~ 12:30", DayHours.open(("09:30", "12:30"))),
    ("14:00 ~ 16:00", DayHours.open(("14:00", "16:00"))),
    ("09:50 ~ 17:00", DayHours.open(("09:50", "17:00"))),
    ("09:00 ~ 13:00", DayHours.open(("09:00", "13:00"))),
    ("13:00 ~ 16:00", DayHours.open(("13:00", "16:00"))),
    ("09:00 ~ 11:30", DayHours.open(("09:00", "11:30"))),
    ("09:00~12:00", DayHours.open(("09:00", "12:00"))),
    ("9:00~11:00", DayHours.open(("09:00", "11:00"))),
    ("9:30 ~ 11:30", DayHours.open(("09:30", "11:30"))),
    ("09:00 ~ 12:00,\n14:00 ~ 17:00", DayHours.open(("09:00", "12:00"), ("14:00", "17:00"))),
    ("9:00 ~ 11:00\n15:00 ~ 17:00", DayHours.open(("09:00", "11:00"), ("15:00", "17:00"))),
    (
        "10시~22시         (하절기(7~9월) 10시~23시)",
        seasonal(("10:00", "22:00"), (7, 8, 9), ("10:00", "23:00"), SUMMER),
    ),
    (
        "10시~22시         (하절기(7~9월)    10시~23시)",
        seasonal(("10:00", "22:00"), (7, 8, 9), ("10:00", "23:00"), SUMMER),
    ),
    (
        "10시~22시         (하절기(7~9월)     10시~23시)",
        seasonal(("10:00", "22:00"), (7, 8, 9), ("10:00", "23:00"), SUMMER),
    ),
    (
        "10:00~12:00\n14:00~16:00\n(1,3,5주)",
        maybe(("10:00", "12:00"), ("14:00", "16:00"), note="10:00~12:00 14:00~16:00 (1,3,5주)"),
    ),
    (
        "10:00~12:00\n14:00~16:00\n(2, 4주)",
        maybe(("10:00", "12:00"), ("14:00", "16:00"), note="10:00~12:00 14:00~16:00 (2, 4주)"),
    ),
]


@pytest.mark.parametrize(("cell", "expected"), REAL_CELLS)
def test_every_real_cell(cell: str, expected: DayHours) -> None:
    assert parse_day(cell, TUE) == expected


def test_every_thursday_in_the_thursday_column_is_just_its_ranges() -> None:
    cell = "10:00~12:00\n14:00~16:00\n(매주 목요일)"
    day = parse_day(cell, THU)
    assert (day.kind, day.ranges) == (
        "open",
        DayHours.open(("10:00", "12:00"), ("14:00", "16:00")).ranges,
    )
    assert parse_day(cell, TUE).kind == "unknown", "every Thursday says nothing about Tuesday"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("22:00~02:00", DayHours.open(("22:00", "02:00"))),
        ("18시 30분 - 24시", DayHours.open(("18:30", "24:00"))),
        ("09:00–12:00 / 13:00–18:00", DayHours.open(("09:00", "12:00"), ("13:00", "18:00"))),
        ("０９：００～１８：００", DayHours.open(("09:00", "18:00"))),
        ("24시간", ALL_DAY),
        ("휴관", DayHours.closed()),
        ("", DayHours.unknown()),
    ],
)
def test_other_forms(cell: str, expected: DayHours) -> None:
    assert parse_day(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "둘째 주 휴무",
        "매월 둘째, 넷째 주 월요일 휴무",
        "평일 09:00~18:00",
        "09:00~18:00 (점심시간 12:00~13:00)",
        "09:00~09:00",
        "25:00~26:00",
        "09:60~10:00",
        "24:00~02:00",
        "09:00~18:00)",
        "(09:00~18:00",
        "문의 바람",
        "10:00~",
    ],
)
def test_what_cannot_be_read_exactly_is_unknown_with_its_words(cell: str) -> None:
    day = parse_day(cell)
    assert day.kind == "unknown"
    assert day.ranges == ()
    assert day.note == " ".join(cell.split())


def test_day_text() -> None:
    assert parse_day("09:00 ~ 12:00,\n14:00 ~ 17:00").text() == "09:00-12:00, 14:00-17:00"
    assert parse_day("상시").text() == "24시간"
    assert parse_day("휴무").text() == "휴무"
    assert parse_day("계약종료").text() == "계약종료"
    assert parse_day(SUMMER).text() == "10:00-22:00 (7-9월: 10:00-23:00)"
    assert parse_day("").text() is None
