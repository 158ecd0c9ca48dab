"""A fake OpenAI-compatible server that streams chat completions (`stream: true`) over
real HTTP, as Server-Sent Events of `chat.completion.chunk`s, for the chat adapter's
tests and the chat benchmark.

Each request takes the next scripted behaviour (then `ok`): `ok` streams the answer a
word a chunk, `first_delay` seconds before the first and `1 / tokens_per_second` between
the others, then a usage chunk and `[DONE]`; `429` refuses before the stream with
`Retry-After`; `cut` sends `arg` chunks and drops the connection; `malformed` sends `arg`
chunks and then one that is not JSON.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

ANSWER = (
    "이코가 알려 줄게요. 투명 페트병은 내용물을 비우고 라벨을 떼어 주세요. "
    "찌그러뜨린 뒤 뚜껑을 닫아 투명 페트병 전용 수거함에 넣어 주세요."
)


class Cut(Exception):
    """Raised inside the stream: the server drops the connection mid-answer."""


@dataclass
class FakeChat:
    answer: str = ANSWER
    first_delay: float = 0.0
    tokens_per_second: float = 1000.0
    script: list[tuple[str, int]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base: str = ""

    def _chunk(self, model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()

    async def _events(self, body: dict[str, Any], kind: str, arg: int) -> AsyncIterator[bytes]:
        model = str(body["model"])
        words = re.findall(r"\S+\s*", self.answer)
        limit = int(body.get("max_tokens") or len(words))
        await asyncio.sleep(self.first_delay)
        yield self._chunk(model, {"role": "assistant", "content": ""})
        for index, word in enumerate(words[:limit]):
            if kind == "cut" and index == arg:
                raise Cut("connection dropped")
            if kind == "malformed" and index == arg:
                yield b'data: {"id": "chatcmpl-fake", "choices": [\n\n'
                return
            if index:
                await asyncio.sleep(1 / self.tokens_per_second)
            yield self._chunk(model, {"content": word})
        finish = "length" if limit < len(words) else "stop"
        yield self._chunk(model, {}, finish)
        usage = {
            "prompt_tokens": sum(len(str(m.get("content", ""))) for m in body["messages"]),
            "completion_tokens": min(limit, len(words)),
            "total_tokens": 0,
        }
        tail = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [],
            "usage": usage,
        }
        yield f"data: {json.dumps(tail)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    async def completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        kind, arg = self.script.pop(0) if self.script else ("ok", 0)
        if kind == "429":
            return JSONResponse(
                {"error": {"message": "slow down", "type": "rate_limit"}},
                status_code=429,
                headers={"retry-after": str(arg)},
            )
        return StreamingResponse(self._events(body, kind, arg), media_type="text/event-stream")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])
