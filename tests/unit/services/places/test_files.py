"""Import files: format detection and checks, encodings, CSV faults, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.places.importers import (
    Imported,
    MissingColumns,
    Refused,
    UnknownFormat,
    UnreadableFile,
    import_file,
)
from services.places.importers.files import detect, table
from services.places.importers.keco import COLUMNS as KECO
from services.places.importers.zero_waste import COLUMNS as ZERO_WASTE
from services.places.model import Source

ZW_HEADER = (
    "folderId,seq,favoriteType,color,memo,display1,display2,x,y,lon,lat,key,createdAt,updatedAt"
)
ZW_ROW = (
    '1,2,PLACE,2,"첫 줄\n둘째 줄",프릿지,서울 강동구 성안로 90,'
    "529295,1119990,127.1325739,37.53138753,K1,a,b"
)


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "places.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_the_format_is_detected_from_the_columns() -> None:
    assert detect(tuple(KECO)) == Source.KECO
    assert detect((*ZERO_WASTE, "memo")) == Source.ZERO_WASTE


def test_a_requested_format_is_checked() -> None:
    assert detect(tuple(ZERO_WASTE), "zero-waste") == Source.ZERO_WASTE
    with pytest.raises(MissingColumns) as missing:
        detect(tuple(ZERO_WASTE), "keco")
    assert "positnSn" in missing.value.missing
    assert str(missing.value).startswith(
        "not a keco file: missing column(s) clctItemCn, friSalsHrExplnCn"
    )
    with pytest.raises(UnknownFormat, match=r"unknown format 'osm' \(known: keco, zero-waste\)"):
        detect(tuple(KECO), "osm")


def test_unknown_columns_name_the_closest_format() -> None:
    with pytest.raises(UnknownFormat, match="closest: zero-waste, missing key, lat"):
        detect(tuple(ZERO_WASTE - {"key", "lat"}))


def test_quoted_multi_line_cells_and_line_numbers(tmp_path: Path) -> None:
    text = f"{ZW_HEADER}\n{ZW_ROW}\n{ZW_ROW.replace('K1', 'K2')}\n"
    run = import_file(write(tmp_path, text))
    results = list(run.results)
    assert [r.line for r in results] == [2, 4]
    first = results[0]
    assert isinstance(first, Imported)
    assert first.place.notes == ("첫 줄 둘째 줄",)


def test_crlf_bom_and_cp949(tmp_path: Path) -> None:
    text = f"\ufeff{ZW_HEADER}\r\n{ZW_ROW}\r\n"
    assert [r.line for r in import_file(write(tmp_path, text)).results] == [2]
    korean = import_file(write(tmp_path, f"{ZW_HEADER}\n{ZW_ROW}\n", encoding="cp949"))
    (only,) = list(korean.results)
    assert isinstance(only, Imported)
    assert only.place.name == "프릿지"


def test_a_row_with_the_wrong_number_of_cells_is_refused(tmp_path: Path) -> None:
    text = f"{ZW_HEADER}\n1,2,PLACE\n\n{ZW_ROW}\n"
    results = list(import_file(write(tmp_path, text)).results)
    assert results[0] == Refused(
        line=2, code="field_count", reason="3 cells where the header has 14"
    )
    assert [r.line for r in results] == [2, 4]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot read"):
        import_file(tmp_path / "absent.csv")
    with pytest.raises(UnreadableFile, match="cannot read"):
        import_file(tmp_path)
    with pytest.raises(UnreadableFile, match="empty"):
        import_file(write(tmp_path, ""))
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x80\x81\xfe")
    with pytest.raises(UnreadableFile, match="neither UTF-8 nor CP949"):
        import_file(binary)


def test_a_csv_fault_past_the_header_is_an_unreadable_file(tmp_path: Path) -> None:
    run = import_file(write(tmp_path, f'{ZW_HEADER}\n{ZW_ROW}\n1,"2"x,3\n'))
    with pytest.raises(UnreadableFile, match="line 4 is not CSV"):
        list(run.results)


def test_a_table_reads_text_without_touching_files() -> None:
    parsed = table("a,b\n1,2\n")
    assert parsed.header == ("a", "b")
    assert [r.fields for r in parsed.records if not isinstance(r, Refused)] == [
        {"a": "1", "b": "2"}
    ]
