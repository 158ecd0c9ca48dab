"""Handlers of `user.*`: read and change the profile, and erase the account."""

from __future__ import annotations

from datetime import timedelta

from bus.ports import Message
from contracts.accounts.v1 import (
    DeleteUser,
    GetUser,
    Profile,
    TokenRevoked,
    UpdateUser,
    UserDeleted,
)
from services.accounts.domain import event, normalize_nickname, parse_uuid
from services.accounts.errors import AccountError
from services.accounts.revocations import Revocations
from services.accounts.store import Store

_NOT_FOUND = "no such user"


async def get_user(message: Message[GetUser], *, store: Store) -> Profile:
    user_id = parse_uuid(message.payload.user_id)
    user = await store.user(user_id) if user_id else None
    if user is None or user.deleted_at is not None:
        raise AccountError("not_found", _NOT_FOUND)
    return Profile(user=user.view())


async def update_user(message: Message[UpdateUser], *, store: Store) -> Profile:
    nickname = normalize_nickname(message.payload.nickname)
    user_id = parse_uuid(message.payload.user_id)
    if user_id is None:
        raise AccountError("not_found", _NOT_FOUND)
    async with store.transaction() as tx:
        user = await tx.update_nickname(user_id, nickname)
    if user is None:
        raise AccountError("not_found", _NOT_FOUND)
    return Profile(user=user.view())


async def delete_user(
    message: Message[DeleteUser], *, store: Store, revocations: Revocations
) -> UserDeleted:
    """Erase credentials, identities and sessions; keep only an anonymous row.

    The same request delivered again finds the user erased by itself and repeats only the
    idempotent parts; any other request for an erased user gets `not_found`.
    """
    user_id = parse_uuid(message.payload.user_id)
    request = message.envelope.message_id
    async with store.transaction() as tx:
        user = await tx.lock_user(user_id) if user_id else None
        if user is None or (user.deleted_at is not None and user.deleted_by != request):
            raise AccountError("not_found", _NOT_FOUND)
        deleted_at = user.deleted_at or await tx.erase_user(user.id, request)
        uid = str(user.id)
        revoked = TokenRevoked(
            scope="user",
            user_id=uid,
            reason="user_deleted",
            expires_at=deleted_at + timedelta(seconds=revocations.access_ttl),
        )
        await tx.enqueue(
            [
                event(message.envelope, UserDeleted(user_id=uid), uid),
                event(message.envelope, revoked, uid),
            ]
        )
    await revocations.user(uid, deleted_at)
    return UserDeleted(user_id=uid)
