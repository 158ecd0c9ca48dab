"""Why an import could not run at all (as opposed to a refused row, which is data).

The CLI turns each into a message and a non-zero exit: `ImportFileError` for a file
(unreadable, unknown format, missing columns), `KecoApiError` for the open-data API (a
refused service key, an error answer, a page that kept failing after the retries).
"""

from __future__ import annotations

from services.places.model import Source


class PlacesImportError(Exception):
    """An import that cannot proceed; the message says why, for a person."""


class ImportFileError(PlacesImportError):
    """A file that cannot be imported."""


class UnreadableFile(ImportFileError):
    """The file cannot be opened, is not text in a known encoding, or is not CSV."""


class UnknownFormat(ImportFileError):
    """The format asked for does not exist, or the columns match no known format."""


class MissingColumns(ImportFileError):
    """The file lacks columns its format needs; `missing` names them."""

    def __init__(self, source: Source, missing: frozenset[str]) -> None:
        self.source = source
        self.missing = tuple(sorted(missing))
        super().__init__(f"not a {source.value} file: missing column(s) {', '.join(self.missing)}")


class KecoApiError(PlacesImportError):
    """The KECO open-data API did not give the rows."""
