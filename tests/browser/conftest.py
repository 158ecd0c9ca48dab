"""The browser suite's system and browser: `eco2 up` on its defaults, Debian's chromium.

One `eco2 up` (memory bus, in-process Redis, local object store, offline AI provider) is
started in a temporary directory on a free port for the whole suite, as a person starts it
with `make up`, but on a fresh database of the test PostgreSQL instead of the embedded
one (the embedded cluster's initdb and shutdown would double the suite's time), and with
one OAuth provider, Kakao, played by the fake provider of the OAuth e2e tests. Chromium is
the Debian package (`/usr/bin/chromium`, or `ECO2_CHROMIUM`), launched headless by
Playwright, which gives each launch a fresh profile; every test gets a new browser context
(no shared storage), a journey at a phone-sized and at a desktop viewport.

Each test fails if the page threw, logged a Content-Security-Policy violation, or asked
anything of an origin other than the app's and that provider's. Screenshots go to
`ECO2_SCREENSHOT_DIR` (default `var/screenshots/`, git-ignored).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    sync_playwright,
)

from support.databases import fresh_database
from support.env import ECO2, ROOT, unavailable
from support.servers import free_port, served_in_thread
from tests.e2e.test_oauth_flow import FakeProvider, userinfo

CHROMIUM = os.environ.get("ECO2_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("ECO2_SCREENSHOT_DIR", ROOT / "var" / "screenshots"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 120.0

Shot = Callable[[str], Path]


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int
    mobile: bool


VIEWPORTS = {"phone": Viewport(390, 844, mobile=True), "desktop": Viewport(1280, 800, mobile=False)}


@pytest.fixture(scope="package")
def database_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database, made and dropped on an event loop of its own thread (the
    tests are sync, and Playwright's sync API keeps a loop of its own in this one)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    database = fresh_database(postgres_url, "eco2_browser")
    try:
        yield asyncio.run_coroutine_threadsafe(database.__aenter__(), loop).result()
    finally:
        asyncio.run_coroutine_threadsafe(database.__aexit__(None, None, None), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


@pytest.fixture(scope="package")
def kakao() -> Iterator[FakeProvider]:
    """A fake Kakao that signs in one person, 카카오친구, and sends the browser back."""
    fake = FakeProvider()
    fake.person["kakao"] = userinfo("kakao", "4242", "kakao-friend@example.com", "카카오친구")
    with served_in_thread(fake.app()) as base:
        fake.base = base
        yield fake


def oauth_env(kakao: FakeProvider, app_url: str) -> dict[str, str]:
    prefix = "ECO2_OAUTH_KAKAO__"
    return {
        "ECO2_OAUTH_REDIRECT_URIS": json.dumps([f"{app_url}/oauth/callback"]),
        f"{prefix}CLIENT_ID": "kakao-client",
        f"{prefix}CLIENT_SECRET": "kakao-secret",
        f"{prefix}AUTHORIZE_URL": f"{kakao.base}/kakao/authorize",
        f"{prefix}TOKEN_URL": f"{kakao.base}/kakao/token",
        f"{prefix}USERINFO_URL": f"{kakao.base}/kakao/userinfo",
    }


@pytest.fixture(scope="package")
def app_url(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, kakao: FakeProvider
) -> Iterator[str]:
    """`eco2 up` in an empty directory on a free port; its base URL."""
    workdir = tmp_path_factory.mktemp("eco2-up")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "eco2.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ECO2_HTTP_PORT": str(port),
        "ECO2_DATABASE_URL": database_url,
        # Every journey signs a new person up, all from the one loopback address.
        "ECO2_REGISTRATION_MAX_PER_CLIENT": "1000000",
        **oauth_env(kakao, url),
    }
    env.pop("ECO2_LOG_LEVEL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ECO2, "up"], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "eco2 serving on" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"eco2 up did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
    assert code == 0, log.read_text()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        unavailable(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
    )
    yield launched
    launched.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """Each journey runs at every viewport; a test marked `phone_only` at the phone's."""
    name: str = request.param
    return name


# For the checks around a journey (its errors, fallbacks): the layout does not change them.
phone_only = pytest.mark.parametrize("viewport", ["phone"], indirect=True)


@dataclass
class Watch:
    """What a page did that it must not: threw, broke the CSP, went to another origin."""

    origins: tuple[str, ...]
    problems: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        text = message.text
        # A refused request (a 401 for a wrong password, say) is logged too: that is fine.
        if message.type == "error" and not text.startswith("Failed to load resource"):
            self.problems.append(f"console: {text}")

    def request(self, request: Request) -> None:
        if not request.url.startswith((*self.origins, "data:", "blob:")):
            self.problems.append(f"request to another origin: {request.url}")


@pytest.fixture
def context(browser: Browser, app_url: str, viewport: str) -> Iterator[BrowserContext]:
    size = VIEWPORTS[viewport]
    made = browser.new_context(
        base_url=app_url,
        locale="ko-KR",
        viewport={"width": size.width, "height": size.height},
        is_mobile=size.mobile,
        has_touch=size.mobile,
    )
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext, app_url: str, kakao: FakeProvider) -> Iterator[Page]:
    opened = context.new_page()
    watch = Watch((app_url, app_url.replace("http", "ws", 1), kakao.base))
    opened.on("console", watch.console)
    opened.on("pageerror", lambda error: watch.problems.append(f"uncaught: {error}"))
    opened.on("request", watch.request)
    yield opened
    assert watch.problems == []


@pytest.fixture
def shot(page: Page, viewport: str) -> Shot:
    """`shot(name)`: a screenshot of the page as it is now, as `<name>-<viewport>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}-{viewport}.png"
        page.screenshot(path=path)
        return path

    return take
