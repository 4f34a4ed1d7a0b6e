"""Browser tests: the real server on its own demo database, driven by the system Chromium.

One server and one Chromium serve the whole package. Both are package-scoped rather than
session-scoped: Playwright's sync API keeps an event loop running while it is alive, and
Django refuses ORM calls in the test process while one is, so the browser must be gone
before the rest of the suite continues.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

from tests.browser.support import ARTIFACTS, DESKTOP, ROOT, E2EServer, Pages, sign_in

CHROMIUM = Path("/usr/bin/chromium")
AXE_VERSION = "4.14.1"
AXE_DIR = ROOT / ".data" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Environment that would make the server share state with the unit tests or go to production.
SERVER_ENV_DROPPED = ("REDIS_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS", "SECRET_KEY", "DATA_DIR")


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`)")


# --- The server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _e2e_database() -> tuple[dict[str, Any], str]:
    """The connection settings of the server the suite uses, and a database name of our own.

    Works both with DATABASE_URL and with the embedded PostgreSQL (HOST is its socket folder).
    pytest-django may already have renamed NAME to its test database, hence the prefix strip.
    """
    database = dict(settings.DATABASES["default"])
    name = str(database["NAME"]).removeprefix("test_")
    return database, f"test_{name}_e2e"


def _database_url(database: dict[str, Any], name: str) -> str:
    credentials = quote(str(database.get("USER") or ""), safe="")
    if database.get("PASSWORD"):
        credentials += ":" + quote(str(database["PASSWORD"]), safe="")
    host = quote(str(database.get("HOST") or ""), safe="")
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{name}"


def _maintenance(database: dict[str, Any], statement: str) -> None:
    with psycopg.connect(
        dbname="postgres",
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        autocommit=True,
    ) as admin:
        admin.execute(statement)  # type: ignore[arg-type]


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def _wait_until_healthy(process: subprocess.Popen[bytes], server: E2EServer) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the e2e server exited with {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the e2e server did not answer /healthz within 60 s:\n{server.output()}")


@pytest.fixture(scope="package")
def e2e_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EServer]:
    """`runserver` on a free port over a fresh database with the demo data; dropped afterwards."""
    require_chromium()
    for stale in [*ARTIFACTS.glob("test_*--*.png"), ARTIFACTS / "e2e-server.log"]:
        stale.unlink(missing_ok=True)
    database, name = _e2e_database()
    _maintenance(database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _maintenance(database, f'CREATE DATABASE "{name}"')
    folder = tmp_path_factory.mktemp("e2e")
    server = E2EServer(port=_free_port(), log=folder / "server.log")
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROPPED}
    env.update(
        DATABASE_URL=_database_url(database, name),
        DJANGO_ENV="development",
        # Static files are served by runserver only in debug mode.
        DEBUG="1",
        # Fast password hashing and inline background tasks, as in the rest of the suite.
        TESTING="1",
        BASE_DOMAIN="localhost",
        PUBLIC_PORT=str(server.port),
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        MEDIA_ROOT=str(folder / "media"),
        PYTHONUNBUFFERED="1",
    )
    process: subprocess.Popen[bytes] | None = None
    try:
        _manage(env, "migrate_schemas", "--noinput", "-v", "0")
        _manage(env, "seed_demo")
        with server.log.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "runserver",
                    f"127.0.0.1:{server.port}",
                    "--noreload",
                    "--skip-checks",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_until_healthy(process, server)
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if server.log.exists():
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(server.log, ARTIFACTS / "e2e-server.log")
        _maintenance(database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The browser ---------------------------------------------------------------------------


def _axe_script() -> Path:
    """axe-core from npm, installed once into .data/axe and reused."""
    manifest = AXE_JS.parent / "package.json"
    if AXE_JS.exists() and json.loads(manifest.read_text())["version"] == AXE_VERSION:
        return AXE_JS
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("the browser tests need npm to install axe-core")
    done = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(AXE_DIR),
            "--no-audit",
            "--no-fund",
            f"axe-core@{AXE_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode or not AXE_JS.exists():
        pytest.fail(f"could not install axe-core@{AXE_VERSION}:\n{done.stdout}\n{done.stderr}")
    return AXE_JS


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def pages(request: pytest.FixtureRequest) -> Iterator[Pages]:
    require_chromium()
    checked = Pages(test_name=request.node.name, axe=_axe_script())
    yield checked
    problems = [f"axe: {v}" for v in checked.violations] + [
        f"JavaScript error: {e}" for e in checked.script_errors
    ]
    assert not problems, "\n".join(problems)


@pytest.fixture
def new_page(
    browser: Any, pages: Pages, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (separate cookies), screenshotted on failure."""
    opened: list[tuple[Any, Any]] = []

    def open_page(viewport: dict[str, int] | None = None, state: Any = None) -> Any:
        context = browser.new_context(viewport=viewport or DESKTOP, storage_state=state)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda error: pages.script_errors.append(str(error)))
        opened.append((context, page))
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    for number, (context, _) in enumerate(opened):
        for tab, page in enumerate(context.pages if failed else []):
            pages.screenshot(page, f"FAILED-{number}-{tab}")
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


# Signed-in browser state per account, so each staff member passes TOTP once per run.
_signed_in: dict[tuple[int, str | None, str], Any] = {}


@pytest.fixture
def signed_in_page(
    new_page: Callable[..., Any], e2e_server: E2EServer, pages: Pages
) -> Callable[..., Any]:
    """A page of a fresh context signed in as ``email``; the sign-in is done once per account."""

    def open_signed_in(slug: str | None, email: str, viewport: dict[str, int] | None = None) -> Any:
        key = (e2e_server.port, slug, email)
        if key in _signed_in:
            return new_page(viewport, _signed_in[key])
        page = new_page(viewport)
        sign_in(page, e2e_server, slug, email, pages)
        _signed_in[key] = page.context.storage_state()
        return page

    return open_signed_in
