import uuid

import pytest

from conftest import wait_until
from stockdata.core.models import WorkerHeartbeat
from stockdata.core.tasks import worker_heartbeat_record_task

pytestmark = pytest.mark.worker


def test_a_real_worker_process_picks_up_a_task_and_writes_its_result(celery_worker):
    token = uuid.uuid4().hex
    worker_heartbeat_record_task.delay(token)
    beat = wait_until(lambda: WorkerHeartbeat.objects.filter(token=token).first(), timeout=60, message="heartbeat row")
    assert beat.token == token
    # Written by the worker process, not by this one.
    assert "Task stockdata.core.tasks.worker_heartbeat_record_task[" in celery_worker.output()
    assert "succeeded" in celery_worker.output()


def test_celery_is_configured_for_reliability():
    from stockdata.celery import app

    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit == 30 * 60
    assert app.conf.worker_prefetch_multiplier == 1
    assert "stockdata.core.tasks.worker_heartbeat_record_task" in app.tasks
