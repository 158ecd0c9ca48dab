"""Bus handlers of the `scan` service and their registry table.

One group receives the queries (request/reply) and the pipeline's events, so the table
maps each message type to its handler; event handlers return None. The table translates
`ScanRequestError` into `RequestFailed`, which the requester receives as an `error.reply`.

Everything is safe to deliver twice: a redelivered `scan.create` finds the scan its first
delivery created (and its `scan.requested` keeps the id derived from the request's id, so
the outbox holds one copy); events are claimed in the inbox in the transaction that
applies them, and an event that would move a scan backwards changes nothing.
"""

from __future__ import annotations

import uuid
from functools import partial

from bus.ports import Handler, Message, Subscription
from contracts import derive_id, new_envelope
from contracts.accounts.v1 import UserDeleted
from contracts.scan.state import EVENTS, ScanEvent
from contracts.scan.v1 import CreateScan, GetScan, ListScans, ScanPage, ScanRecord, ScanRequested
from services.kit.table import table_subscription
from services.scan import domain
from services.scan.errors import ScanRequestError
from services.scan.store import Store, Tx

GROUP = "scan"


async def create(message: Message[CreateScan], *, store: Store) -> ScanRecord:
    """Record a queued scan and, in the same transaction, enqueue `scan.requested`."""
    request, envelope = message.payload, message.envelope
    async with store.transaction() as tx:
        earlier = await tx.created_by(envelope.message_id)
        if earlier is not None:  # a redelivery: answer what the first delivery answered
            return ScanRecord(scan=earlier.view(), created=True)
        scan_id = uuid.uuid4()
        if request.idempotency_key is not None:
            held = await tx.take_key(request.user_id, request.idempotency_key, scan_id)
            if held != scan_id:
                answer = await _first(tx, envelope.message_id, held)
                if answer is not None:
                    return answer
        state = await tx.insert(
            scan_id, request.user_id, request.image_key, request.hint, envelope.message_id
        )
        if state is None:  # a concurrent delivery of this request won the insert
            return await _created_by(tx, envelope.message_id)
        requested = ScanRequested(
            scan_id=str(scan_id),
            user_id=request.user_id,
            image_key=request.image_key,
            hint=request.hint,
        )
        await tx.enqueue(
            [
                new_envelope(
                    requested,
                    cause=envelope,
                    message_id=derive_id(envelope.message_id, requested.__message_type__),
                    user_id=request.user_id,
                )
            ]
        )
    return ScanRecord(scan=state.view(), created=True)


async def _first(tx: Tx, request_id: uuid.UUID, held: uuid.UUID) -> ScanRecord | None:
    """The answer for an idempotency key another request bound first (None: no such scan)."""
    mine = await tx.created_by(request_id)  # that request may be this one, delivered twice
    if mine is not None:
        return ScanRecord(scan=mine.view(), created=True)
    first = await tx.scan(held)
    return None if first is None else ScanRecord(scan=first.view(), created=False)


async def _created_by(tx: Tx, request_id: uuid.UUID) -> ScanRecord:
    state = await tx.created_by(request_id)
    assert state is not None, "the insert conflicted, so the row exists"
    return ScanRecord(scan=state.view(), created=True)


async def get(message: Message[GetScan], *, store: Store) -> ScanRecord:
    request = message.payload
    scan_id = domain.parse_scan_id(request.scan_id)
    state = await store.scan(scan_id, request.user_id) if scan_id is not None else None
    if state is None:
        raise ScanRequestError("not_found", f"no scan {request.scan_id!r}")
    return ScanRecord(scan=state.view())


async def list_scans(message: Message[ListScans], *, store: Store) -> ScanPage:
    request = message.payload
    after = domain.decode_cursor(request.cursor) if request.cursor else None
    states = await store.page(request.user_id, request.limit + 1, after)
    page = states[: request.limit]
    more = len(states) > request.limit
    cursor = domain.encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return ScanPage(items=tuple(s.view() for s in page), next_cursor=cursor)


async def advance(message: Message[ScanEvent], *, store: Store) -> None:
    """Apply one pipeline event to its scan, once, and only if it moves the scan forward.

    An event for an unknown scan, or naming another user, is dropped: it was not started
    through this service (or its user was erased).
    """
    scan_id = domain.parse_scan_id(message.payload.scan_id)
    if scan_id is None:
        return
    async with store.transaction() as tx:
        if not await tx.claim(message.envelope.message_id):
            return
        state = await tx.lock(scan_id)
        if state is None or state.user_id != message.payload.user_id:
            return
        moved = state.moved(message.payload, message.envelope.occurred_at)
        if moved is not None:
            await tx.save(moved)


async def user_deleted(message: Message[UserDeleted], *, store: Store) -> None:
    """Erase every scan of the user."""
    async with store.transaction() as tx:
        if await tx.claim(message.envelope.message_id):
            await tx.erase(message.payload.user_id)


def table(store: Store) -> dict[str, Handler]:
    """Message type -> handler bound to its dependencies."""
    return {
        CreateScan.__message_type__: partial(create, store=store),
        GetScan.__message_type__: partial(get, store=store),
        ListScans.__message_type__: partial(list_scans, store=store),
        **{event: partial(advance, store=store) for event in EVENTS},
        UserDeleted.__message_type__: partial(user_deleted, store=store),
    }


def subscriptions(store: Store) -> list[Subscription]:
    return [table_subscription(GROUP, table(store))]
