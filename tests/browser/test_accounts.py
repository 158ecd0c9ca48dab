"""Signing up, out and in; the messages the API's errors become; silent token refresh;
the language toggle."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, phone_only
from tests.browser.journeys import (
    PASSWORD,
    sign_in,
    sign_up,
    store_session,
    stored_session,
    unique_email,
)


def test_sign_up_sign_out_and_sign_in_again_with_a_bad_password_first(
    page: Page, shot: Shot
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("로그인")
    shot("sign-in")
    email = sign_up(page, nickname="하늘")
    expect(page.get_by_text("하늘님, 오늘은 무엇을 버리나요?")).to_be_visible()
    expect(page.get_by_role("navigation", name="주 메뉴")).to_be_visible()

    page.get_by_role("button", name="로그아웃").click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    expect(page.get_by_role("status").filter(has_text="로그아웃했어요.")).to_be_visible()
    expect(page.get_by_role("navigation", name="주 메뉴")).to_be_hidden()

    sign_in(page, email, "not my password")
    expect(page.get_by_role("alert")).to_have_text("이메일 또는 비밀번호가 올바르지 않아요.")
    expect(page).to_have_url(re.compile(r"/signin$"))
    shot("sign-in-error")

    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/scan$"))
    expect(page.get_by_text("하늘님, 오늘은 무엇을 버리나요?")).to_be_visible()


@phone_only
def test_sign_up_errors_are_told_in_plain_words(page: Page) -> None:
    page.goto("/signup")
    form = {"이메일": unique_email(), "비밀번호": "short", "닉네임": "미나"}
    for label, value in form.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="가입하기").click()
    expect(page.get_by_role("alert")).to_have_text(
        "비밀번호가 너무 짧거나 흔해요. 더 길고 추측하기 어려운 비밀번호를 써 주세요."
    )

    page.get_by_label("이메일").fill("not-an-address")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="가입하기").click()
    expect(page.get_by_role("alert")).to_have_text("이메일 주소 형식이 올바르지 않아요.")

    email = sign_up(page)
    page.get_by_role("button", name="로그아웃").click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.goto("/signup")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("닉네임").fill("미나")
    page.get_by_role("button", name="가입하기").click()
    expect(page.get_by_role("alert")).to_have_text("이미 가입된 이메일이에요. 로그인해 주세요.")


@phone_only
def test_an_expired_access_token_is_refreshed_silently_and_a_reused_one_signs_out(
    page: Page, shot: Shot
) -> None:
    sign_up(page)
    first = stored_session(page)
    store_session(page, {**first, "expires_at": int(time.time() * 1000) - 1000})
    page.goto("/collection")
    expect(page.get_by_text("13개 중 1개를 모았어요")).to_be_visible()
    rotated = stored_session(page)
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["expires_at"] > time.time() * 1000

    # The first refresh token again, as a thief would use it: the server revokes the session.
    store_session(page, {**rotated, "refresh_token": first["refresh_token"], "expires_at": 0})
    page.goto("/scans")
    expect(page).to_have_url(re.compile(r"/signin$"))
    expect(
        page.get_by_role("status").filter(has_text="보안을 위해 로그아웃됐어요.")
    ).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('eco2.session')") is None
    shot("signed-out-reused-token")


@phone_only
def test_a_page_that_needs_an_account_returns_there_after_sign_in(page: Page) -> None:
    email = sign_up(page)
    page.get_by_role("button", name="로그아웃").click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.goto("/collection")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fcollection$"))
    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/collection$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("도감")


@phone_only
def test_the_english_toggle_is_remembered(page: Page, shot: Shot) -> None:
    page.goto("/signin")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.get_by_role("button", name="Switch the language to English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Password")).to_be_visible()
    page.get_by_label("Email").fill(unique_email())
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    shot("sign-in-english")
    page.get_by_role("button", name="언어를 한국어로 바꾸기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("로그인")


def test_a_configured_oauth_provider_has_a_button_that_signs_in(page: Page, shot: Shot) -> None:
    page.goto("/signin")
    providers = page.get_by_role("group", name="다른 방법으로 로그인")
    expect(providers.get_by_role("button")).to_have_count(1)
    shot("sign-in-oauth")
    providers.get_by_role("button", name="카카오(으)로 계속하기").click()
    expect(page).to_have_url(re.compile(r"/scan$"))
    expect(page.get_by_text("카카오친구님, 오늘은 무엇을 버리나요?")).to_be_visible()
    assert stored_session(page)["user"]["email"] == "kakao-friend@example.com"
