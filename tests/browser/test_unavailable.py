"""Places and chat on a server without their APIs: a clear "not available", not a broken page.

The server is made to answer those routes as one without them does (the plain 404), so
the tests hold whether or not this build has them. Their journeys against the real APIs
come with the APIs (issues 13 and 14).
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Shot, phone_only
from tests.browser.journeys import PET_HINT, scan, sign_up

MISSING = re.compile(r"/api/v1/(places|chats|scans/[^/]+/places)(\?|/|$)")


def not_found(route: Route) -> None:
    body = {"error": {"code": "not_found", "message": "Not Found", "request_id": "test"}}
    route.fulfill(status=404, content_type="application/json", body=json.dumps(body))


@phone_only
def test_places_and_chat_say_they_are_not_available(page: Page, shot: Shot) -> None:
    page.route(MISSING, not_found)
    sign_up(page)
    scan(page, PET_HINT)
    page.get_by_role("link", name="어디에 버릴 수 있나요?").click()
    expect(page).to_have_url(re.compile(r"/places\?scan="))
    expect(page.get_by_role("status")).to_have_text(
        "장소 찾기는 아직 준비 중이에요. 이 서버에서는 쓸 수 없어요."
    )
    shot("places-unavailable")
    page.go_back()
    page.get_by_role("link", name="이코에게 물어보기").click()
    expect(page.get_by_role("status").filter(has_text="채팅은")).to_have_text(
        "이코와 채팅은 아직 준비 중이에요. 이 서버에서는 쓸 수 없어요."
    )
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="장소").click()
    expect(page.get_by_role("status")).to_contain_text("장소 찾기는 아직 준비 중이에요.")
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="채팅").click()
    expect(page.get_by_role("status")).to_contain_text("이코와 채팅은 아직 준비 중이에요.")
