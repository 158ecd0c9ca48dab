"""Chat with 이코 in the browser: ask, watch the answer stream in and complete, stop the next
one mid-stream, reload and find the conversation as it was (the offline coach of
`eco2 up`, about 20 words a second)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot
from tests.browser.journeys import sign_up

CHAT_PAGE = re.compile(r"/chats/([0-9a-f-]{36})$")
FIRST = "투명 페트병은 어떻게 버려?"
SECOND = "유리병은 어떻게 버려?"
THINKING = "이코가 생각하는 중…"


def ask(page: Page, question: str) -> None:
    page.get_by_label("메시지").fill(question)
    page.get_by_role("button", name="보내기").click()
    expect(page.locator(".bubble.user").last).to_have_text(re.compile(re.escape(question)))


def test_an_answer_streams_to_the_end_one_is_stopped_and_both_are_there_after_a_reload(
    page: Page, shot: Shot
) -> None:
    sign_up(page)
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="채팅").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("이코와 채팅")
    page.get_by_role("button", name="새 대화").click()
    expect(page).to_have_url(CHAT_PAGE)
    log = page.get_by_role("list", name="대화 내용")
    stop = page.get_by_role("button", name="멈추기")

    ask(page, FIRST)
    answer = log.locator(".bubble.assistant").last
    expect(stop).to_be_visible()  # while it streams
    expect(answer.locator(".bubble-note")).to_contain_text("참고:")  # the context event
    expect(stop).to_be_hidden(timeout=30_000)  # ended
    expect(answer.locator(".bubble-text")).to_contain_text("오프라인 코치 이코")
    expect(answer.locator(".bubble-text")).to_contain_text("페트병")
    expect(answer.locator(".bubble-note")).not_to_contain_text("(멈춤)")
    completed = answer.locator(".bubble-text").inner_text()
    shot("chat-completed")

    ask(page, SECOND)
    stopped = log.locator(".bubble.assistant").last
    expect(stopped.locator(".bubble-text")).not_to_have_text(THINKING)  # the first words
    stop.click()
    expect(stopped.locator(".bubble-note")).to_have_text("(멈춤)", timeout=30_000)
    expect(stop).to_be_hidden()
    partial = stopped.locator(".bubble-text").inner_text()
    assert partial
    assert partial != THINKING
    shot("chat-stopped")

    page.reload()
    bubbles = page.get_by_role("list", name="대화 내용").locator(".bubble")
    expect(bubbles).to_have_count(4)
    expect(bubbles.nth(0)).to_contain_text(FIRST)
    expect(bubbles.nth(1).locator(".bubble-text")).to_have_text(completed)
    expect(bubbles.nth(2)).to_contain_text(SECOND)
    expect(bubbles.nth(3).locator(".bubble-text")).to_have_text(partial)
    expect(bubbles.nth(3).locator(".bubble-note")).to_have_text("(멈춤)")

    page.get_by_role("link", name="← 대화 목록").click()
    chat = page.locator(".chat-item").first
    expect(chat.locator(".chat-title")).to_have_text(FIRST)
    expect(chat).to_contain_text("메시지 4개")
    shot("chat-list")
