"""The `openai` chat adapter streaming from a local fake OpenAI-compatible server over real
HTTP: a whole answer with its usage, a 429 before the stream (retried, then `provider_busy`),
the connection cut mid-stream and malformed chunks (each a coded failure, never a raw
exception), the length limit, and the prompt a resumed answer sends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contracts.chat.v1 import ReplyContext, RuleFact, Turn
from services.ai.chat import persona
from services.ai.chat.openai_stream import OpenAIChat
from services.ai.chat.provider import (
    BadOutput,
    ChatProviderError,
    Chunk,
    Prompt,
    ProviderBusy,
    ProviderUnavailable,
)
from services.ai.limiter import LocalLimiter
from support.fake_openai import STREAMED_ANSWER as ANSWER
from support.fake_openai import FakeChat
from support.servers import serve_fake

CONTEXT = ReplyContext(
    reply_id="r",
    chat_id="c",
    user_id="u",
    rules=(
        RuleFact(
            major="재활용폐기물", middle="무색페트병", label="clear PET", steps=("라벨을 떼요.",)
        ),
    ),
)
PROMPT = Prompt(
    question="투명 페트병은 어떻게 버려?",
    history=(Turn(role="user", text="안녕"), Turn(role="assistant", text="안녕하세요!")),
    context=CONTEXT,
    language="ko",
    max_tokens=300,
)


@pytest.fixture
async def server() -> AsyncIterator[FakeChat]:
    async with serve_fake(FakeChat(), "/v1") as fake:
        yield fake


@pytest.fixture
async def chat(server: FakeChat) -> AsyncIterator[OpenAIChat]:
    adapter = OpenAIChat(
        base_url=server.base,
        api_key=None,
        model="fake-chat",
        limiter=LocalLimiter(max_requests=1000, max_concurrency=4),
        timeout=5.0,
        max_retries=1,
    )
    yield adapter
    await adapter.aclose()


async def collect(chat: OpenAIChat, prompt: Prompt = PROMPT, so_far: str = "") -> list[Chunk]:
    return [chunk async for chunk in chat.stream(prompt, so_far)]


async def failure(chat: OpenAIChat) -> tuple[ChatProviderError, str]:
    """The error the stream ended with, and the text it gave before."""
    pieces: list[str] = []

    async def read() -> None:
        async for chunk in chat.stream(PROMPT, ""):
            pieces.append(chunk.text)

    with pytest.raises(ChatProviderError) as info:
        await read()
    return info.value, "".join(pieces)


async def test_a_streamed_answer_arrives_whole_with_its_usage(
    server: FakeChat, chat: OpenAIChat
) -> None:
    chunks = await collect(chat)
    assert "".join(c.text for c in chunks) == ANSWER
    assert sum(1 for c in chunks if c.text) == len(ANSWER.split())
    [usage] = [c.usage for c in chunks if c.usage is not None]
    assert usage.completion_tokens == len(ANSWER.split())
    assert not usage.estimated
    assert any(c.finish == "stop" for c in chunks)
    [request] = server.requests
    assert request["model"] == "fake-chat"  # the setting, never the client's
    assert request["stream"] is True
    assert request["stream_options"] == {"include_usage": True}
    assert request["max_tokens"] == 300
    system = request["messages"][0]["content"]
    assert system == persona.SYSTEM["ko"]
    assert "라벨을 떼요." in request["messages"][1]["content"]
    assert [m["role"] for m in request["messages"][2:]] == ["user", "assistant", "user"]


async def test_a_429_before_the_stream_is_retried_then_provider_busy(
    server: FakeChat, chat: OpenAIChat
) -> None:
    server.script = [("429", 0)]
    chunks = await collect(chat)  # the SDK's retry honours Retry-After and succeeds
    assert "".join(c.text for c in chunks) == ANSWER
    server.script = [("429", 0), ("429", 0)]
    error, text = await failure(chat)
    assert isinstance(error, ProviderBusy)
    assert (error.code, text) == ("provider_busy", "")


async def test_a_connection_cut_mid_stream_is_provider_unavailable(
    server: FakeChat, chat: OpenAIChat
) -> None:
    server.script = [("cut", 4)]
    error, text = await failure(chat)
    assert isinstance(error, ProviderUnavailable)
    assert error.code == "provider_unavailable"
    assert text == "".join(ANSWER.split(" ")[i] + " " for i in range(4))


async def test_malformed_chunks_are_bad_model_output(server: FakeChat, chat: OpenAIChat) -> None:
    server.script = [("malformed", 3)]
    error, text = await failure(chat)
    assert isinstance(error, BadOutput)
    assert error.code == "bad_model_output"
    assert len(text.split()) == 3


async def test_the_length_limit_and_a_resumed_answer(server: FakeChat, chat: OpenAIChat) -> None:
    short = Prompt(**{**PROMPT.__dict__, "max_tokens": 5})
    chunks = await collect(chat, short)
    assert [c.finish for c in chunks if c.finish] == ["length"]
    assert len("".join(c.text for c in chunks).split()) == 5
    await collect(chat, PROMPT, so_far="이코가 알려 ")
    resumed = server.requests[-1]["messages"]
    assert resumed[-2] == {"role": "assistant", "content": "이코가 알려 "}
    assert resumed[-1] == {"role": "user", "content": persona.CONTINUE["ko"]}
