"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), in a real
browser (Debian's Chromium, driven by Playwright) that may reach nothing but the service: they
render from the service's own files, with no request to any other host."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.servers import clean_environment, empty, running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):  # CI installs it: there, fail
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Page,
    Route,
    expect,
    sync_playwright,
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    empty(migrated)
    folder = tmp_path_factory.mktemp("docs-server")
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(folder / "data"), OPENGROUPS_DATABASE_URL=migrated
    )
    with running_server(env, folder, folder / "serve.log") as base_url:
        yield base_url


class Offline:
    """A page that may load from the service only: any other request is aborted and noted, and
    so is every error the page's console shows. The docs' Content-Security-Policy refuses
    other hosts before the browser asks (ReDoc's logo): those refusals are noted apart."""

    def __init__(self, browser: Browser) -> None:
        self.page: Page = browser.new_page()
        self.page.set_default_timeout(20_000)
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.page.route("**/*", self._only_the_service)
        self.page.on("console", self._console)

    def _only_the_service(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if "violates the following Content Security Policy" in message.text:
            self.refused.append(message.text)
        else:
            self.errors.append(message.text)

    def check(self) -> None:
        assert self.elsewhere == []
        assert self.errors == []
        assert not [text for text in self.refused if "127.0.0.1" in text]


def test_swagger_ui_renders_the_operations_offline(browser: Browser, server: str) -> None:
    offline = Offline(browser)
    offline.page.goto(f"{server}/docs")
    expect(offline.page.locator(".opblock").first).to_be_visible()
    create = offline.page.locator(".opblock-summary-path", has_text="/api/v1/groups/create")
    expect(create).to_be_visible()
    assert offline.page.locator(".opblock").count() > 50
    # An operation opened shows its description and the example of its body.
    offline.page.locator("#operations-groups-create_group_api_v1_groups_create_post").click()
    expect(offline.page.get_by_text("Create a group").first).to_be_visible()
    offline.check()
    offline.page.close()


def test_redoc_renders_offline(browser: Browser, server: str) -> None:
    offline = Offline(browser)
    offline.page.goto(f"{server}/redoc")
    expect(offline.page.locator("h1", has_text="opengroups")).to_be_visible()
    expect(offline.page.get_by_text("/api/v1/groups/create").first).to_be_attached()
    offline.check()
    offline.page.close()


def test_the_pages_name_only_assets_of_the_service(server: str) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(f"{server}{page}").text
        assert "https://" not in html, page
        assert "http://" not in html, page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        response = httpx.get(f"{server}/docs/assets/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset
