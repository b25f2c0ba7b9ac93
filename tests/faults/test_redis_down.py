"""Redis (the broker) goes away: uploads are kept and processed once it is back; a bundle being
built finishes once; a bundle paid for while it is down is built once it is back.

A private redis-server on a free port is killed and restarted; the shared one is never touched.
The worker is a real ``celery worker`` process on that Redis.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.models import Photo
from catalog.photos.services import photo_process_enqueue, photos_requeue_stalled
from catalog.tests.badfiles import good_jpeg
from conftest import wait_until
from licensing.delivery import services as bundles
from licensing.delivery.tests.test_bundles import factory_version, make_line
from licensing.models import Bundle, BundleBase
from stockdata.accounts.tests.factories import ContributorFactory

pytestmark = [pytest.mark.worker]


def upload(api, name: str, data: bytes):
    return api.post("/api/v1/photos/", {"file": SimpleUploadedFile(name, data)}, format="multipart")


def wait_on(worker, predicate, *, timeout: float, message: str):
    """wait_until, and on a timeout show what the worker said (its log is the evidence)."""
    try:
        return wait_until(predicate, timeout=timeout, message=message)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker log (last 60 lines) ---\n" + "".join(worker.log[-60:])) from None


def processed_by_worker(worker, task: str, *, since: int = 0) -> int:
    """How many times the worker ran ``task`` to completion (after log line ``since``)."""
    return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", "".join(worker.log[since:])))


def test_an_upload_while_redis_is_down_is_kept_pending_and_processed_once_when_it_is_back(
    private_redis, workers, caplog
):
    worker = workers.start(broker_url=private_redis.url)
    contributor = ContributorFactory()
    api = APIClient()
    api.force_authenticate(contributor)

    before = upload(api, "before.jpg", good_jpeg(31))
    assert before.status_code == 201, before.content
    wait_on(
        worker,
        lambda: (
            Photo.objects.filter(uuid=before.json()["id"], processing="ready").exists()
            and processed_by_worker(worker, "catalog.photos.tasks.photo_propose_boxes_task") == 1
        ),
        timeout=60,
        message="the photo uploaded while Redis was up to be processed, face boxes and all",
    )

    private_redis.kill()
    during = upload(api, "during.jpg", good_jpeg(32))
    # The upload is accepted and saved: the broker is needed for processing, not for keeping the photo.
    assert during.status_code == 201, during.content
    assert during.json()["processing"] == "pending"
    photo = Photo.objects.get(uuid=during.json()["id"])
    assert photo.processing == Photo.Processing.PENDING and default_storage.exists(photo.original.name)
    assert (
        f"photo {photo.pk} not queued for catalog.photos.tasks.photo_process_task (broker unreachable), "
        "the sweeper will queue it"
    ) in caplog.text
    # The contributor sees it waiting, not failed and not gone.
    listed = api.get("/api/v1/photos/", {"processing": "pending"}).json()["results"]
    assert [p["id"] for p in listed] == [str(photo.uuid)]
    # While Redis is down the sweeper cannot queue it either, and says so instead of crashing.
    assert photos_requeue_stalled(older_than_seconds=0) == 0
    assert Photo.objects.get(pk=photo.pk).processing == Photo.Processing.PENDING

    private_redis.start()  # same port, empty: whatever it held is gone
    mark = len(worker.log)
    assert photos_requeue_stalled(older_than_seconds=0) == 1  # only the stalled one; the first is ready
    # A late duplicate (the original message after all, or a second sweep) must not process it twice.
    assert photo_process_enqueue(photo.pk) is True
    wait_on(
        worker,
        lambda: processed_by_worker(worker, "catalog.photos.tasks.photo_process_task", since=mark) == 2,
        timeout=90,
        message="the worker to run both queued messages for the stalled photo",
    )
    photo.refresh_from_db()
    assert photo.processing == Photo.Processing.READY and photo.processing_error == ""
    assert photo.processing_attempts == 1  # processed once; the duplicate message found it ready
    assert photo.cleaned.name and photo.thumbnail.name and photo.preview.name
    assert Photo.objects.filter(contributor=contributor).count() == 2
    assert photos_requeue_stalled(older_than_seconds=0) == 0


def test_a_bundle_being_built_when_redis_dies_completes_once_and_the_worker_resumes_when_it_is_back(
    private_redis, workers
):
    worker = workers.start(broker_url=private_redis.url, extra_env={"STOCKDATA_BUNDLE_THROTTLE_SECONDS": "0.3"})
    version = factory_version(photos=12)
    line = make_line(version)
    bundles.bundle_request(line=line)  # autocommit: queued at once
    bundle = Bundle.objects.get(order_line=line)
    wait_until(
        lambda: BundleBase.objects.filter(
            version=version, files_done__gte=3, status=BundleBase.Status.BUILDING
        ).exists(),
        timeout=60,
        message="the base build to be under way",
    )

    private_redis.kill()
    wait_on(
        worker,
        lambda: "Connection to broker lost" in worker.output() or "Cannot connect to redis" in worker.output(),
        timeout=60,
        message="the worker to notice that Redis is gone",
    )
    # The build needs the database and storage, not the broker: it carries on and finishes.
    bundle = wait_on(
        worker,
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.READY).first(),
        timeout=90,
        message="the build to finish while Redis is down",
    )

    private_redis.start()
    # The worker is consuming again: a second buyer's bundle (same version) is built from the same base.
    second = make_line(version)
    bundles.bundle_request(line=second)
    wait_on(
        worker,
        lambda: Bundle.objects.filter(order_line=second, status=Bundle.Status.READY).exists(),
        timeout=90,
        message="the worker to take new work once Redis is back",
    )

    bundle.refresh_from_db()
    assert bundle.attempts == 1 and bundle.error == ""
    assert Bundle.objects.filter(order_line=line).count() == 1
    base = BundleBase.objects.get(version=version, edition=line.edition)
    assert base.attempts == 1 and base.status == BundleBase.Status.READY
    archive = zipfile.ZipFile(io.BytesIO(b"".join(bundles.bundle_read(bundle))))
    assert archive.testzip() is None
    assert len([n for n in archive.namelist() if "/images/" in n and n.endswith(".jpg")]) == 12
    assert processed_by_worker(worker, "licensing.delivery.tasks.bundle_build_task") == 2


def test_a_bundle_paid_for_while_redis_is_down_waits_and_is_built_once_when_it_is_back(private_redis, workers, caplog):
    worker = workers.start(broker_url=private_redis.url)
    version = factory_version(photos=3)
    line = make_line(version)

    private_redis.kill()
    bundles.bundle_request(line=line)  # what fulfilment does once the payment is recorded
    bundle = Bundle.objects.get(order_line=line)
    assert bundle.status == Bundle.Status.PENDING
    assert f"bundle {bundle.pk} not queued (broker unreachable)" in caplog.text

    private_redis.start()
    assert bundles.bundles_requeue_stalled(older_than_seconds=0) == 1
    assert bundles.bundle_build_enqueue(bundle.pk) is True  # a duplicate message, as a second sweep would send
    wait_on(
        worker,
        lambda: processed_by_worker(worker, "licensing.delivery.tasks.bundle_build_task") == 2,
        timeout=90,
        message="the worker to run both messages",
    )
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.READY and bundle.attempts == 1
    assert Bundle.objects.filter(order_line=line).count() == 1
    assert bundles.bundles_requeue_stalled(older_than_seconds=0) == 0
