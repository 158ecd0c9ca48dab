"""`/api/v1/chats`: conversations with 이코, their messages, and each answer as it streams.

Every route is a query or command to the chat service; another user's chat or reply is
404, as an unknown one is. Sending a message answers 202 with where to follow the answer:
its events (`context`, `delta {seq, text}`…, then `completed`, `incomplete` or `failed`)
over SSE, resumable with `Last-Event-ID` (`gateway.sse`), and the same events on the
person's WebSocket as `chat.context`, `chat.delta`, …. Messages are throttled per user
(429 with `Retry-After`), and a day's token budget spent is 429 until midnight UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bus.ports import RemoteError
from contracts.chat import errors as codes
from contracts.chat.v1 import (
    ChatDeleted,
    ChatPage,
    ChatRecord,
    ChatView,
    CreateChat,
    DeleteChat,
    ListChats,
    ListMessages,
    MessageAccepted,
    MessagePage,
    RenameChat,
    SendMessage,
    StopAccepted,
    StopReply,
)
from gateway.bodies.chats import (
    ChatBody,
    ChatPageOut,
    MessageAcceptedOut,
    MessageBody,
    MessagePageOut,
    RenameBody,
    StopOut,
)
from gateway.bodies.parsing import read_json, read_model, validate
from gateway.context import Gateway
from gateway.errors import ApiError, from_remote
from gateway.eventlog import Entry
from gateway.ratelimit import MessageLimiter
from gateway.routing import Operation, Param
from gateway.sse import events_response

RESOURCE = "reply"


def _path_id(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    if not 0 < len(value) <= 64:
        raise ApiError(404, "not_found", f"no such {name.removesuffix('_id')}")
    return value


def _page_fields(request: Request, **fields: str) -> dict[str, str]:
    params = request.query_params
    fields["limit"] = params.get("limit", fields.get("limit", "20"))
    if "cursor" in params:
        fields["cursor"] = params["cursor"]
    return fields


async def create_chat(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    body = await read_json(request, ChatBody, gw.deps.limits.max_body_bytes, optional=True)
    body = body or ChatBody()
    query = CreateChat(user_id=caller.user_id, title=body.title, scan_id=body.scan_id)
    chat = (await gw.ask(query, ChatRecord, user_id=caller.user_id)).chat
    location = f"/api/v1/chats/{chat.id}"
    return JSONResponse(
        chat.model_dump(mode="json"), status_code=201, headers={"Location": location}
    )


async def list_chats(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    query = validate(ListChats, _page_fields(request, user_id=caller.user_id))
    page = await gw.ask(query, ChatPage, user_id=caller.user_id)
    out = ChatPageOut(items=list(page.items), next_cursor=page.next_cursor)
    return JSONResponse(out.model_dump(mode="json"))


async def list_messages(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    chat_id = _path_id(request, "chat_id")
    fields = _page_fields(request, user_id=caller.user_id, chat_id=chat_id, limit="50")
    page = await gw.ask(validate(ListMessages, fields), MessagePage, user_id=caller.user_id)
    out = MessagePageOut(items=list(page.items), next_cursor=page.next_cursor)
    return JSONResponse(out.model_dump(mode="json"))


async def rename_chat(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    chat_id = _path_id(request, "chat_id")
    body = await read_model(request, RenameBody, gw.deps.limits.max_body_bytes)
    query = RenameChat(user_id=caller.user_id, chat_id=chat_id, title=body.title)
    chat = (await gw.ask(query, ChatRecord, user_id=caller.user_id)).chat
    return JSONResponse(chat.model_dump(mode="json"))


async def delete_chat(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    chat_id = _path_id(request, "chat_id")
    await gw.ask(DeleteChat(user_id=caller.user_id, chat_id=chat_id), ChatDeleted)
    return Response(status_code=204)


def _until_midnight() -> int:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()))


async def send_message(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    chat_id = _path_id(request, "chat_id")
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 200:
        raise ApiError(400, "bad_request", "Idempotency-Key must be 1 to 200 characters")
    body = await read_model(request, MessageBody, gw.deps.limits.max_body_bytes)
    limiter = MessageLimiter(gw.deps.redis, per_minute=gw.deps.limits.chat_messages_per_minute)
    await limiter.take(caller.user_id)
    command = SendMessage(
        user_id=caller.user_id,
        chat_id=chat_id,
        text=body.text,
        scan_id=body.scan_id,
        location=body.location,
        idempotency_key=idempotency_key,
    )
    try:
        accepted = await gw.ask(command, MessageAccepted, user_id=caller.user_id)
    except RemoteError as exc:
        if exc.code != codes.TOKEN_BUDGET_EXCEEDED:
            raise
        error = from_remote(exc)
        error.headers = {"Retry-After": str(_until_midnight())}
        raise error from None
    # Its events may be minutes away under load: the stream waits for them, not a 404.
    await gw.events.expect(
        RESOURCE, accepted.reply_id, owner=caller.user_id, parent=accepted.chat_id
    )
    events_url = f"/api/v1/chats/{accepted.chat_id}/replies/{accepted.reply_id}/events"
    out = MessageAcceptedOut(
        message_id=accepted.message_id, reply_id=accepted.reply_id, events_url=events_url
    )
    return JSONResponse(
        out.model_dump(mode="json"), status_code=202, headers={"Location": events_url}
    )


async def reply_events(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    chat_id = _path_id(request, "chat_id")
    reply_id = _path_id(request, "reply_id")
    not_found = ApiError(404, "not_found", f"no events for reply {reply_id!r}")

    def in_chat(first: list[Entry]) -> bool:
        return first[0].data.get("chat_id") == chat_id

    if await gw.events.parent(RESOURCE, reply_id) not in (None, chat_id):
        raise not_found

    return await events_response(gw, request, caller, RESOURCE, reply_id, not_found, in_chat)


async def stop_reply(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    chat_id = _path_id(request, "chat_id")
    reply_id = _path_id(request, "reply_id")
    query = StopReply(user_id=caller.user_id, chat_id=chat_id, reply_id=reply_id)
    answer = await gw.ask(query, StopAccepted, user_id=caller.user_id)
    out = StopOut(reply_id=answer.reply_id, status=answer.status)
    return JSONResponse(out.model_dump(mode="json"), status_code=202)


PAGE = (
    Param("limit", description="1 to 100"),
    Param("cursor", description="the previous page's `next_cursor`"),
)


OPERATIONS = (
    Operation(
        "POST",
        "/api/v1/chats",
        create_chat,
        "Start a chat with 이코 (optionally about one of the caller's scans)",
        "chats",
        ChatBody,
        request_required=False,
        response=ChatView,
        status=201,
        auth=True,
        errors=(400, 401, 413, 415, 422, 503),
    ),
    Operation(
        "GET",
        "/api/v1/chats",
        list_chats,
        "The caller's chats, most recently active first",
        "chats",
        response=ChatPageOut,
        auth=True,
        errors=(400, 401, 422, 503),
        params=PAGE,
    ),
    Operation(
        "PATCH",
        "/api/v1/chats/{chat_id}",
        rename_chat,
        "Rename a chat",
        "chats",
        RenameBody,
        response=ChatView,
        auth=True,
        errors=(400, 401, 404, 413, 415, 422, 503),
    ),
    Operation(
        "DELETE",
        "/api/v1/chats/{chat_id}",
        delete_chat,
        "Delete a chat and its messages (an answer still streaming in it is stopped)",
        "chats",
        status=204,
        auth=True,
        errors=(401, 404, 503),
    ),
    Operation(
        "GET",
        "/api/v1/chats/{chat_id}/messages",
        list_messages,
        "A chat's messages, oldest first, with each answer's status and sources",
        "chats",
        response=MessagePageOut,
        auth=True,
        errors=(400, 401, 404, 422, 503),
        params=PAGE,
    ),
    Operation(
        "POST",
        "/api/v1/chats/{chat_id}/messages",
        send_message,
        "Send 이코 a message; the answer streams from `events_url`",
        "chats",
        MessageBody,
        response=MessageAcceptedOut,
        status=202,
        auth=True,
        errors=(400, 401, 404, 409, 413, 415, 422, 429, 503),
        params=(Param("Idempotency-Key", "header", description="retries answer the same message"),),
    ),
    Operation(
        "GET",
        "/api/v1/chats/{chat_id}/replies/{reply_id}/events",
        reply_events,
        "An answer's events as Server-Sent Events (resume with Last-Event-ID)",
        "chats",
        media="text/event-stream",
        auth=True,
        errors=(400, 401, 404, 429, 503),
        params=(Param("Last-Event-ID", "header", description="the last `id:` received"),),
    ),
    Operation(
        "POST",
        "/api/v1/chats/{chat_id}/replies/{reply_id}/stop",
        stop_reply,
        "Stop an answer; what was written is kept as `incomplete`",
        "chats",
        response=StopOut,
        status=202,
        auth=True,
        errors=(401, 404, 503),
    ),
)
