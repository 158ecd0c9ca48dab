"""A fake OpenAI-compatible provider: `POST /v1/chat/completions` as the `openai` SDK calls
it, with scripted failures and simulated model latencies, and `GET|DELETE /stats`.

`FakeChat` streams chat completions (`stream: true`) as Server-Sent Events of
`chat.completion.chunk`s, for the chat adapter's tests and the chat benchmark: `ok`
streams the answer a word a chunk (`first_delay` seconds before the first, then
`tokens_per_second`), then a usage chunk and `[DONE]`; `429` refuses before the stream;
`cut` sends `arg` chunks and drops the connection; `malformed` sends `arg` chunks and then
one that is not JSON.

A request with `response_format` is a vision (classification) call; one without is an
answer call. The tests serve it in their own process (`support.servers.serve_fake`); the
scan benchmark in a process of its own (`run`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL = "fake-vision"
# What a vision call is answered with: a clear PET bottle, nothing wrong with it.
CLASSIFICATION = {
    "major": "재활용폐기물",
    "middle": "무색페트병",
    "minor": "생수병",
    "situation_tags": [],
}
ANSWER = (
    "이코가 알려 줄게요. 라벨을 뗀 투명 페트병은 내용물을 비우고 찌그러뜨려"
    " 투명 페트병 전용함에 버려요. 잘했어요!"
)


@dataclass
class FakeOpenAI:
    """Each request takes the next scripted behaviour, or answers well when none is left:

    - `("429", seconds)`: rate limited, with that Retry-After
    - `("sleep", seconds)`: answers well after an extra wait (to make a client time out)
    - `("content", text)`: answers `text` as the model's output
    """

    vision_latency: float = 0.0  # seconds every vision call takes
    answer_latency: float = 0.0  # seconds every answer call takes
    record: bool = True  # keep every request body in `requests`
    script: list[tuple[str, float | str]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    vision: int = 0  # vision calls answered
    answer: int = 0  # answer calls answered
    in_flight: int = 0
    peak: int = 0
    base: str = ""

    async def completions(self, request: Request) -> Response:
        body = await request.json()
        structured = "response_format" in body
        if self.record:
            self.requests.append(body)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            kind, arg = self.script.pop(0) if self.script else ("ok", "")
            await asyncio.sleep(self.vision_latency if structured else self.answer_latency)
            match kind:
                case "429":
                    return JSONResponse(
                        {"error": {"message": "slow down", "type": "rate_limit"}},
                        status_code=429,
                        headers={"retry-after": str(arg)},
                    )
                case "sleep":
                    await asyncio.sleep(float(arg))
                    content = json.dumps(CLASSIFICATION, ensure_ascii=False)
                case "content":
                    content = str(arg)
                case _:
                    content = json.dumps(CLASSIFICATION, ensure_ascii=False)
                    content = content if structured else ANSWER
        finally:
            self.in_flight -= 1
        if structured:
            self.vision += 1
        else:
            self.answer += 1
        return JSONResponse(_completion(body.get("model", MODEL), content))

    async def stats(self, request: Request) -> Response:
        """The call counts and peak concurrency; `DELETE` also starts them again."""
        answer = JSONResponse({"vision": self.vision, "answer": self.answer, "peak": self.peak})
        if request.method == "DELETE":
            self.vision = self.answer = 0
            self.peak = self.in_flight
        return answer

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.completions, methods=["POST"]),
                Route("/stats", self.stats, methods=["GET", "DELETE"]),
            ]
        )


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
    }


def run(port: int, vision: float, answer: float) -> None:
    """Serve a fake with these latencies on `port` until stopped (a process of its own)."""
    import uvicorn

    fake = FakeOpenAI(vision_latency=vision, answer_latency=answer, record=False)
    uvicorn.run(
        fake.app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
        timeout_keep_alive=60,
    )


STREAMED_ANSWER = (
    "이코가 알려 줄게요. 투명 페트병은 내용물을 비우고 라벨을 떼어 주세요. "
    "찌그러뜨린 뒤 뚜껑을 닫아 투명 페트병 전용 수거함에 넣어 주세요."
)


class Cut(Exception):
    """Raised inside the stream: the server drops the connection mid-answer."""


@dataclass
class FakeChat:
    answer: str = STREAMED_ANSWER
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
