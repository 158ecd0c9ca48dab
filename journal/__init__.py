"""The durable local journal of the storage and AI workers (ARCHITECTURE §4).

`store` keeps one entry per message in an aiosqlite WAL file with group commit; `worker`
turns a handler into a journaled one (begin, checkpointed steps, complete, publish, ack);
`sync` ships finished entries to PostgreSQL in batches; `faults` holds the crash points
the chaos suite switches on.
"""
