"""Importers: pure functions from source rows to `Imported | Refused` results.

`keco.keco_places` and `zero_waste.zero_waste_places` normalise rows of their data set;
`files.import_file` reads a CSV file, detects or checks its format and runs the right
one; `keco_api.fetch_keco_rows` yields the rows of the KECO open-data API page by page,
the same rows the CSV reader yields, for `keco_places`.
"""

from services.places.importers.errors import (
    ImportFileError,
    KecoApiError,
    MissingColumns,
    PlacesImportError,
    UnknownFormat,
    UnreadableFile,
)
from services.places.importers.files import FileImport, import_file
from services.places.importers.keco import keco_place, keco_places
from services.places.importers.keco_api import DEFAULT_BASE_URL, KecoApi, fetch_keco_rows
from services.places.importers.results import Imported, Refused, Result, SourceRow, Tally
from services.places.importers.zero_waste import zero_waste_place, zero_waste_places

__all__ = [
    "DEFAULT_BASE_URL",
    "FileImport",
    "ImportFileError",
    "Imported",
    "KecoApi",
    "KecoApiError",
    "MissingColumns",
    "PlacesImportError",
    "Refused",
    "Result",
    "SourceRow",
    "Tally",
    "UnknownFormat",
    "UnreadableFile",
    "fetch_keco_rows",
    "import_file",
    "keco_place",
    "keco_places",
    "zero_waste_place",
    "zero_waste_places",
]
