"""Scanning a photo and watching it to the result card; my scans, paged; a scan page reloaded."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, WebSocketRoute, expect

from support.images import jpeg
from tests.browser.conftest import Shot, phone_only
from tests.browser.journeys import PET_HINT, scan, sign_up, stored_session

PAGE_SIZE = 10  # gateway/web/js/views/scans.js


def test_a_scan_with_a_hint_shows_progress_then_the_result_and_the_reward(
    page: Page, shot: Shot
) -> None:
    sign_up(page)
    scan_id = scan(page, PET_HINT)
    progress = page.locator(".progress-card")
    expect(progress).to_have_attribute("data-live", "websocket")
    expect(progress.get_by_role("progressbar")).to_have_attribute("value", "100")
    card = page.locator("article.result")
    expect(card.locator(".category")).to_have_text("재활용폐기물 › 무색페트병")
    expect(card.get_by_text("고칠 점이 없어요. 완벽해요!")).to_be_visible()
    expect(card.locator(".steps li").first).to_be_visible()
    expect(card.locator(".steps")).to_contain_text("라벨")
    expect(card.locator(".answer")).to_contain_text("이코")
    reward = card.locator(".reward")
    expect(reward.locator(".reward-status")).to_have_text("새 캐릭터를 얻었어요!")
    expect(reward.locator(".reward-name")).to_have_text("페티")
    expect(reward.locator(".dialog")).to_contain_text("라벨은 떼고")
    expect(reward.locator("svg.art")).to_be_visible()
    where = card.get_by_role("link", name="어디에 버릴 수 있나요?")
    expect(where).to_have_attribute("href", f"/places?scan={scan_id}")
    expect(card.get_by_role("link", name="이코에게 물어보기")).to_have_attribute(
        "href", f"/chats?scan={scan_id}"
    )
    shot("scan-result")

    scan(page, PET_HINT)
    expect(page.locator(".reward-status")).to_have_text("이미 도감에 있는 캐릭터예요")


@phone_only
def test_what_to_fix_is_listed_and_earns_no_reward(page: Page) -> None:
    sign_up(page)
    scan(page, "라벨 붙은 투명 페트병")
    card = page.locator("article.result")
    expect(card.locator(".fixes li")).not_to_have_count(0)
    expect(card.locator(".fixes")).to_contain_text("라벨")
    expect(card.get_by_text("이번엔 보상이 없어요.")).to_be_visible()


@phone_only
def test_progress_falls_back_to_server_sent_events_without_a_websocket(
    page: Page, shot: Shot
) -> None:
    def refuse(socket: WebSocketRoute) -> None:
        socket.close(code=1011, reason="no sockets here")

    page.route_web_socket(re.compile(r"/api/v1/ws"), refuse)
    sign_up(page)
    scan(page, PET_HINT)
    expect(page.locator(".progress-card")).to_have_attribute("data-live", "sse")
    expect(page.locator(".reward-name")).to_have_text("페티")
    shot("scan-result-sse")


@phone_only
def test_a_photo_is_required(page: Page) -> None:
    sign_up(page)
    page.get_by_role("button", name="스캔하기").click()
    expect(page.get_by_role("alert")).to_have_text("사진을 먼저 골라 주세요.")


def make_scans(app_url: str, token: str, count: int) -> None:
    """`count` scans through the API itself (quicker than the form), all finished."""
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=app_url, headers=bearer, timeout=10) as client:
        for n in range(count):
            files = {"image": ("p.jpg", jpeg(), "image/jpeg")}
            sent = client.post("/api/v1/scans", files=files, data={"hint": f"캔 {n}"})
            assert sent.status_code == 202, sent.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            items = client.get("/api/v1/scans", params={"limit": 100}).json()["items"]
            if all(item["status"] == "completed" for item in items):
                return
            time.sleep(0.1)
        raise AssertionError("the scans did not finish")


def test_my_scans_pages_and_a_scan_page_survives_a_reload(
    page: Page, app_url: str, shot: Shot
) -> None:
    sign_up(page)
    first = scan(page, PET_HINT)
    make_scans(app_url, stored_session(page)["access_token"], PAGE_SIZE)

    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="내 스캔").click()
    expect(page).to_have_url(re.compile(r"/scans$"))
    items = page.get_by_role("list", name="내 스캔").get_by_role("listitem")
    expect(items).to_have_count(PAGE_SIZE)
    expect(items.first).to_contain_text("재활용폐기물 › 금속류")
    shot("my-scans")
    more = page.get_by_role("button", name="더 보기")
    more.click()
    expect(items).to_have_count(PAGE_SIZE + 1)
    expect(more).to_be_hidden()
    oldest = items.last
    expect(oldest).to_contain_text("재활용폐기물 › 무색페트병")
    expect(oldest).to_contain_text("★ 페티")

    oldest.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/scans/{first}$"))
    expect(page.locator(".reward-name")).to_have_text("페티")
    page.reload()
    expect(page.locator(".category")).to_have_text("재활용폐기물 › 무색페트병")
    expect(page.locator(".reward-name")).to_have_text("페티")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/scans$"))
