"""The SQLite worker journal: one local aiosqlite WAL file per storage or AI worker.

`store` keeps one entry per message id with group commit; `schema` is the file's own
versioned schema; `worker` turns a handler into a journaled one (begin, checkpointed
steps, complete, publish, ack); `sync` ships finished entries to a `journal.ports`
target in batches. Nothing here knows PostgreSQL.
"""
