"""What a person does in the app, step by step, shared by the journeys' tests."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from playwright.sync_api import FilePayload, Page, expect

from support.images import jpeg

PASSWORD = "recycle every day"
PET_HINT = "투명 페트병 라벨 뗀"  # the offline provider: clear PET, label off -> 페티
SCAN_PAGE = re.compile(r"/scans/([0-9a-f-]{36})$")


def unique_email() -> str:
    return f"web-{uuid.uuid4().hex[:12]}@example.com"


def sign_up(page: Page, nickname: str = "미나") -> str:
    """Create an account through the sign-up form; its email. Lands on the scan page."""
    email = unique_email()
    page.goto("/signup")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("닉네임").fill(nickname)
    page.get_by_role("button", name="가입하기").click()
    expect(page).to_have_url(re.compile(r"/scan$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("사진으로 분리배출 확인")
    return email


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인", exact=True).click()


def choose_photo(page: Page) -> None:
    photo: FilePayload = {"name": "bottle.jpg", "mimeType": "image/jpeg", "buffer": jpeg(320, 240)}
    page.locator("#photo-library").set_input_files(photo)


def scan(page: Page, hint: str = PET_HINT) -> str:
    """Scan a photo with `hint` from the scan page and wait for its result; the scan's id."""
    page.goto("/scan")
    choose_photo(page)
    expect(page.get_by_role("img", name="고른 사진")).to_be_visible()
    page.get_by_label("힌트 (선택)").fill(hint)
    page.get_by_role("button", name="스캔하기").click()
    expect(page).to_have_url(SCAN_PAGE)
    expect(page.locator(".progress-card")).to_contain_text("완료 · 100%")
    expect(page.locator("article.result")).to_be_visible()
    match = SCAN_PAGE.search(page.url)
    assert match is not None
    return match[1]


def stored_session(page: Page) -> dict[str, Any]:
    """The tokens the app keeps in this browser."""
    raw = page.evaluate("() => localStorage.getItem('eco2.session')")
    assert isinstance(raw, str), "no session stored"
    session: dict[str, Any] = json.loads(raw)
    return session


def store_session(page: Page, session: dict[str, Any]) -> None:
    page.evaluate("(s) => localStorage.setItem('eco2.session', JSON.stringify(s))", session)
