"""The chat schema in PostgreSQL: chats, messages, idempotency keys, daily token usage, the
outbox and the inbox (`services.kit.store`).

Handlers open a `transaction()` and compose the statements of `Tx`; events go into the
same transaction (the outbox), and every applied event's id into the inbox. Only SQL here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from contracts.chat.v1 import IncompleteReason, MessageStatus, ReplyError, Source, Usage
from services.chat.domain import IDEMPOTENCY_WINDOW, Chat, Message
from services.kit.store import PostgresStore, Statements

SCHEMA = "chat"
_CHAT = (
    "id, user_id, title, scan_id, preview, message_count, created_at, last_message_at, active_at"
)
_MESSAGE = (
    "id, position, chat_id, role, text, status, created_at, reply_id, scan_id, sources,"
    " reason, error_code, error_message"
)


class ActiveReply(Exception):
    """The user already has an answer streaming (the one-active-reply index refused)."""


def _chat(row: asyncpg.Record | None) -> Chat | None:
    if row is None:
        return None
    return Chat(**dict(row))


def _message(row: asyncpg.Record) -> Message:
    error = row["error_code"]
    return Message(
        id=row["id"],
        position=row["position"],
        chat_id=row["chat_id"],
        role=row["role"],
        text=row["text"],
        status=row["status"],
        created_at=row["created_at"],
        reply_id=row["reply_id"],
        scan_id=row["scan_id"],
        sources=tuple(Source.model_validate(s) for s in json.loads(row["sources"])),
        reason=row["reason"],
        error=None if error is None else ReplyError(code=error, message=row["error_message"]),
    )


class Store(PostgresStore["Tx"]):
    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool, Tx)

    async def forget_expired_keys(self) -> int:
        status: str = await self._pool.execute(
            "DELETE FROM chat.idempotency_keys WHERE created_at < now() - $1::interval",
            IDEMPOTENCY_WINDOW,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def chat(self, chat_id: uuid.UUID, user_id: str) -> Chat | None:
        return _chat(
            await self._pool.fetchrow(
                f"SELECT {_CHAT} FROM chat.chats WHERE id = $1 AND user_id = $2",
                chat_id,
                user_id,
            )
        )

    async def chats(
        self, user_id: str, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[Chat]:
        """Up to `limit` of the user's chats, most recently active first, after `after`."""
        if after is None:
            rows = await self._pool.fetch(
                f"SELECT {_CHAT} FROM chat.chats WHERE user_id = $1"
                " ORDER BY active_at DESC, id DESC LIMIT $2",
                user_id,
                limit,
            )
        else:
            rows = await self._pool.fetch(
                f"SELECT {_CHAT} FROM chat.chats WHERE user_id = $1"
                " AND (active_at, id) < ($2, $3) ORDER BY active_at DESC, id DESC LIMIT $4",
                user_id,
                after[0],
                after[1],
                limit,
            )
        return [c for c in map(_chat, rows) if c is not None]

    async def messages(self, chat_id: uuid.UUID, limit: int, after: int) -> list[Message]:
        """Up to `limit` messages of the chat, oldest first, after position `after`."""
        rows = await self._pool.fetch(
            f"SELECT {_MESSAGE} FROM chat.messages WHERE chat_id = $1 AND position > $2"
            " ORDER BY position LIMIT $3",
            chat_id,
            after,
            limit,
        )
        return [_message(r) for r in rows]


