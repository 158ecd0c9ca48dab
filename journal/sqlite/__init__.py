"""The SQLite worker journal: one local aiosqlite WAL file per storage or AI worker.

`store` keeps one entry per message id (`entries` are its types and errors), writing
through the group-committing `writer`, the only module that touches aiosqlite's
internals; `schema` is the file's own versioned schema; `worker` turns a handler into a
journaled one (begin, checkpointed steps, complete, publish, ack); `sync` ships finished
entries to a `journal.ports.SyncTarget` in batches. Nothing here knows PostgreSQL.
"""
