"""The real service for the browser tests: ``placematch serve --demo`` on a free port with a temporary
SQLite database, and Debian's Chromium driven by Playwright (never a downloaded browser).

Without ``/usr/bin/chromium`` (or the ``playwright`` package) the browser tests are skipped, except in
CI (``CI=true``), where that is a failure: ``.ci/run`` installs Chromium with apt-get.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
#: The README's screenshots are made here by the tests (PLACEMATCH_SCREENSHOTS to put them elsewhere).
SCREENSHOTS = Path(os.environ.get("PLACEMATCH_SCREENSHOTS", ROOT / "docs" / "screenshots"))
PASSWORD = "browser-tests-" + secrets.token_urlsafe(8)
#: The demo county's date, so that ages and days waiting in the screenshots stay the same.
TODAY = "2026-11-23"
LAPTOP: ViewportSize = {"width": 1280, "height": 860}
TABLET: ViewportSize = {"width": 768, "height": 1024}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian's Chromium with Playwright against the real service")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs chromium with apt-get)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    """The service being started: its process, address and log."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path


@pytest.fixture(scope="session")
def service_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Start ``placematch serve --demo`` on a temporary SQLite database (without waiting for it)."""
    folder = tmp_path_factory.mktemp("service")
    port = _free_port()
    env = {
        **os.environ,
        "PLACEMATCH_DEMO_PASSWORD": PASSWORD,
        "PLACEMATCH_JWT_SECRET": secrets.token_urlsafe(32),
        "PLACEMATCH_TODAY": TODAY,
        "PLACEMATCH_ARGON2_TIME_COST": "1",
        "PLACEMATCH_ARGON2_MEMORY_KIB": "1024",
    }
    env.pop("DATABASE_URL", None)
    env.pop("PLACEMATCH_DATABASE_URL", None)
    log_path = folder / "service.log"
    database = f"sqlite:///{folder / 'placematch.sqlite'}"
    command = [sys.executable, "-m", "api.cli", "serve", "--demo", "--database", database, "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield Service(process, f"http://127.0.0.1:{port}", log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Debian's Chromium, headless, started once for the whole run (while the service starts)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    request.getfixturevalue("service_process")  # the service boots while the browser starts
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def service(browser: Browser, service_process: Service) -> str:
    """The service's base URL, once it answers ``/health``."""
    process, base, log_path = service_process.process, service_process.base, service_process.log
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"the service exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the service did not start in 90 s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)


@pytest.fixture
def page(browser: Browser, service: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) at laptop size, with the service's base URL."""
    context = browser.new_context(viewport=LAPTOP, base_url=service)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page, by keyboard as a user would."""
    page.goto("/ui/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(lambda url: "/ui/login" not in url)


def shoot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
