"""The whole shared KECO file through the importer: counts, refusals, known rows exactly."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from services.places.hours import (
    SEOUL,
    DayHours,
    HolidayCalendar,
    Season,
    TimeRange,
    WeeklySchedule,
    status_at,
)
from services.places.importers import Imported, Refused, Tally, keco_place
from services.places.model import AcceptedItem as A
from services.places.model import Place, Source
from services.places.model import StoreCategory as C
from tests.unit.services.places.conftest import Run, row_of

CLOSED = DayHours.closed()
BOILERPLATE = ("품목 및 단가 변경 가능", "근로자의 날 등 공휴일(임시공휴일 포함)은 휴무")


def test_counts(keco_run: Run) -> None:
    tally = Tally.of(keco_run.results)
    assert (tally.read, tally.imported) == (409, 395)
    assert tally.refused == Counter(
        coordinates_missing=9, coordinates_outside_korea=3, coordinates_unreadable=2
    )


def test_every_refused_row_has_its_line_and_a_reason(keco_run: Run) -> None:
    refused = [(r.line, r.source_id, r.code) for r in keco_run.results if isinstance(r, Refused)]
    assert refused == [
        (706, "47", "coordinates_outside_korea"),
        (1457, "99", "coordinates_unreadable"),
        (2638, "188", "coordinates_outside_korea"),
        (2711, "204", "coordinates_missing"),
        (2714, "205", "coordinates_missing"),
        (2720, "207", "coordinates_missing"),
        (2723, "208", "coordinates_missing"),
        (2729, "210", "coordinates_missing"),
        (3016, "313", "coordinates_outside_korea"),
        (3042, "326", "coordinates_missing"),
        (3086, "348", "coordinates_missing"),
        (3096, "353", "coordinates_missing"),
        (3126, "368", "coordinates_unreadable"),
        (3148, "379", "coordinates_missing"),
    ]
    reasons = {r.source_id: r.reason for r in keco_run.results if isinstance(r, Refused)}
    assert reasons["47"].startswith("latitude 5.1571039, longitude 126.9340352 is outside Korea")
    assert reasons["99"] == "latitude '37.45255496043788?' is not a number"
    assert reasons["368"] == "longitude '127.7.23106' is not a number"
    assert reasons["204"] == "no latitude and longitude"


def test_lines_are_where_records_start(keco_file: Path, keco_run: Run) -> None:
    physical = keco_file.read_text(encoding="utf-8").splitlines()
    for result in keco_run.results:
        source_id = result.place.source_id if isinstance(result, Imported) else result.source_id
        assert physical[result.line - 1].startswith(f"{source_id},")


def test_a_goyang_shop(keco_run: Run) -> None:
    days = (CLOSED, DayHours.open(("11:00", "14:00")), *(CLOSED,) * 5)
    assert keco_run.places["1"] == Place(
        source=Source.KECO,
        source_id="1",
        name="고양동 종합복지회관",
        address="고양시 덕양구 혜음로 19-11",
        alt_address="경기도 고양시 덕양구 고양동 233-2",
        lat=37.7025454,
        lon=126.901133,
        phone="031-8075-2706",
        phones=("031-8075-2706",),
        category=C.UPCYCLE_RECYCLE,
        accepts=(A.CLEAR_PET, A.COLORED_PET, A.CAN, A.PAPER, A.PLASTIC),
        items=(
            "투명페트병",
            "유색페트병",
            "판PET",
            "플라스틱(PE)",
            "종이박스",
            "알루미늄 캔",
            "철 캔",
        ),
        hours=WeeklySchedule.of(days, holiday=CLOSED),
        url="https://www.goyang.go.kr/www/www03/www03_3/www03_3_2/www03_3_2_tab5.jsp",
        notes=(
            "위치: 고양동 종합복지회관 우측 천막",
            "주차: 주차불가",
            "문의: 고양시청 자원순환과 자원재활용팀",
            "소개: 가정에서 나오는 고품질 재활용품을 깨끗하게 가져오면 현금 또는 지역화폐로 "
            "유가보상해주는 고양자원순환가게입니다.\n분리배출된 고품질 재활용품은 101% 재활용을 "
            "목표로 하며,\n기후위기 대응 및 자원순환 활성화에 기여합니다.",
            *BOILERPLATE,
        ),
    )


def test_a_seongnam_shop_without_a_road_address(keco_run: Run) -> None:
    place = keco_run.places["20"]
    assert (place.address, place.alt_address) == ("경기도 성남시 분당구 운중동 1027 7번지", None)
    assert (place.phone, place.phones) == ("031-729-3203", ("031-729-3203", "031-729-3220"))
    assert place.accepts == (A.CLEAR_PET, A.CAN, A.PLASTIC)
    assert place.items == ("무색페트병", "PET", "other", "PE", "PP", "PS", "비닐", "알루미늄", "철")
    assert place.hours == WeeklySchedule.of(
        (DayHours.open(("09:00", "12:00")), *(CLOSED,) * 6), holiday=CLOSED
    )


def test_a_yeosu_shop_open_on_some_mondays(keco_run: Run) -> None:
    place = keco_run.places["167"]
    monday = DayHours(
        kind="unknown",
        ranges=(TimeRange(start="10:00", end="12:00"), TimeRange(start="14:00", end="16:00")),
        note="10:00~12:00 14:00~16:00 (1,3,5주)",
    )
    assert place.hours == WeeklySchedule.of((monday, *(CLOSED,) * 6), holiday=CLOSED)
    assert place.phones == ("061-659-3839", "061-659-3840"), "representative first"
    assert place.accepts == (
        A.CLEAR_PET, A.COLORED_PET, A.CAN, A.PAPER, A.PLASTIC, A.GLASS, A.TEXTILE
    )  # fmt: skip


def test_a_mart_with_summer_hours_and_contradicting_holiday_words(keco_run: Run) -> None:
    place = keco_run.places["160"]
    assert (place.name, place.category, place.accepts) == (
        "이마트 동인천점",
        C.MARKET_MART,
        (A.CLEAR_PET,),
    )
    summer = DayHours(
        kind="open",
        ranges=(TimeRange(start="10:00", end="22:00"),),
        seasons=(Season(months=(7, 8, 9), ranges=(TimeRange(start="10:00", end="23:00"),)),),
        note="10시~22시 (하절기(7~9월) 10시~23시)",
    )
    assert place.hours.days == (summer,) * 7
    assert place.hours.holiday.kind == "unknown", "상시 hours but a note saying holidays are closed"
    assert place.hours.notes == (
        "공휴일 운영 정보가 서로 다름: 10시~22시 (하절기(7~9월) 10시~23시)"
        " / 공휴일(임시공휴일 포함)은 휴무",
    )


def test_an_always_open_drop_box(keco_run: Run) -> None:
    place = keco_run.places["285"]
    assert (place.category, place.accepts, place.phone) == (
        C.PUBLIC_DROPBOX,
        (A.CLEAR_PET,),
        "043-850-6921",
    )
    assert all(day.all_day for day in place.hours.days)
    assert place.hours.holiday.kind == "unknown"
    assert "웹: 수퍼빈모아(애플리케이션)" in place.notes
    assert place.url is None


def test_a_machine_whose_contract_ended(keco_run: Run) -> None:
    place = keco_run.places["278"]
    assert place.hours.mon == DayHours.closed(note="계약종료")
    assert [day.kind for day in place.hours.days] == ["closed"] * 7
    assert (place.category, place.phone) == (C.PUBLIC_DROPBOX, None)


def test_what_the_whole_file_becomes(keco_run: Run) -> None:
    categories = Counter(p.category for p in keco_run.places.values())
    assert categories == Counter({C.PUBLIC_DROPBOX: 225, C.UPCYCLE_RECYCLE: 168, C.MARKET_MART: 2})
    assert sum(1 for p in keco_run.places.values() if not p.accepts) == 105, (
        "no item list, no item in the name"
    )
    holidays = Counter(p.hours.holiday.kind for p in keco_run.places.values())
    assert holidays == Counter(closed=364, unknown=31)
    assert all(p.address for p in keco_run.places.values())
    assert all(p.name == " ".join(p.name.split()) for p in keco_run.places.values())


SITE = {
    "positnSn": "9001",
    "positnNm": "시험 거점",
    "positnPstnLat": "37.5",
    "positnPstnLot": "127.0",
}


def test_a_row_without_a_name_or_id_is_refused() -> None:
    assert keco_place(row_of(SITE, positnNm="  ")) == Refused(
        line=7, code="name_missing", reason="no positnNm", source_id="9001"
    )
    assert keco_place(row_of(SITE, positnSn="")) == Refused(
        line=7, code="source_id_missing", reason="no positnSn"
    )


def test_a_closure_period_is_kept_and_unreadable_ones_make_days_uncertain() -> None:
    shut = keco_place(
        row_of(
            SITE,
            monSalsHrExplnCn="09:00~18:00",
            dyoffBgndeCn="20261201",
            dyoffEnddtCn="2026.12.03",
            dyoffRsnExpln="공사",
        )
    )
    assert isinstance(shut, Imported)
    assert [
        (c.start.isoformat(), c.end.isoformat(), c.reason) for c in shut.place.hours.closures
    ] == [("2026-12-01", "2026-12-03", "공사")]
    vague = keco_place(
        row_of(SITE, monSalsHrExplnCn="09:00~18:00", dyoffRsnExpln="내부 사정으로 당분간 휴무")
    )
    assert isinstance(vague, Imported)
    assert vague.place.hours.mon.kind == "unknown"
    assert vague.place.hours.mon.ranges == (TimeRange(start="09:00", end="18:00"),)


def test_holiday_hours_from_the_notes_alone() -> None:
    said = keco_place(row_of(SITE, etcMttrCn="공휴일은 휴무"))
    assert isinstance(said, Imported)
    assert said.place.hours.holiday == DayHours.closed(note="공휴일은 휴무")


def test_places_round_trip_through_json(keco_run: Run) -> None:
    for place in keco_run.places.values():
        assert Place.model_validate_json(place.model_dump_json()) == place
        assert Place.model_validate(place.model_dump(mode="json")) == place


def test_open_now_over_the_whole_file(keco_run: Run) -> None:
    calendar = HolidayCalendar()

    def tally(when: str) -> Counter[bool | None]:
        instant = datetime.fromisoformat(when).replace(tzinfo=SEOUL)
        return Counter(status_at(p.hours, instant, calendar).open for p in keco_run.places.values())

    assert tally("2026-11-30T10:00") == Counter({True: 261, False: 132, None: 2}), "a Monday"
    assert tally("2026-11-29T10:00") == Counter({False: 367, True: 28}), "a Sunday"
    assert tally("2026-09-25T10:00") == Counter({False: 364, None: 31}), "추석"