class Tx(Statements):
    """Statements inside one transaction."""

    schema = SCHEMA

    async def create_chat(
        self, chat_id: uuid.UUID, user_id: str, title: str | None, scan_id: str | None
    ) -> Chat:
        chat = _chat(
            await self._conn.fetchrow(
                "INSERT INTO chat.chats (id, user_id, title, scan_id) VALUES ($1, $2, $3, $4)"
                f" RETURNING {_CHAT}",
                chat_id,
                user_id,
                title,
                scan_id,
            )
        )
        assert chat is not None
        return chat

    async def lock_chat(self, chat_id: uuid.UUID, user_id: str) -> Chat | None:
        return _chat(
            await self._conn.fetchrow(
                f"SELECT {_CHAT} FROM chat.chats WHERE id = $1 AND user_id = $2 FOR UPDATE",
                chat_id,
                user_id,
            )
        )

    async def rename(self, chat_id: uuid.UUID, title: str) -> Chat | None:
        return _chat(
            await self._conn.fetchrow(
                f"UPDATE chat.chats SET title = $2 WHERE id = $1 RETURNING {_CHAT}",
                chat_id,
                title,
            )
        )

    async def delete_chat(self, chat_id: uuid.UUID) -> None:
        await self._conn.execute("DELETE FROM chat.chats WHERE id = $1", chat_id)

    async def touch(self, chat_id: uuid.UUID, preview: str, added: int) -> None:
        """The chat's latest activity: its preview, `added` more messages, now."""
        await self._conn.execute(
            "UPDATE chat.chats SET preview = $2, message_count = message_count + $3,"
            " last_message_at = clock_timestamp(), active_at = clock_timestamp() WHERE id = $1",
            chat_id,
            preview,
            added,
        )

    async def name_if_untitled(self, chat_id: uuid.UUID, title: str) -> None:
        await self._conn.execute(
            "UPDATE chat.chats SET title = $2 WHERE id = $1 AND title IS NULL", chat_id, title
        )

    async def sent_by(self, request_id: uuid.UUID) -> Message | None:
        """The person's message an earlier delivery of this `chat.send` stored."""
        row = await self._conn.fetchrow(
            f"SELECT {_MESSAGE} FROM chat.messages WHERE created_by = $1", request_id
        )
        return None if row is None else _message(row)

    async def message(self, message_id: uuid.UUID) -> Message | None:
        row = await self._conn.fetchrow(
            f"SELECT {_MESSAGE} FROM chat.messages WHERE id = $1", message_id
        )
        return None if row is None else _message(row)

    async def take_key(self, user_id: str, key: str, message_id: uuid.UUID) -> uuid.UUID:
        """Bind (user, key) to `message_id` unless a binding younger than the window holds
        it; the message id bound now."""
        taken: uuid.UUID | None = await self._conn.fetchval(
            "INSERT INTO chat.idempotency_keys AS k (user_id, key, message_id)"
            " VALUES ($1, $2, $3) ON CONFLICT (user_id, key) DO UPDATE"
            " SET message_id = excluded.message_id, created_at = excluded.created_at"
            " WHERE k.created_at < now() - $4::interval RETURNING message_id",
            user_id,
            key,
            message_id,
            IDEMPOTENCY_WINDOW,
        )
        if taken is not None:
            return taken
        held: uuid.UUID = await self._conn.fetchval(
            "SELECT message_id FROM chat.idempotency_keys WHERE user_id = $1 AND key = $2",
            user_id,
            key,
        )
        return held

    async def active_reply(self, user_id: str) -> tuple[uuid.UUID, datetime] | None:
        """The user's streaming answer (id, started), locked, if there is one."""
        row = await self._conn.fetchrow(
            "SELECT id, created_at FROM chat.messages WHERE user_id = $1 AND status = 'streaming'"
            " FOR UPDATE",
            user_id,
        )
        return None if row is None else (row["id"], row["created_at"])

    async def tokens_today(self, user_id: str) -> int:
        used = await self._conn.fetchval(
            "SELECT tokens FROM chat.usage WHERE user_id = $1"
            " AND day = (now() AT TIME ZONE 'UTC')::date",
            user_id,
        )
        return int(used or 0)

    async def add_usage(self, user_id: str, tokens: int) -> None:
        await self._conn.execute(
            "INSERT INTO chat.usage (user_id, day, tokens)"
            " VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2)"
            " ON CONFLICT (user_id, day) DO UPDATE SET tokens = usage.tokens + excluded.tokens",
            user_id,
            tokens,
        )

    async def history(self, chat_id: uuid.UUID, limit: int) -> list[Message]:
        """The chat's latest `limit` messages, oldest first."""
        rows = await self._conn.fetch(
            f"SELECT {_MESSAGE} FROM (SELECT {_MESSAGE} FROM chat.messages WHERE chat_id = $1"
            " ORDER BY position DESC LIMIT $2) latest ORDER BY position",
            chat_id,
            limit,
        )
        return [_message(r) for r in rows]

    async def add_question(
        self,
        message_id: uuid.UUID,
        chat_id: uuid.UUID,
        user_id: str,
        text: str,
        reply_id: uuid.UUID,
        scan_id: str | None,
        request_id: uuid.UUID,
    ) -> Message | None:
        """The person's message and its answer, streaming; None when a concurrent delivery
        of the request stored it. `ActiveReply` when another answer streams."""
        try:
            async with self._conn.transaction():  # a savepoint: the conflict is recoverable
                row = await self._conn.fetchrow(
                    "INSERT INTO chat.messages (id, chat_id, user_id, role, text, status,"
                    " reply_id, scan_id, created_by) VALUES ($1, $2, $3, 'user', $4,"
                    " 'completed', $5, $6, $7) ON CONFLICT (created_by) DO NOTHING"
                    f" RETURNING {_MESSAGE}",
                    message_id,
                    chat_id,
                    user_id,
                    text,
                    reply_id,
                    scan_id,
                    request_id,
                )
                if row is None:
                    return None
                await self._conn.execute(
                    "INSERT INTO chat.messages (id, chat_id, user_id, role, status, reply_id)"
                    " VALUES ($1, $2, $3, 'assistant', 'streaming', $1)",
                    reply_id,
                    chat_id,
                    user_id,
                )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "messages_one_active_reply":
                raise ActiveReply from None
            raise
        return _message(row)

    async def lock_reply(self, reply_id: uuid.UUID) -> tuple[Message, str] | None:
        """The answer `reply_id` and its owner, locked until commit."""
        row = await self._conn.fetchrow(
            f"SELECT {_MESSAGE}, user_id FROM chat.messages"
            " WHERE id = $1 AND role = 'assistant' FOR UPDATE",
            reply_id,
        )
        return None if row is None else (_message(row), row["user_id"])

    async def request_stop(self, reply_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE chat.messages SET stop_requested_at = coalesce(stop_requested_at, now())"
            " WHERE id = $1",
            reply_id,
        )

    async def finish_reply(
        self,
        reply_id: uuid.UUID,
        *,
        status: MessageStatus,
        text: str,
        sources: Sequence[Source] = (),
        reason: IncompleteReason | None = None,
        error: ReplyError | None = None,
        model: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        await self._conn.execute(
            "UPDATE chat.messages SET status = $2, text = $3, sources = $4::jsonb, reason = $5,"
            " error_code = $6, error_message = $7, model = $8, prompt_tokens = $9,"
            " completion_tokens = $10, completed_at = clock_timestamp() WHERE id = $1",
            reply_id,
            status,
            text,
            json.dumps([s.model_dump(mode="json") for s in sources], ensure_ascii=False),
            reason,
            None if error is None else error.code,
            None if error is None else error.message,
            model,
            None if usage is None else usage.prompt_tokens,
            None if usage is None else usage.completion_tokens,
        )

    async def erase(self, user_id: str) -> int:
        """Delete the user's chats (their messages with them), keys and usage."""
        await self._conn.execute("DELETE FROM chat.idempotency_keys WHERE user_id = $1", user_id)
        await self._conn.execute("DELETE FROM chat.usage WHERE user_id = $1", user_id)
        status: str = await self._conn.execute("DELETE FROM chat.chats WHERE user_id = $1", user_id)
        return int(status.rsplit(" ", 1)[-1])
