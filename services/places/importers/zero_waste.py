"""A zero-waste shop map (an export of a shared map folder), row by row.

The name is `display1`, the address `display2`, the memo a note. The position is the
WGS84 `lon, lat` when the row has them; a row with only the map service's `x, y` is
projected with pyproj (`geo.MapProjection`). Where a row has both, the `lon, lat` are
used, and a row whose two positions lie more than `AGREEMENT_M` apart is refused, since
one of them is wrong and we cannot tell which.

The source id is `key`, the map service's id of the place (or of the address, `N…`, for
address bookmarks): it is the same in every export of the place and in every folder it is
saved to, while `seq` numbers the bookmark, which changes when the place is saved again.
The category and accepted items come from the name and memo: a refill shop unless they
say lodging, bookshop or workshop, café, vegan dining, reuse or resource collection, or
market; no items unless they name one (the sample names none).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from services.places import vocabulary
from services.places.geo import BadCoordinates, MapProjection, korean_point, number
from services.places.importers.results import Imported, Refused, Result, SourceRow
from services.places.model import Place, Source, StoreCategory
from services.places.vocabulary import rule

COLUMNS = frozenset({"display1", "display2", "x", "y", "lon", "lat", "key"})
"""The columns a zero-waste map file must have; `memo` is read when present."""

AGREEMENT_M = 50.0
CATEGORY_RULES = (
    rule(StoreCategory.LODGING, r"숙소|게스트하우스|스테이|호텔|펜션|민박"),
    rule(StoreCategory.BOOK_WORKSHOP, r"책방|서점|도서관|공방|워크숍|작업실"),
    rule(StoreCategory.CAFE_BAKERY, r"카페|커피|베이커리|빵|제과|로스터리"),
    rule(StoreCategory.VEGAN_DINING, r"비건|채식|식당|레스토랑|밥집"),
    rule(StoreCategory.UPCYCLE_RECYCLE, r"되살림|자원회수|재활용|업사이클|새활용|리사이클|중고"),
    rule(StoreCategory.MARKET_MART, r"마트|생협|시장"),
)


def zero_waste_places(
    rows: Iterable[SourceRow], projection: MapProjection | None = None
) -> Iterator[Result]:
    """One result per row, in order; `projection` is built once when not given."""
    projection = projection or MapProjection()
    return (zero_waste_place(row, projection) for row in rows)


def zero_waste_place(row: SourceRow, projection: MapProjection) -> Result:
    """The place of one row, or why it was refused."""
    source_id = row.get("key")
    if not source_id:
        return Refused(line=row.line, code="source_id_missing", reason="no key")
    name = " ".join(row.get("display1").split())
    if not name:
        return Refused(
            line=row.line, code="name_missing", reason="no display1", source_id=source_id
        )
    try:
        lat, lon = _position(row, projection)
    except BadCoordinates as bad:
        return Refused(line=row.line, code=bad.code, reason=bad.message, source_id=source_id)
    memo = " ".join(row.get("memo").split())
    place = Place(
        source=Source.ZERO_WASTE,
        source_id=source_id,
        name=name,
        address=" ".join(row.get("display2").split()) or None,
        lat=lat,
        lon=lon,
        category=vocabulary.store_category((name, memo), CATEGORY_RULES, StoreCategory.REFILL_ZERO),
        accepts=vocabulary.accepted_items((), texts=(name, memo)),
        notes=(memo,) if memo else (),
    )
    return Imported(line=row.line, place=place)


def _position(row: SourceRow, projection: MapProjection) -> tuple[float, float]:
    lat, lon = number(row.get("lat"), "lat"), number(row.get("lon"), "lon")
    x, y = number(row.get("x"), "x"), number(row.get("y"), "y")
    if lat is None and lon is None:
        if x is None or y is None:
            raise BadCoordinates("coordinates_missing", "no lon/lat and no x/y")
        return korean_point(*projection.to_wgs84(x, y))
    given = korean_point(lat, lon)
    if x is not None and y is not None:
        apart = projection.apart_m(given, projection.to_wgs84(x, y))
        if apart > AGREEMENT_M:
            raise BadCoordinates(
                "coordinates_conflict",
                f"lon/lat ({given[1]}, {given[0]}) and x/y ({x:g}, {y:g}) are {apart:.0f} m apart",
            )
    return given
