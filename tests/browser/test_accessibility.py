"""Accessibility basics: axe-core finds no WCAG 2.1 A/AA violation on the main pages
(labels, names, contrast of every visible text, the main actions included), and Tab walks
the sign-in form in reading order.

axe-core comes inside the `axe-playwright-python` wheel (axe-core is MPL-2.0, the wrapper
MIT): nothing is downloaded at run time.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.journeys import PET_HINT, scan, sign_up

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def check(page: Page, where: str) -> None:
    results: dict[str, Any] = Axe().run(page, options=WCAG).response
    violations = [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
    ]
    assert violations == [], f"{where}: {violations}"
    checked = {rule["id"] for rule in results["passes"]}
    # Not vacuous: the page has text to measure and fields to name.
    assert "color-contrast" in checked, where


def test_the_main_pages_have_no_wcag_violations(page: Page) -> None:
    page.goto("/signin")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check(page, "sign in")
    page.goto("/signup")
    expect(page.get_by_label("닉네임")).to_be_visible()
    check(page, "sign up")
    sign_up(page)
    check(page, "scan form")
    scan(page, PET_HINT)
    check(page, "scan result")
    page.goto("/scans")
    expect(page.locator(".scan-item")).to_have_count(1)
    check(page, "my scans")
    page.goto("/collection")
    expect(page.locator(".character")).to_have_count(13)
    check(page, "collection")


def focused(page: Page) -> str:
    described: str = page.evaluate(
        """() => {
          const el = document.activeElement;
          return `${el.tagName.toLowerCase()}:${el.getAttribute('name') || el.textContent.trim()}`;
        }"""
    )
    return described


def test_tab_walks_the_sign_in_form_in_order(page: Page) -> None:
    page.goto("/signin")
    expect(page.get_by_role("heading", level=1)).to_have_text("로그인")
    order = []
    for _ in range(7):
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert order == [
        "a:본문으로 건너뛰기",
        "a:Eco2",
        "button:English",
        "input:email",
        "input:password",
        "button:로그인",
        "a:계정이 없나요? 회원가입",
    ]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "input:password"
