"""Health checks: is this process alive, and can it reach what it needs?

``liveness`` depends on nothing. ``readiness`` runs every check and says which failed:

* database: ``SELECT 1`` on the default connection;
* redis: ``PING`` on the Celery broker (and the cache, if it is a different Redis);
  skipped on the embedded default, whose broker is kombu's filesystem transport;
* storage: write, read back and delete a small probe object in the private storage;
* worker: the newest ``WorkerHeartbeat`` is younger than
  ``STOCKDATA_HEALTH_WORKER_MAX_AGE_SECONDS``. Celery beat queues a heartbeat task every
  ``STOCKDATA_HEALTH_HEARTBEAT_SECONDS``, so this proves beat, the broker and a worker all work.

A failed check reports the exception's class only; the full error goes to the log, so the
public endpoint gives away no host names or paths.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections
from django.utils import timezone

from stockdata.core.models import WorkerHeartbeat
from stockdata.storage import private_storage

logger = logging.getLogger(__name__)

OK, FAIL, SKIPPED = "ok", "fail", "skipped"
PROBE_PREFIX = "healthz"
REDIS_TIMEOUT_SECONDS = 2


class CheckFailed(Exception):
    """A check ran and found something wrong; the message is safe to show."""


def _failure(name: str, exc: BaseException) -> str:
    if isinstance(exc, CheckFailed):
        logger.warning("health check %s failed: %s", name, exc)
        return str(exc)
    logger.error("health check %s failed", name, exc_info=exc)
    return type(exc).__name__


def check_database() -> dict:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    if row is None or row[0] != 1:
        raise CheckFailed(f"SELECT 1 returned {row!r}")
    return {"status": OK}


def _redis_urls() -> list[str]:
    urls = []
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        urls.append(broker)
    cache = settings.CACHES.get("default", {})
    if cache.get("BACKEND", "").endswith("RedisCache"):
        locations = cache["LOCATION"]
        for url in [locations] if isinstance(locations, str) else locations:
            if url not in urls:
                urls.append(url)
    return urls


def check_redis() -> dict:
    import redis

    urls = _redis_urls()
    if not urls:
        scheme = settings.CELERY_BROKER_URL.split("://", 1)[0]
        return {"status": SKIPPED, "detail": f"{scheme} broker, no Redis configured"}
    for url in urls:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            if client.ping() is not True:
                raise CheckFailed("PING did not answer PONG")
        finally:
            client.close()
    return {"status": OK, "servers": len(urls)}


def check_storage() -> dict:
    storage = private_storage()
    payload = uuid.uuid4().hex.encode()
    name = storage.save(f"{PROBE_PREFIX}/probe-{payload.decode()}.txt", ContentFile(payload))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise CheckFailed("the probe object read back differs from what was written")
    finally:
        storage.delete(name)
    if storage.exists(name):
        raise CheckFailed("the probe object is still there after delete")
    return {"status": OK}


def worker_max_age() -> timedelta:
    return timedelta(seconds=settings.STOCKDATA_HEALTH_WORKER_MAX_AGE_SECONDS)


def check_worker() -> dict:
    newest = WorkerHeartbeat.objects.order_by("-created_at").first()
    limit = int(worker_max_age().total_seconds())
    if newest is None:
        raise CheckFailed("no worker heartbeat recorded yet (is celery beat running?)")
    age = int((timezone.now() - newest.created_at).total_seconds())
    if age > limit:
        raise CheckFailed(f"newest worker heartbeat is {age} s old (limit {limit} s)")
    return {"status": OK, "age_seconds": age, "hostname": newest.hostname}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "worker": check_worker,
}


def run_check(name: str) -> dict:
    started = time.perf_counter()
    try:
        result = CHECKS[name]()
    except Exception as exc:  # noqa: BLE001 - any failure of a check is the answer, not a crash
        result = {"status": FAIL, "detail": _failure(name, exc)}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def readiness() -> dict:
    """Every check, and ``status`` ``ok`` only if none failed (skipped counts as ok)."""
    checks = {name: run_check(name) for name in CHECKS}
    failed = any(result["status"] == FAIL for result in checks.values())
    return {"status": FAIL if failed else OK, "checks": checks}
