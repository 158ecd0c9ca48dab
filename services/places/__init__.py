"""The places domain: collection points near a person, imported from public data sets.

`hours` holds structured opening hours (`WeeklySchedule`), the parser of the free-text
hour cells, and `status_at` (open now, today's hours, next change) in Asia/Seoul with
Korean public holidays.
"""
