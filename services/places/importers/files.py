"""Import files: read a CSV, tell (or check) its format, and run the right importer.

The file is read whole (the data sets are a few MB at most) as UTF-8, with or without a
byte-order mark, else as CP949, the other encoding Korean public data comes in; then the
standard `csv` module parses it, quoted multi-line cells included. Each record's `line`
is the physical line it starts on (the header is line 1). A record with more or fewer
cells than the header is refused (`field_count`), not padded.

Errors (`errors.ImportFileError` and its kinds) are raised for an unreadable file, an
unknown format, or a file lacking the columns of its format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from services.places.geo import MapProjection
from services.places.importers import keco, zero_waste
from services.places.importers.errors import MissingColumns, UnknownFormat, UnreadableFile
from services.places.importers.results import Refused, Result, SourceRow
from services.places.model import Source

COLUMNS: dict[Source, frozenset[str]] = {
    Source.KECO: keco.COLUMNS,
    Source.ZERO_WASTE: zero_waste.COLUMNS,
}


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


@dataclass(frozen=True)
class Table:
    """A parsed CSV: its header, and its records as they are read."""

    header: tuple[str, ...]
    records: Iterator[SourceRow | Refused]


def decode(data: bytes) -> str:
    """The text of a file's bytes: UTF-8 (a BOM is dropped), else CP949."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("the file is neither UTF-8 nor CP949 text")


def table(text: str) -> Table:
    """The header and records of CSV text; a CSV syntax error raises `UnreadableFile`
    (from the iterator, for an error past the header)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = tuple(cell.strip() for cell in next(reader))
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    except csv.Error as error:
        raise UnreadableFile(f"line 1 is not CSV: {error}") from None
    return Table(header=header, records=_records(reader, header))


def _records(reader: _Reader, header: tuple[str, ...]) -> Iterator[SourceRow | Refused]:
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise UnreadableFile(f"line {line} is not CSV: {error}") from None
        if not cells:
            continue
        if len(cells) != len(header):
            yield Refused(
                line=line,
                code="field_count",
                reason=f"{len(cells)} cells where the header has {len(header)}",
            )
            continue
        yield SourceRow(line=line, fields=dict(zip(header, cells, strict=True)))


def detect(header: tuple[str, ...], requested: str | None = None) -> Source:
    """The format of a file with `header`: `requested` after checking its columns, or the
    one format whose columns the header has."""
    present = frozenset(header)
    if requested is not None:
        try:
            source = Source(requested)
        except ValueError:
            known = ", ".join(s.value for s in Source)
            raise UnknownFormat(f"unknown format {requested!r} (known: {known})") from None
        missing = COLUMNS[source] - present
        if missing:
            raise MissingColumns(source, missing)
        return source
    matching = [source for source, needed in COLUMNS.items() if needed <= present]
    if len(matching) == 1:
        return matching[0]
    if matching:
        raise UnknownFormat("the columns fit several formats; give --format")
    closest = min(COLUMNS, key=lambda s: len(COLUMNS[s] - present))
    lacking = ", ".join(sorted(COLUMNS[closest] - present))
    raise UnknownFormat(
        f"the columns match no known format (closest: {closest.value}, missing {lacking})"
    )


def results(source: Source, records: Iterable[SourceRow | Refused]) -> Iterator[Result]:
    """The importer of `source` run over `records`, the reader's refusals passed through."""
    convert = _converter(source)
    for record in records:
        yield record if isinstance(record, Refused) else convert(record)


def _converter(source: Source) -> Callable[[SourceRow], Result]:
    match source:
        case Source.KECO:
            return keco.keco_place
        case Source.ZERO_WASTE:
            return partial(zero_waste.zero_waste_place, projection=MapProjection())


@dataclass(frozen=True)
class FileImport:
    """An opened import: the format, and the results as they are computed."""

    source: Source
    results: Iterator[Result]


def import_file(path: Path, requested: str | None = None) -> FileImport:
    """Open `path`, settle its format, and start importing it (lazily: iterate `results`)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"cannot read {path}: {error.strerror or error}") from None
    parsed = table(decode(data))
    source = detect(parsed.header, requested)
    return FileImport(source=source, results=results(source, parsed.records))
