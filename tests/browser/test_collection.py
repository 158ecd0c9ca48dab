"""The collection: 13 characters, the owned ones lit with when and how they were earned."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot
from tests.browser.journeys import PET_HINT, scan, sign_up


def test_the_character_a_scan_earned_is_lit_in_the_collection(page: Page, shot: Shot) -> None:
    sign_up(page)
    page.goto("/collection")
    expect(page.get_by_text("13개 중 1개를 모았어요")).to_be_visible()

    scan(page, PET_HINT)
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="도감").click()
    expect(page.get_by_text("13개 중 2개를 모았어요")).to_be_visible()
    characters = page.get_by_role("list", name="도감").get_by_role("listitem")
    expect(characters).to_have_count(13)
    owned = page.locator(".character.owned")
    expect(owned).to_have_count(2)
    eco = owned.filter(has_text="이코")
    expect(eco).to_contain_text("처음부터 함께한 친구")
    expect(eco.locator(".earned")).to_contain_text("획득")
    peti = owned.filter(has_text="페티")
    expect(peti).to_contain_text("스캔으로 획득")
    expect(peti.locator(".earned")).to_contain_text("획득")
    expect(peti.locator(".dialog")).to_contain_text("라벨은 떼고")
    locked = page.locator(".character.locked")
    expect(locked).to_have_count(11)
    expect(locked.filter(has_text="메탈리")).to_contain_text("아직 못 만났어요")
    expect(locked.filter(has_text="메탈리")).to_contain_text("금속류을(를) 올바르게 버리면 만나요")
    shot("collection")
