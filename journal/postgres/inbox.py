"""The inbox: a consumer that changes PostgreSQL records each message id it has applied.

Call `claim` in the same transaction as the consumer's effect: it returns False when this
consumer has already applied the message (a redelivery, or a republished event with the
same derived id), and the consumer then skips its effect and acknowledges.

A domain's migration includes `INBOX_DDL` with the line `-- eco2:include inbox`.
"""

from __future__ import annotations

import re
import uuid

from journal.postgres.outbox import Connection

# The one definition; `eco2 migrate` puts it where a migration says `-- eco2:include inbox`.
INBOX_DDL = """
CREATE TABLE inbox (
    message_id  uuid NOT NULL,
    consumer    text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, consumer)
);
"""

_SCHEMA = re.compile(r"^[a-z][a-z0-9_]*$")


async def claim(conn: Connection, schema: str, message_id: uuid.UUID, consumer: str) -> bool:
    """Record `message_id` as applied by `consumer`; False if it already was."""
    if not _SCHEMA.match(schema):
        raise ValueError(f"bad schema name {schema!r}")
    inserted = await conn.fetchval(
        f'INSERT INTO "{schema}".inbox (message_id, consumer) VALUES ($1, $2)'
        " ON CONFLICT DO NOTHING RETURNING true",
        message_id,
        consumer,
    )
    return bool(inserted)
