"""The scan domain: every photo a person submits, and how far its pipeline got.

`handlers` holds the registry table the composition root subscribes (group `scan`): the
`scan.create|get|list` queries and the pipeline's `scan.progress|failed|completed` events
plus `user.deleted`, applied through the inbox; `domain` the pure rules (a scan's state
only moves forward, the list cursor); `store` the SQL of schema `scan` (`schema/`).
`scan.requested` leaves through the transactional outbox (`journal.postgres.outbox`).
"""
