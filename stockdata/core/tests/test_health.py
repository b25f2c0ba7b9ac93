"""The health endpoints against the real database, storage, broker and worker."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from conftest import free_port, wait_until
from stockdata.core.models import WorkerHeartbeat
from stockdata.core.tasks import worker_heartbeat_record_task
from stockdata.storage import private_storage


def expected_redis_status() -> str:
    return "ok" if settings.CELERY_BROKER_URL.startswith("redis://") else "skipped"


def probe_files() -> list[str]:
    try:
        return private_storage().listdir("healthz")[1]
    except FileNotFoundError:
        return []


def test_liveness_answers_ok_without_login_and_without_touching_the_database(client):
    # No db fixture: pytest-django refuses any query, so a database access here would fail.
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz/").status_code == 405
    assert client.post("/healthz/ready/").status_code == 405


@pytest.mark.worker
def test_readiness_is_ok_with_a_real_worker_real_storage_and_the_database(client, celery_worker):
    # What celery beat does every STOCKDATA_HEALTH_HEARTBEAT_SECONDS: a heartbeat without a token.
    result = worker_heartbeat_record_task.delay()
    beat = wait_until(lambda: WorkerHeartbeat.objects.filter(token=result.id).first(), timeout=60, message="heartbeat")

    response = client.get("/healthz/ready/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "storage", "worker"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == expected_redis_status()
    if expected_redis_status() == "skipped":
        assert body["checks"]["redis"]["detail"] == "filesystem broker, no Redis configured"
    assert body["checks"]["worker"]["status"] == "ok"
    assert body["checks"]["worker"]["hostname"] == beat.hostname
    assert body["checks"]["worker"]["age_seconds"] <= settings.STOCKDATA_HEALTH_WORKER_MAX_AGE_SECONDS
    # The storage probe cleaned up after itself.
    assert probe_files() == []


def test_a_stale_heartbeat_fails_the_worker_check_only(client, db):
    WorkerHeartbeat.objects.create(token="old", hostname="worker-1")
    too_old = timezone.now() - timedelta(seconds=settings.STOCKDATA_HEALTH_WORKER_MAX_AGE_SECONDS + 30)
    WorkerHeartbeat.objects.filter(token="old").update(created_at=too_old)

    response = client.get("/healthz/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    limit = settings.STOCKDATA_HEALTH_WORKER_MAX_AGE_SECONDS
    assert body["checks"]["worker"]["status"] == "fail"
    assert body["checks"]["worker"]["detail"].startswith("newest worker heartbeat is ")
    assert body["checks"]["worker"]["detail"].endswith(f" s old (limit {limit} s)")
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"]["status"] == "ok"


def test_no_heartbeat_at_all_fails_the_worker_check(client, db):
    body = client.get("/healthz/ready/").json()
    assert body["checks"]["worker"] == {
        "status": "fail",
        "detail": "no worker heartbeat recorded yet (is celery beat running?)",
        "duration_ms": body["checks"]["worker"]["duration_ms"],
    }


def test_the_newest_heartbeat_counts_and_old_ones_are_pruned(db):
    WorkerHeartbeat.objects.create(token="ancient", hostname="w")
    WorkerHeartbeat.objects.filter(token="ancient").update(created_at=timezone.now() - timedelta(days=2))
    result = worker_heartbeat_record_task.delay()  # eager in tests: runs here
    assert list(WorkerHeartbeat.objects.values_list("token", flat=True)) == [result.id]


def test_redis_on_a_closed_port_fails_the_redis_check(client, db, settings):
    WorkerHeartbeat.objects.create(token="fresh", hostname="worker-1")
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/11"

    response = client.get("/healthz/ready/")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["status"] == "fail"
    assert checks["redis"]["detail"] == "ConnectionError"
    assert [name for name, check in checks.items() if check["status"] == "fail"] == ["redis"]


def test_unwritable_private_storage_fails_the_storage_check(client, db, settings, tmp_path):
    WorkerHeartbeat.objects.create(token="fresh", hostname="worker-1")
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"a file where the storage folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": blocker / "private"}},
    }

    response = client.get("/healthz/ready/")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["storage"]["status"] == "fail"
    assert checks["storage"]["detail"] in ("NotADirectoryError", "FileExistsError")
    assert [name for name, check in checks.items() if check["status"] == "fail"] == ["storage"]


@pytest.fixture
def database_down(transactional_db):
    """Point the default connection at a database that cannot be opened, for real."""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-folder/stockdata.sqlite3"
    else:
        connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


def test_an_unreachable_database_fails_readiness_with_the_database_check_named(client, database_down):
    response = client.get("/healthz/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["detail"] == "OperationalError"
    # The worker check reads its heartbeat from the same database.
    assert body["checks"]["worker"]["status"] == "fail"
    assert body["checks"]["storage"]["status"] == "ok"
    # Liveness still answers: it depends on nothing.
    assert client.get("/healthz/").status_code == 200


@pytest.mark.s3
def test_the_storage_check_works_on_s3_and_leaves_no_probe_behind(client, db, settings, s3_server):
    import boto3

    from tests.faults.s3 import s3_storages

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="ap-northeast-1",
    )
    bucket = "stockdata-health"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    settings.STORAGES = s3_storages(s3_server, bucket, settings.STORAGES)
    WorkerHeartbeat.objects.create(token="fresh", hostname="worker-1")

    response = client.get("/healthz/ready/")

    assert response.status_code == 200, response.content
    assert response.json()["checks"]["storage"]["status"] == "ok"
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
