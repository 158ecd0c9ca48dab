"""The places domain: collection points near a person, imported from public data sets.

This package holds the pure core the rest of the domain builds on:
- `model`: a `Place` as an importer produces it, with the store-category and
  accepted-item vocabularies of DOMAIN.md (`vocabulary` derives both from free text);
- `hours`: structured opening hours (`WeeklySchedule`), the parser of the free-text hour
  cells, and `status_at` (open now, today's hours, next change) in Asia/Seoul with
  Korean public holidays;
- `importers`: pure functions from source rows to `Imported | Refused` results (the
  KECO recycling-compensation sites, a zero-waste shop map), the CSV file reader that
  detects and validates the format, and the async fetcher of the KECO open-data API;
- `geo` and `phones`: coordinates checked to lie in Korea (map-service x/y projected with
  pyproj) and phone numbers normalised with `phonenumbers`.
"""
