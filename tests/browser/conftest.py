"""Headless Chromium (Debian's package) driven by Playwright; screenshots go to the test's tmp dir and, when
``ZGW_TEST_ARTIFACTS`` is set, to that directory too."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


# Package scope: while Playwright's sync API is open its event loop runs in the main thread, so it must be
# closed before tests elsewhere call asyncio.run().
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    targets = [tmp_path / "screenshots"]
    if artifacts := os.environ.get("ZGW_TEST_ARTIFACTS"):
        targets.append(Path(artifacts) / "screenshots" / request.node.name)

    def take(name: str) -> Path:
        for target in targets:
            target.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target / f"{name}.png"), full_page=True)
        return targets[-1] / f"{name}.png"

    return take
