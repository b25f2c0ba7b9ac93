"""Structured logs: one JSON line per request with its request id; Celery task logs with the task id."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from conftest import start_worker, stop_worker, wait_until
from stockdata.accounts.tests.factories import BuyerFactory
from stockdata.core.request_log import RequestContextFilter
from stockdata.tests.production_env import COMPANY_ENV, MAIL_ENV

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def json_log():
    """The production console handler (JSON formatter + request context filter) on a buffer."""
    options = {key: value for key, value in settings.LOGGING["formatters"]["json"].items() if key != "()"}
    assert settings.LOGGING["formatters"]["json"]["()"] == "pythonjsonlogger.json.JsonFormatter"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def request_lines(lines):
    return [line for line in lines if line["logger"] == "stockdata.request"]


def test_a_request_logs_one_json_line_with_its_request_id(client, db, json_log):
    response = client.get("/healthz/")

    [line] = request_lines(json_log())
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert line["request_id"] == request_id
    assert line["method"] == "GET"
    assert line["path"] == "/healthz/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert line["level"] == "INFO"
    assert line["message"].startswith("GET /healthz/ 200 ")
    assert "time" in line


def test_a_sane_incoming_request_id_is_kept_and_a_bad_one_replaced(client, db, json_log):
    kept = client.get("/healthz/", HTTP_X_REQUEST_ID="lb-7f3a:01.2_x")
    replaced = client.get("/healthz/", HTTP_X_REQUEST_ID='bad id" with quotes')
    too_long = client.get("/healthz/", HTTP_X_REQUEST_ID="a" * 129)

    assert kept["X-Request-ID"] == "lb-7f3a:01.2_x"
    assert replaced["X-Request-ID"] != 'bad id" with quotes'
    assert len(replaced["X-Request-ID"]) == 32
    assert len(too_long["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in request_lines(json_log())]
    assert ids == [kept["X-Request-ID"], replaced["X-Request-ID"], too_long["X-Request-ID"]]


def test_every_log_line_during_a_request_carries_its_request_id_and_the_user(client, db, json_log):
    buyer = BuyerFactory()
    client.force_login(buyer)

    home = client.get("/")
    missing = client.get("/no-such-page/")

    lines = json_log()
    assert [(line["path"], line["status"], line["user_id"]) for line in request_lines(lines)] == [
        ("/", 200, buyer.pk),
        ("/no-such-page/", 404, buyer.pk),
    ]
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert [line["message"] for line in not_found] == ["Not Found: /no-such-page/"]
    assert not_found[0]["request_id"] == missing["X-Request-ID"] != home["X-Request-ID"]
    assert request_lines(lines)[1]["level"] == "WARNING"


def test_outside_a_request_the_request_id_is_a_dash(json_log):
    logging.getLogger("stockdata.test").warning("no request here")
    [line] = [line for line in json_log() if line["logger"] == "stockdata.test"]
    assert line["request_id"] == "-"
    assert "task_id" not in line


@pytest.mark.worker
def test_a_worker_with_log_format_json_logs_json_lines_with_the_task_id(transactional_db, settings):
    from stockdata.celery import app
    from stockdata.core.tasks import worker_heartbeat_record_task

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = start_worker(extra_env={"LOG_FORMAT": "json"})
    try:
        result = worker_heartbeat_record_task.delay()
        wait_until(lambda: "worker heartbeat recorded" in worker.output(), timeout=60, message="task log line")
    finally:
        stop_worker(worker)
        app.conf.task_always_eager = True

    records = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    [task_line] = [r for r in records if r["message"].startswith("worker heartbeat recorded")]
    assert task_line["task_id"] == result.id
    assert task_line["task_name"] == "stockdata.core.tasks.worker_heartbeat_record_task"
    assert task_line["logger"] == "stockdata.core.tasks"
    assert task_line["request_id"] == "-"
    assert any(r["message"].endswith(" ready.") for r in records)


def test_production_settings_log_json_lines_end_to_end(tmp_path):
    """The real production LOGGING config, in its own process: a request writes JSON to stderr."""
    script = (
        "import django; django.setup()\n"
        # As after collectstatic: WhiteNoise warns (not logs) about a missing static folder.
        "from pathlib import Path; from django.conf import settings\n"
        "Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)\n"
        "from django.test import Client\n"
        "response = Client().get('/healthz/', HTTP_X_REQUEST_ID='probe-42')\n"
        "print(response.status_code, response['X-Request-ID'])\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.production",
        "DJANGO_SECRET_KEY": "test-only-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "STOCKDATA_MEDIA_ROOT": str(tmp_path / "media"),
        **COMPANY_ENV,
        **MAIL_ENV,
    }
    env.pop("LOG_FORMAT", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "probe-42"]
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    [request_line] = [line for line in lines if line["logger"] == "stockdata.request"]
    assert request_line["request_id"] == "probe-42"
    assert request_line["path"] == "/healthz/"
    assert request_line["status"] == 200
