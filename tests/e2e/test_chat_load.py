"""Many people asking 이코 at once, end to end in one process (as `eco2 up` wires it): every
answer's stream is followed from the moment its message is accepted and completes, however
long the system takes to start it.

The gateway waits only `sse_wait_unknown` seconds for a stream with no event yet before it
answers 404 (an unknown or another user's resource). Here that wait is far shorter than
the time 20 concurrent answers take to be grounded and begun, as it is in `bench/chat.py`
on a loaded machine with the default wait: a reply the API has accepted must still be
followed to its end, not refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
import pytest_asyncio

from services.runtime import components
from support.databases import fresh_database
from tests.e2e.test_chat import new_chat, read, send, settled, text_of
from tests.e2e.test_scan_pipeline import System, in_one_process, register

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

CHATS = 20
QUESTIONS = ("투명 페트병은 어떻게 버려?", "치킨 뼈는 어디에 버려?", "유리병은 어떻게 버려?")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    root = tmp_path_factory.mktemp("chat-load")
    async with AsyncExitStack() as stack:
        database = fresh_database(postgres_url, "eco2_chat_load", components.MIGRATIONS)
        url = await stack.enter_async_context(database)
        host = await stack.enter_async_context(
            in_one_process(
                url,
                root,
                chat_words_per_second="80",
                sse_wait_unknown="0.05",
                request_timeout="60",
            )
        )
        yield System(host, "memory")


async def _ask(client: httpx.AsyncClient, index: int) -> tuple[str, str, str, str]:
    """One person's question: (ending, streamed text, stored status, stored text)."""
    session = await register(client)
    chat_id = await new_chat(client, session)
    accepted = await send(client, session, chat_id, QUESTIONS[index % len(QUESTIONS)])
    status, events = await read(client, session, accepted["events_url"])
    assert status == 200, f"chat {index}: the accepted reply's events answered {status}"
    stored = (await settled(client, session, chat_id))[-1]
    return events[-1]["event"], text_of(events), stored["status"], stored["text"]


async def test_concurrent_answers_of_different_people_all_complete(system: System) -> None:
    limits = httpx.Limits(max_connections=4 * CHATS)
    async with httpx.AsyncClient(
        base_url=f"http://{system.host}", limits=limits, timeout=120
    ) as client:
        async with asyncio.timeout(300):
            answers = await asyncio.gather(*(_ask(client, i) for i in range(CHATS)))
    assert [ending for ending, *_ in answers] == ["completed"] * CHATS
    assert [status for _, _, status, _ in answers] == ["completed"] * CHATS
    for _, streamed, _, stored in answers:
        assert streamed
        assert streamed == stored
