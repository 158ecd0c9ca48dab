"""The durable journal (ARCHITECTURE §4), in two halves that meet only in `ports`.

- `journal.sqlite`: the storage and AI workers' local aiosqlite WAL journal (entries, the
  group-committing store, the journaled worker, the sync loop).
- `journal.postgres`: the PostgreSQL pieces the domain services use (transactional outbox,
  inbox) and the `journal.outcomes` table the sync loop fills.
- `faults`: the crash points the chaos suite switches on.

import-linter keeps the halves independent of each other (`pyproject.toml`).
"""
