"""The KECO recycling-compensation sites (재활용품 회수보상 거점), row by row.

A row becomes a place when it has an id (`positnSn`), a name and coordinates inside
Korea; otherwise it is refused with the reason. The address is the road address, else
the lot address (the other one is kept as `alt_address`); phones come from the
representative, basic and individual phone cells, main (representative) first; the
accepted items from `clctItemCn`, one per line, and the name; the category from the name
and introduction (a reverse-vending machine is a public drop box, a resource-circulation
shop an upcycle/recycle shop, a mart a mart, anything else a public collection point);
hours from `keco_hours`; notes from where-on-the-premises, facilities, parking, contact,
web and other remarks. The same function serves the CSV file and the open-data API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from services.places import phones, vocabulary
from services.places.geo import BadCoordinates, point_of
from services.places.importers.keco_hours import DAY_COLUMNS, HOLIDAY, keco_schedule
from services.places.importers.results import Imported, Refused, Result, SourceRow
from services.places.model import Place, Source, StoreCategory
from services.places.vocabulary import rule

ID, NAME, LAT, LON = "positnSn", "positnNm", "positnPstnLat", "positnPstnLot"
ROAD, LOT, ITEMS = "positnRdnmAddr", "positnLotnoAddr", "clctItemCn"
COLUMNS = frozenset({ID, NAME, ROAD, LOT, LAT, LON, ITEMS, *DAY_COLUMNS, HOLIDAY})
"""The columns a KECO file must have; the others are read when present."""

PHONE_COLUMNS = ("rprsTelnoCn", "bscTelnoCn", "indivTelnoCn")
NOTE_COLUMNS = (
    ("positnPstnAddExpln", "위치"),
    ("positnCnvncFcltSrvcExpln", "편의시설"),
    ("prkMthdExpln", "주차"),
    ("telnoExpln", "문의"),
    ("positnIntdcCn", "소개"),
)
CATEGORY_RULES = (
    rule(StoreCategory.PUBLIC_DROPBOX, r"무인회수기|회수기"),
    rule(
        StoreCategory.UPCYCLE_RECYCLE,
        r"자원순환가게|순환가게|re100|재활용플랫폼|업사이클|새활용|소각제로|되살림|동구라미|"
        r"동구마켓|자원순환센터|자원순환복합센터|재활용센터|중간처리장|탄소중립거점",
    ),
    rule(StoreCategory.MARKET_MART, r"마트|생협|시장|백화점"),
)
_URL = re.compile(r"(?:https?://)?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?(?:/\S*)?", re.I)


def keco_places(rows: Iterable[SourceRow]) -> Iterator[Result]:
    """One result per row, in order."""
    return (keco_place(row) for row in rows)


def keco_place(row: SourceRow) -> Result:
    """The place of one row, or why it was refused."""
    source_id = row.get(ID)
    if not source_id:
        return Refused(line=row.line, code="source_id_missing", reason=f"no {ID}")
    name = " ".join(row.get(NAME).split())
    if not name:
        return Refused(line=row.line, code="name_missing", reason=f"no {NAME}", source_id=source_id)
    try:
        lat, lon = point_of(row.get(LAT), row.get(LON))
    except BadCoordinates as bad:
        return Refused(line=row.line, code=bad.code, reason=bad.message, source_id=source_id)
    road, lot = (" ".join(row.get(c).split()) or None for c in (ROAD, LOT))
    numbers = phones.merged(row.get(c) for c in PHONE_COLUMNS)
    items = vocabulary.item_lines(row.get(ITEMS))
    url, web_note = _web(row.get("lnkgHmpgUrlAddr"))
    notes = [
        f"{label}: {text}" for column, label in NOTE_COLUMNS if (text := _tidy(row.get(column)))
    ]
    notes += _tidy(row.get("etcMttrCn")).splitlines()
    notes += [web_note] if web_note else []
    place = Place(
        source=Source.KECO,
        source_id=source_id,
        name=name,
        address=road or lot,
        alt_address=lot if road else None,
        lat=lat,
        lon=lon,
        phone=numbers[0] if numbers else None,
        phones=numbers,
        category=vocabulary.store_category(
            (name, row.get("positnIntdcCn")), CATEGORY_RULES, StoreCategory.PUBLIC_DROPBOX
        ),
        accepts=vocabulary.accepted_items(items, texts=(name,)),
        items=items,
        hours=keco_schedule(row),
        url=url,
        notes=tuple(dict.fromkeys(notes)),
    )
    return Imported(line=row.line, place=place)


def _web(text: str) -> tuple[str | None, str | None]:
    """A web address as written when it reads as one; otherwise the text as a note."""
    if not text:
        return None, None
    if _URL.fullmatch(text):
        return text, None
    return None, f"웹: {text}"


def _tidy(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
