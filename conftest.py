"""Fixtures that start the real parts: a Celery worker, moto's S3 server, Chromium.

Mocks are for the outside world only; our own worker, database and storage are real.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread; Django's live_server
# and ORM calls from the same thread are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing answered on 127.0.0.1:{port} within {timeout}s")


# --- Tests that need a service or a tool ------------------------------------------------------

REQUIREMENTS = {
    "postgresql": "PostgreSQL (set DATABASE_URL=postgres://...)",
    "7zip": "7-Zip (7zz or 7z on PATH)",
    "bsdtar": "bsdtar (libarchive) on PATH",
}


def requirement_met(name: str) -> bool:
    """Whether this run has ``name`` (a key of ``REQUIREMENTS``)."""
    if name == "postgresql":
        from django.db import connection

        return connection.vendor == "postgresql"
    if name == "7zip":
        return bool(shutil.which("7zz") or shutil.which("7z"))
    if name == "bsdtar":
        return bool(shutil.which("bsdtar"))
    raise ValueError(f"unknown requirement {name!r}; known: {sorted(REQUIREMENTS)}")


def requires(*names: str):
    """``@requires("postgresql")``: the test needs these. Missing locally, it is skipped with the
    reason; missing under ``CI=true``, it FAILS (a CI run never counts a skipped check as passed)."""
    unknown = set(names) - set(REQUIREMENTS)
    if unknown:
        raise ValueError(f"unknown requirement(s) {sorted(unknown)}; known: {sorted(REQUIREMENTS)}")
    return pytest.mark.requires(*names)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pytest_runtest_setup(item):
    missing = [
        REQUIREMENTS[name]
        for marker in item.iter_markers("requires")
        for name in marker.args
        if not requirement_met(name)
    ]
    if not missing:
        return
    reason = "needs " + ", ".join(dict.fromkeys(missing))
    if in_ci():
        pytest.fail(f"CI=true and this run lacks what the test needs: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(trylast=True)  # after -m/-k deselection: only the browser tests that would run count
def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    # Never a silent pass without the browser tests: stop with the command that installs Chromium.
    # (Leaving them out on purpose is explicit: -m "not browser".)
    if any("browser" in item.keywords for item in items):
        raise pytest.UsageError(
            f"The browser tests need Chromium at {CHROMIUM}, which is not installed. "
            "Install it (make test does, where it can): apt-get install -y chromium"
        )


@pytest.fixture(scope="session", autouse=True)
def _test_run_dir():
    """Remove this run's private folder (database file, media, queue) when the run ends."""
    from django.conf import settings

    run_dir = getattr(settings, "TEST_RUN_DIR", None) if settings.configured else None
    if run_dir is None:  # plain tests run without pytest-django
        yield
        return
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    yield
    if not os.environ.get("STOCKDATA_KEEP_TEST_RUN_DIR"):
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_language_from_the_last_test():
    """A request leaves its language active in the thread (Django's LocaleMiddleware and
    ``/ja/``/``/en/`` addresses activate it; nothing deactivates it): each test starts from the
    default language, not from the last request of the test before."""
    yield
    from django.conf import settings

    if settings.configured:
        from django.utils import translation

        translation.deactivate()


# --- Celery worker ---------------------------------------------------------------------


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log: list[str]):
        self.proc = proc
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return "".join(self.log)


def start_worker(extra_env: dict | None = None, concurrency: int = 1, broker_url: str | None = None) -> WorkerProcess:
    """Start ``celery worker`` in its own process, on the test database and broker (or ``broker_url``)."""
    from django.conf import settings

    from stockdata.celery import app

    broker_url = broker_url or settings.CELERY_BROKER_URL
    if broker_url.startswith("filesystem://"):
        for sub in ("queue", "processed"):
            folder = Path(settings.CELERY_FILESYSTEM_BROKER_DIR) / sub
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
    else:
        with app.connection_for_write(broker_url) as conn:
            conn.default_channel.queue_purge("celery")
    env = (
        os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "stockdata.settings.test",
            "DATABASE_URL": _database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": broker_url,
            "STOCKDATA_TEST_RUN_DIR": str(settings.TEST_RUN_DIR),
            "PYTHONUNBUFFERED": "1",
        }
        | (extra_env or {})
    )
    proc = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "stockdata",
            "worker",
            "-l",
            "info",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test{free_port()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log: list[str] = []
    ready = threading.Event()

    def pump():
        for line in proc.stdout:
            log.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(60):
        proc.kill()
        raise RuntimeError("Celery worker did not start:\n" + "".join(log))
    return WorkerProcess(proc, log)


def stop_worker(worker: WorkerProcess) -> None:
    if worker.proc.poll() is None:
        worker.proc.terminate()
        try:
            worker.proc.wait(20)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait(5)


@pytest.fixture
def celery_worker(transactional_db, settings):
    """A real worker process; tasks queued during the test go through the broker to it."""
    from stockdata.celery import app

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = start_worker()
    try:
        yield worker
    finally:
        stop_worker(worker)
        app.conf.task_always_eager = True


def wait_until(predicate, timeout: float = 30, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


# --- S3 (moto's server mode) -----------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3-compatible server on 127.0.0.1; yields its endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


# --- Browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1280, "height": 900}}


ARTEFACTS = ROOT / "var" / "test-artefacts"


@pytest.fixture
def screenshot(request):
    """Save a PNG of a page as a test artefact: screenshot(page, "step-name")."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTEFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- Accounts used across apps ---------------------------------------------------------------


@pytest.fixture
def contributor():
    """A contributor account; a test module that needs another kind defines its own."""
    from stockdata.accounts.tests.factories import ContributorFactory

    return ContributorFactory()


@pytest.fixture
def api(contributor):
    """A DRF client signed in as ``contributor``."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(contributor)
    return client
