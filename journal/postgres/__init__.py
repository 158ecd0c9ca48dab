"""The journal's PostgreSQL pieces, used by the domain services and the sync loop.

`outbox` writes events in the transaction of the change that causes them and relays them;
`inbox` records which messages a consumer has applied; `schema/` creates
`journal.outcomes`, where the sync loop ships the workers' finished entries. Nothing here
knows SQLite.
"""
