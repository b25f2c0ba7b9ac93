"""Fixtures for the fault tests: a private Redis we may kill, workers on it, and the switches
that point this process's Celery app at it. The shared Redis and PostgreSQL are never touched."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import free_port, start_worker, stop_worker, wait_for_port

WORKER_SETTINGS = "tests.faults.worker_settings"


class PrivateRedis:
    """``redis-server`` on a free port, no persistence: killing it loses what it held, as a crash would."""

    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=15)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install -y redis-server); the Redis fault tests need it")
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


def _use_broker(app, url: str) -> None:
    """Point this process's Celery app at ``url``: new connection and producer pools."""
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"visibility_timeout": 2 * 60 * 60}
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def workers(transactional_db, settings):
    """Start real workers with ``workers.start(...)``; this process stops running tasks eagerly."""
    from stockdata.celery import app

    previous = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    started = []

    class Workers:
        def start(self, *, broker_url: str | None = None, extra_env: dict | None = None):
            if broker_url:
                _use_broker(app, broker_url)
            worker = start_worker(
                extra_env={"DJANGO_SETTINGS_MODULE": WORKER_SETTINGS} | (extra_env or {}), broker_url=broker_url
            )
            started.append(worker)
            return worker

    try:
        yield Workers()
    finally:
        for worker in started:
            stop_worker(worker)
        app.conf.task_always_eager = True
        app.conf.broker_url, app.conf.broker_transport_options = previous
        app._pool = None
        app.amqp._producer_pool = None
