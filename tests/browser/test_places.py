"""The places page against the real places API: the nearest collection points of the
shared KECO file (imported with `eco2 places import` into the suite's database), a
place's details with its weekly hours, and a filter by accepted item."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from playwright.sync_api import Page, expect

from support.env import ECO2
from tests.browser.conftest import Shot, phone_only
from tests.browser.journeys import sign_up
from tests.unit.services.places.conftest import shared_file


@pytest.fixture(scope="module")
def imported(database_url: str, app_url: str) -> None:
    """The KECO file in the running system's database (its NOTIFY drops the cache)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECO2_")}
    done = subprocess.run(
        [ECO2, "places", "import", str(shared_file("keco_recycle_compensation_sites.csv"))],
        env={**env, "ECO2_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@phone_only
def test_the_nearest_places_their_details_and_a_filter(
    page: Page, shot: Shot, imported: None
) -> None:
    sign_up(page)
    page.goto("/places?at=37.56650,126.97800&radius=50000")
    places = page.locator("li.place")
    expect(places).to_have_count(20)
    first = places.first
    expect(first.locator(".distance")).to_contain_text(re.compile(r"\d"))
    expect(first.locator(".badge")).to_have_text(
        re.compile("영업 중|영업 종료|영업 여부 확인 필요")
    )
    shot("places-nearby")
    first.get_by_role("button", name="자세히").click()
    expect(first.get_by_label("요일별 영업시간")).to_contain_text("월")
    expect(first.locator(".place-details")).to_contain_text("출처: keco")
    page.get_by_label("받는 품목").select_option("textile")
    expect(page).to_have_url(re.compile(r"accepts=textile"))
    expect(places.first).to_be_visible()
    for chips in places.locator("ul.chips").all():
        expect(chips).to_contain_text("의류")
    shot("places-textile")
