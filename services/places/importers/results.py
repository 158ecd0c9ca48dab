"""What importers read and what they yield: source rows in, `Imported | Refused` out.

Every importer is a pure function from `SourceRow`s to a stream of results, one per row,
so a file, an API or a test table feed them alike and the caller decides what to do with
each result (upsert, count, print).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.places.geo import Problem
from services.places.model import Place

_PLACEHOLDERS = {"없음", "해당없음", "미정", "null", "none", "n/a", "na"}

RefusalCode = (
    Problem | Literal["name_missing", "source_id_missing", "field_count", "duplicate_source_id"]
)


@dataclass(frozen=True)
class SourceRow:
    """One record of a source: `line` is where it starts (the physical line of a file,
    or the record's 1-based position in an API's answer), `fields` its cells by column."""

    line: int
    fields: Mapping[str, str]

    def get(self, column: str) -> str:
        """The cell of `column`, stripped; empty when the column is absent or holds only a
        placeholder (`없음`, `-`, a stray backtick)."""
        cell = (self.fields.get(column) or "").strip()
        if cell.casefold() in _PLACEHOLDERS or not any(c.isalnum() for c in cell):
            return ""
        return cell


class Imported(BaseModel):
    """A good row and the place it became."""

    model_config = ConfigDict(frozen=True)

    line: int
    place: Place


class Refused(BaseModel):
    """A row that was not imported: where it is, a stable `code` and a readable `reason`."""

    model_config = ConfigDict(frozen=True)

    line: int
    code: RefusalCode
    reason: str
    source_id: str | None = None


Result = Imported | Refused


@dataclass
class Tally:
    """Counts of a stream of results: rows read, imported, refused by code."""

    read: int = 0
    imported: int = 0
    refused: Counter[str] = field(default_factory=Counter)

    def add(self, result: Result) -> Result:
        """Count `result` and hand it back, so a tally can watch a stream go by."""
        self.read += 1
        if isinstance(result, Imported):
            self.imported += 1
        else:
            self.refused[result.code] += 1
        return result

    @classmethod
    def of(cls, results: Iterable[Result]) -> Tally:
        tally = cls()
        for result in results:
            tally.add(result)
        return tally
