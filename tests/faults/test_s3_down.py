"""The S3 server goes away: uploads get a clear 503 and leave nothing behind; a bundle build
fails visibly, is retried by Celery's policy, and is built once when storage is back.

moto's S3 server (the session ``s3_server``) sits behind a TCP proxy that the test cuts
(connections refused, open ones reset) and restores; moto keeps its objects meanwhile.
"""

from __future__ import annotations

import hashlib
import html
import io
import urllib.request
import uuid
import zipfile
from urllib.parse import urlparse

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import Photo
from catalog.tests.badfiles import good_jpeg
from conftest import free_port, wait_until
from licensing.delivery import services as bundles
from licensing.delivery.tasks import MAX_RETRIES
from licensing.delivery.tests.test_bundles import factory_version, login, make_line
from licensing.models import Bundle, BundleBase
from stockdata.accounts.tests.factories import ContributorFactory
from tests.faults.s3 import TcpProxy, s3_storages

pytestmark = [pytest.mark.s3]

CREDS = dict(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="ap-northeast-1")
UNAVAILABLE = (
    "Photo storage is unavailable right now, so this file was not saved. Please upload it again in a few minutes."
)


@pytest.fixture
def s3(s3_server, settings):
    """A fresh bucket, this process's storage on it through a proxy; yields (proxy, boto3 client, bucket)."""
    bucket = f"faults-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=s3_server, **CREDS)
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    proxy = TcpProxy(urlparse(s3_server).port, free_port())
    proxy.start()
    settings.STORAGES = s3_storages(proxy.url, bucket, settings.STORAGES)
    assert default_storage.__class__.__name__ == "S3Storage"
    try:
        yield proxy, client, bucket
    finally:
        proxy.stop()


def keys(client, bucket: str, prefix: str = "") -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}


@pytest.mark.django_db
def test_an_upload_while_s3_is_down_gets_a_clear_503_and_leaves_no_row_and_no_object(
    s3, django_capture_on_commit_callbacks
):
    proxy, client, bucket = s3
    contributor = ContributorFactory()
    api = APIClient()
    api.force_authenticate(contributor)
    data = good_jpeg(41)

    proxy.stop()
    response = api.post("/api/v1/photos/", {"file": SimpleUploadedFile("p.jpg", data)}, format="multipart")
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "storage_unavailable", "message": UNAVAILABLE, "fields": {"file": [UNAVAILABLE]}}
    }
    batch = api.post("/api/v1/photos/batch/", {"files": [SimpleUploadedFile("q.jpg", data)]}, format="multipart")
    assert batch.status_code == 200
    assert batch.json() == [
        {"file": "q.jpg", "ok": False, "error": {"code": "storage_unavailable", "message": UNAVAILABLE}}
    ]
    # The upload page without JavaScript says the same, for that file.
    page = APIClient()
    page.force_login(contributor)
    form = page.post(reverse("contributors:upload"), {"files": [SimpleUploadedFile("r.jpg", data)]}, format="multipart")
    assert form.status_code == 200
    assert UNAVAILABLE in html.unescape(form.content.decode())
    assert Photo.objects.count() == 0
    assert keys(client, bucket) == set()

    proxy.start()
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post("/api/v1/photos/", {"file": SimpleUploadedFile("p.jpg", data)}, format="multipart")
    assert again.status_code == 201, again.content  # not "already uploaded": the refused try left nothing
    photo = Photo.objects.get()
    assert photo.processing == Photo.Processing.READY, photo.processing_error
    # Not approved yet: the thumbnail and the preview stay private too, until approval.
    assert keys(client, bucket, "private/") == {
        f"private/{photo.original.name}",
        f"private/{photo.cleaned.name}",
        f"private/{photo.thumbnail.name}",
        f"private/{photo.preview.name}",
    }


@pytest.mark.worker
def test_a_bundle_build_cut_off_from_s3_fails_visibly_after_its_retries_and_is_built_once_when_it_is_back(
    s3, workers, client
):
    proxy, s3_client, bucket = s3
    version = factory_version(photos=10)
    line = make_line(version)
    workers.start(
        extra_env={
            "FAULTS_S3_ENDPOINT": proxy.url,
            "FAULTS_S3_BUCKET": bucket,
            "STOCKDATA_BUNDLE_THROTTLE_SECONDS": "0.3",
        }
    )
    bundles.bundle_request(line=line)  # autocommit: queued at once
    bundle = Bundle.objects.get(order_line=line)
    wait_until(
        lambda: BundleBase.objects.filter(
            version=version, files_done__gte=2, status=BundleBase.Status.BUILDING
        ).exists(),
        timeout=60,
        message="the base build to be under way",
    )
    proxy.stop()

    login(client, line.order.placed_by)
    status_url = reverse("licensing:bundle_status", args=[line.order.uuid, line.pk])
    wait_until(
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.RETRYING).exists(),
        timeout=60,
        message="the first failure to be recorded",
    )
    assert "Failed, retrying" in client.get(status_url).content.decode()

    # Storage stays down: every retry fails, then the bundle is failed for good, and says so.
    bundle = wait_until(
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.FAILED).first(),
        timeout=120,
        message="the retries to run out",
    )
    assert bundle.attempts == MAX_RETRIES + 1
    assert bundle.error.startswith("EndpointConnectionError: Could not connect to the endpoint URL")
    assert bundle.archive == ""
    page = client.get(status_url).content.decode()
    assert "Failed, our team has been told. We will rebuild it and email you." in page
    assert 'data-testid="bundle-download"' not in page
    assert client.post(reverse("licensing:bundle_download", args=[line.order.uuid, line.pk])).status_code == 409

    proxy.start()
    bundles.bundle_rebuild(bundle=bundle)  # what staff's "Rebuild" does; queued at once
    bundle = wait_until(
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.READY).first(),
        timeout=90,
        message="the rebuilt bundle",
    )
    assert bundle.attempts == 1 and bundle.error == ""
    base = BundleBase.objects.get(version=version, edition=line.edition)
    assert base.status == BundleBase.Status.READY and base.error == ""
    assert Bundle.objects.filter(order_line=line).count() == 1
    # One base archive, one buyer archive: no half-written object of a failed attempt is left.
    assert keys(s3_client, bucket, "private/bundles/") == {f"private/{base.archive}", f"private/{bundle.archive}"}

    response = client.post(reverse("licensing:bundle_download", args=[line.order.uuid, line.pk]))
    assert response.status_code == 302
    with urllib.request.urlopen(response["Location"]) as fetched:
        data = fetched.read()
    assert hashlib.sha256(data).hexdigest() == bundle.sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert len([n for n in archive.namelist() if "/images/" in n and n.endswith(".jpg")]) == 10
