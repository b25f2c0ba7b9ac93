"""Bundles built by Celery and delivered by signed links.

Real parts: photos go through the real upload pipeline, archives through the real storage
(local disk, or moto's S3 server), the kill test through a real Celery worker process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, timedelta
from email import message_from_string
from email.header import decode_header, make_header
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from catalog.curation.services import version_file_name
from catalog.models import DatasetVersion, DatasetVersionItem
from catalog.photos.services import photo_process, photo_upload
from catalog.tests.factories import DatasetFactory, build_version
from conftest import start_worker, stop_worker, wait_until
from licensing.delivery import services as bundles
from licensing.delivery.archive import BaseIndex
from licensing.models import (
    Bundle,
    BundleBase,
    ConsentWithdrawal,
    DownloadEvent,
    DownloadLink,
    LicenceTerms,
    Order,
    OrderLine,
    WithdrawalNotice,
)
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, ContributorFactory, StaffFactory
from stockdata.demo.synthetic import make_photo

# --- Factories ---------------------------------------------------------------------------------

_numbers = iter(range(1, 10**6))


def licence_terms() -> LicenceTerms:
    terms = LicenceTerms.objects.order_by("pk").first()
    if terms is None:
        terms = LicenceTerms.objects.create(
            code="sd-test-1.0",
            title_en="Stockdata ML Training Licence 1.0",
            title_ja="機械学習ライセンス 1.0",
            body_en="You may train models.",
            body_ja="モデルの学習に利用できます。",
            effective_from=date(2026, 1, 1),
        )
    return terms


def make_line(version: DatasetVersion, *, edition: str = "annotated", buyer=None) -> OrderLine:
    """A paid order with one line, made directly: these tests are about the bundle, not the checkout."""
    buyer = buyer or BuyerFactory()
    number = f"SD-2026-{next(_numbers):05d}"
    order = Order.objects.create(
        number=number,
        organisation=buyer.organisation,
        placed_by=buyer,
        status=Order.Status.PAID,
        idempotency_key=uuid.uuid4().hex,
        payment_method=Order.PaymentMethod.CARD,
        billing_name=buyer.organisation.billing_name,
        billing_address="東京都港区1-2-3",
        billing_country="JP",
        intended_use="research",
        intended_use_detail="Face detection research.",
        licence=licence_terms(),
        licence_accepted_at=timezone.now(),
        total=165_000,
        tax=15_000,
        paid_at=timezone.now(),
    )
    return OrderLine.objects.create(
        order=order,
        dataset=version.dataset,
        version=version,
        edition=edition,
        title=f"{version.dataset.title_en} v{version.number} ({edition})",
        price=165_000,
    )


def _tiny_jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (seed * 37 % 255, 90, 160)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def store_cleaned(version: DatasetVersion) -> None:
    """Factory versions have file names only: give every photo a real cleaned copy in private storage."""
    for item in version.items.select_related("photo"):
        photo = item.photo
        photo.cleaned.name = default_storage.save(f"cleaned/test/{photo.uuid}.jpg", ContentFile(_tiny_jpeg(item.pk)))
        photo.save(update_fields=["cleaned"])


def grant_consent(photos) -> dict[int, list]:
    """Every person in these photos gets their own approved release granting every scope, so the
    photos hold the dataset's required scopes by the consent rule (bundles leave out photos that do not).
    Returns the releases per photo id, in subject order; give it to ``build_version(consent=...)`` so
    the frozen snapshot names them, as freezing does."""
    from catalog.models import PhotoSubject
    from licensing.consent import services as licensing_services
    from licensing.consent.tests.factories import attach, make_release

    # Transactional tests flush the tables, the scopes of the data migration with them.
    licensing_services.consent_scopes_ensure()
    reviewer = StaffFactory()
    releases: dict[int, list] = {}
    for photo in photos:
        if photo.no_people:
            continue
        if not photo.subjects.exists():
            PhotoSubject.objects.create(photo=photo, position=1, age_band="30s")
        for subject in photo.subjects.order_by("position"):
            release = make_release(photo.contributor, approve_by=reviewer)
            attach(release, photo, subject.position)
            releases.setdefault(photo.pk, []).append(release)
    return releases


def factory_version(*, photos: int, annotated: bool = True) -> DatasetVersion:
    dataset = DatasetFactory(version=False, slug=f"faces-{uuid.uuid4().hex[:6]}")
    version = build_version(dataset, photos=photos, annotated=annotated, seed=photos, consent=grant_consent)
    store_cleaned(version)
    return version


BOXES = [
    [
        {"label": "face", "x": 600, "y": 200, "w": 400, "h": 500, "confirmed": True},
        {"label": "mask", "x": 700, "y": 480, "w": 200, "h": 150, "confirmed": True},
    ],
    [{"label": "face", "x": 0, "y": 0, "w": 300, "h": 360, "confirmed": True}],
    [{"label": "face", "x": 1500, "y": 900, "w": 300, "h": 300, "confirmed": True}],  # touches the corner
]


@pytest.fixture
def real_version(db):
    """Three photos uploaded with GPS EXIF and processed by the real pipeline, frozen as an annotated version."""
    contributor = ContributorFactory()
    dataset = DatasetFactory(version=False, slug="faces-masks", title_en="Japanese faces with masks")
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=1,
        photo_count=3,
        annotated=True,
        content_hash="ab" * 32,
        frozen_by=StaffFactory(),
    )
    photos = []
    for index in range(3):
        synthetic = make_photo(700 + index, width=1800, height=1200, gps=True)
        photo = photo_upload(contributor=contributor, file=SimpleUploadedFile(f"IMG_{index}.jpg", synthetic.data))
        photo = photo_process(photo_id=photo.pk)
        assert photo.cleaned.name
        photos.append(photo)
        DatasetVersionItem.objects.create(
            version=version,
            photo=photo,
            contributor=contributor,
            position=index + 1,
            file_name=version_file_name(photo),
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
            tags=["face", "mask"],
            attributes={"lighting": "daylight"},
            subjects=[
                {
                    "position": 1,
                    "subject_id": f"S-TEST{index:04d}",
                    "release_id": 4242,
                    "scopes": ["ai_training"],
                    "age_band": "30s",
                    "gender": "female",
                    "mask": index == 0,
                }
            ],
            scopes=["ai_training", "publication"],
            boxes=BOXES[index],
        )
    grant_consent(photos)
    return version


def build(line: OrderLine, django_capture_on_commit_callbacks) -> Bundle:
    """Request the bundle as fulfilment does; the eager task runs when the order commits."""
    with django_capture_on_commit_callbacks(execute=True):
        bundles.bundle_request(line=line)
    return Bundle.objects.get(order_line=line)


def download(client, line: OrderLine) -> bytes:
    response = client.post(reverse("licensing:bundle_download", args=[line.order.uuid, line.pk]))
    assert response.status_code == 302, response.content[:500]
    file_response = client.get(response["Location"])
    assert file_response.status_code == 200
    assert file_response["Content-Disposition"].startswith("attachment;")
    return b"".join(file_response.streaming_content)


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


# --- The bundle's contents ----------------------------------------------------------------------


@pytest.mark.django_db
def test_bundle_of_an_annotated_version_has_exactly_the_promised_files_and_checks_out(
    real_version, client, tmp_path, django_capture_on_commit_callbacks, mailoutbox
):
    line = make_line(real_version, edition="annotated")
    bundle = build(line, django_capture_on_commit_callbacks)
    assert bundle.status == Bundle.Status.READY and bundle.attempts == 1
    assert bundle.file_name == f"faces-masks-v1-annotated-{line.order.number}.zip"

    data = download(login(client, line.order.placed_by), line)
    assert hashlib.sha256(data).hexdigest() == bundle.sha256 and len(data) == bundle.byte_size
    names = sorted(version_file_name(i.photo) for i in real_version.items.all())
    stems = [n.removesuffix(".jpg") for n in names]
    root = "faces-masks-v1-annotated"
    expected = sorted(
        [
            f"{root}/{p}"
            for p in (
                "LICENSE.txt",
                "MANIFEST.sha256",
                "README.txt",
                "croissant.json",
                "image_metadata.csv",
                "images/metadata.jsonl",
                "annotations/coco.json",
                "data.yaml",
                # Splits by subject (issue 16).
                "annotations/coco_train.json",
                "annotations/coco_validation.json",
                "annotations/coco_test.json",
                "train.txt",
                "val.txt",
                "test.txt",
                "annotations/voc/ImageSets/Main/train.txt",
                "annotations/voc/ImageSets/Main/val.txt",
                "annotations/voc/ImageSets/Main/test.txt",
            )
        ]
        + [f"{root}/images/{n}" for n in names]
        + [f"{root}/labels/{s}.txt" for s in stems]
        + [f"{root}/annotations/voc/{s}.xml" for s in stems]
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == expected

    # unzip + sha256sum -c, the way a buyer checks it.
    (tmp_path / "b.zip").write_bytes(data)
    subprocess.run(["unzip", "-q", "b.zip"], cwd=tmp_path, check=True)
    check = subprocess.run(
        ["sha256sum", "-c", "MANIFEST.sha256"], cwd=tmp_path / root, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(expected) - 1

    # No image carries GPS EXIF; each is the cleaned copy, byte for byte.
    for item in real_version.items.select_related("photo"):
        raw = archive.read(f"{root}/images/{item.file_name}")
        with default_storage.open(item.photo.cleaned.name, "rb") as fh:
            assert raw == fh.read()
        image = Image.open(io.BytesIO(raw))
        assert dict(image.getexif().get_ifd(0x8825)) == {}
        assert image.size == (1800, 1200)

    # COCO, YOLO and VOC describe the same boxes.
    coco = json.loads(archive.read(f"{root}/annotations/coco.json"))
    images = {i["id"]: i["file_name"] for i in coco["images"]}
    categories = {c["id"]: c["name"] for c in coco["categories"]}
    by_file: dict[str, list] = {}
    for ann in coco["annotations"]:
        by_file.setdefault(images[ann["image_id"]], []).append((categories[ann["category_id"]], *ann["bbox"]))
    for item in real_version.items.all():
        want = sorted((b["label"], b["x"], b["y"], b["w"], b["h"]) for b in item.boxes)
        assert sorted(by_file[item.file_name]) == want
        stem = item.file_name.removesuffix(".jpg")
        yolo = []
        for row in archive.read(f"{root}/labels/{stem}.txt").decode().split("\n"):
            if row.strip():
                cls, cx, cy, w, h = row.split()
                w, h = float(w) * 1800, float(h) * 1200
                yolo.append(
                    (
                        {0: "face", 1: "mask"}[int(cls)],
                        round(float(cx) * 1800 - w / 2),
                        round(float(cy) * 1200 - h / 2),
                        round(w),
                        round(h),
                    )
                )
        assert sorted(yolo) == want
        voc = ET.fromstring(archive.read(f"{root}/annotations/voc/{stem}.xml"))
        got = []
        for obj in voc.iter("object"):
            bb = obj.find("bndbox")
            xmin, ymin, xmax, ymax = (int(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))
            got.append((obj.find("name").text, xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1))
        assert sorted(got) == want

    # LICENSE.txt names the buyer and the order; nothing identifies a subject or a release.
    licence = archive.read(f"{root}/LICENSE.txt").decode()
    assert f"Licensee:      {line.order.organisation.name}" in licence
    assert f"Order:         {line.order.number}" in licence
    assert "Version:       1" in licence and "Edition:       annotated" in licence
    assert "You may train models." in licence or licence_terms().body_en in licence
    metadata = archive.read(f"{root}/images/metadata.jsonl").decode()
    assert "S-TEST0000" in metadata and "release_id" not in metadata and "4242" not in metadata
    assert not any(n.lower().endswith(".pdf") for n in archive.namelist())

    assert [m.to for m in mailoutbox] == [[line.order.placed_by.email]]
    assert line.order.number in mailoutbox[0].body


@pytest.mark.django_db
def test_unedited_edition_has_no_annotations(django_capture_on_commit_callbacks, client):
    version = factory_version(photos=2)
    line = make_line(version, edition="unedited")
    bundle = build(line, django_capture_on_commit_callbacks)
    names = zipfile.ZipFile(io.BytesIO(download(login(client, line.order.placed_by), line))).namelist()
    assert (
        bundle.files_total == len(names) == 2 + 6
    )  # 2 images + README, croissant, 2 metadata tables, LICENSE, MANIFEST
    assert not any("/annotations/" in n or "/labels/" in n or n.endswith("data.yaml") for n in names)


# --- The second buyer ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_buyer_of_the_same_edition_reuses_the_base_and_gets_their_own_licence(
    django_capture_on_commit_callbacks, client
):
    version = factory_version(photos=4)
    first = build(make_line(version), django_capture_on_commit_callbacks)
    base = BundleBase.objects.get(version=version, edition="annotated")
    base_archive, base_finished = base.archive, base.finished_at

    line = make_line(version)
    started = time.monotonic()
    second = build(line, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 5
    base.refresh_from_db()
    assert base.attempts == 1 and base.archive == base_archive and base.finished_at == base_finished
    assert first.base_id == second.base_id == base.pk
    assert BundleBase.objects.count() == 1
    assert second.archive != first.archive and second.sha256 != first.sha256
    # The checksum each buyer is shown is their file's; both start with the base's bytes, and
    # only each buyer's tail is stored for them.
    index = BaseIndex.from_json(base.index)
    with default_storage.open(base.archive, "rb") as fh:
        prefix = fh.read(index.local_end)
    for bundle in (first, second):
        data = b"".join(bundles.bundle_read(bundle))
        assert hashlib.sha256(data).hexdigest() == bundle.sha256 and len(data) == bundle.byte_size
        assert data[: index.local_end] == prefix
        assert bundle.base_prefix == index.local_end
        assert default_storage.size(bundle.archive) == bundle.byte_size - index.local_end < 16 * 1024

    def licence(bundle: Bundle) -> str:
        archive = zipfile.ZipFile(io.BytesIO(b"".join(bundles.bundle_read(bundle))))
        return next(archive.read(n).decode() for n in archive.namelist() if n.endswith("/LICENSE.txt"))

    assert first.order_line.order.number in licence(first)
    assert line.order.number in licence(second) and line.order.organisation.name in licence(second)
    assert licence(first) != licence(second)


@pytest.mark.django_db
def test_personal_tail_served_archive_is_byte_identical_to_the_one_pass_writer(
    django_capture_on_commit_callbacks, client
):
    """A buyer's stored bytes are only their tail; base prefix + tail, as downloaded, is exactly the
    archive the one-pass writer (``archive.build_bundle``) makes for the same inputs, and the
    SHA-256 shown is resumed from the base's saved prefix state, not re-read."""
    from licensing.delivery import archive as core

    version = factory_version(photos=5)
    first = build(make_line(version), django_capture_on_commit_callbacks)
    base = BundleBase.objects.get(pk=first.base_id)
    assert base.prefix_sha256_state["length"] == BaseIndex.from_json(base.index).local_end
    line = make_line(version)
    bundles._prefix_hashes.clear()  # as in another worker process: only the saved state is there
    bundle = build(line, django_capture_on_commit_callbacks)

    served = download(login(client, line.order.placed_by), line)
    out = io.BytesIO()
    info = bundles.version_info(version, excluded=base.excluded)
    core.build_bundle(
        out,
        bundles.version_items(version, edition=line.edition, excluded=base.excluded),
        info,
        edition=line.edition,
        open_image=bundles._image_opener(version),
        license=bundles.licence_text(line),
    )
    assert served == out.getvalue()
    assert hashlib.sha256(served).hexdigest() == bundle.sha256 and len(served) == bundle.byte_size
    tail_size = default_storage.size(bundle.archive)
    assert tail_size == len(served) - bundle.base_prefix and tail_size < 16 * 1024
    with default_storage.open(base.archive, "rb") as fh:
        assert served[: bundle.base_prefix] == fh.read(bundle.base_prefix)
    assert zipfile.ZipFile(io.BytesIO(served)).testzip() is None


@pytest.mark.django_db
def test_a_ready_bundle_is_left_alone_when_its_task_runs_again(django_capture_on_commit_callbacks):
    version = factory_version(photos=2)
    bundle = build(make_line(version), django_capture_on_commit_callbacks)
    again = bundles.bundle_build(bundle_id=bundle.pk)
    assert (again.attempts, again.archive, again.sha256) == (1, bundle.archive, bundle.sha256)


# --- Who may download ---------------------------------------------------------------------------


def first_person(version: DatasetVersion):
    """The version's first item and the release its frozen snapshot names for the first person
    in it (each person has their own, from ``grant_consent``)."""
    from licensing.models import ModelRelease

    item = version.items.order_by("position").first()
    return item, ModelRelease.objects.get(pk=item.subjects[0]["release_id"])


@pytest.fixture
def ready_line(db, django_capture_on_commit_callbacks):
    version = factory_version(photos=2)
    line = make_line(version)
    build(line, django_capture_on_commit_callbacks)
    return OrderLine.objects.get(pk=line.pk)  # bundle_request cached the pending bundle on the instance


@pytest.mark.django_db
def test_only_members_of_the_buying_organisation_reach_the_download(client, ready_line):
    url = reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])
    status_url = reverse("licensing:bundle_status", args=[ready_line.order.uuid, ready_line.pk])
    assert client.post(url).status_code == 404  # anonymous
    assert client.get(status_url).status_code == 404
    for outsider in (BuyerFactory(), ContributorFactory(), StaffFactory()):
        login(client, outsider)
        assert client.post(url).status_code == 404
        assert client.get(status_url).status_code == 404
        client.logout()
    # A line of another order under this order's uuid is not found either.
    other = make_line(ready_line.version)
    login(client, ready_line.order.placed_by)
    assert client.post(reverse("licensing:bundle_download", args=[ready_line.order.uuid, other.pk])).status_code == 404
    # A colleague in the same organisation may.
    colleague = BuyerFactory(organisation=ready_line.order.organisation)
    login(client, colleague)
    assert client.post(url).status_code == 302
    assert DownloadLink.objects.get(bundle=ready_line.bundle).user == colleague


@pytest.mark.django_db
def test_download_binding_every_link_issue_and_every_fetch_is_logged(client, ready_line):
    buyer = ready_line.order.placed_by
    login(client, buyer)
    url = reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])
    first = client.post(url, REMOTE_ADDR="203.0.113.7")["Location"]
    second = client.post(url, REMOTE_ADDR="203.0.113.8")["Location"]
    assert first != second
    links = list(DownloadLink.objects.filter(bundle=ready_line.bundle).order_by("pk").values_list("user", "ip", "kind"))
    assert links == [(buyer.pk, "203.0.113.7", "local"), (buyer.pk, "203.0.113.8", "local")]
    assert not DownloadEvent.objects.exists()  # a link is not a download
    assert client.get(first, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get(first, REMOTE_ADDR="203.0.113.9").status_code == 200  # fetched again from byte 0: counted
    events = list(DownloadEvent.objects.order_by("pk").values_list("user", "ip", "resumed", "link__ip"))
    assert events == [(buyer.pk, "203.0.113.9", False, "203.0.113.7")] * 2
    assert bundles.downloads_counted(ready_line.bundle) == 2
    assert (
        client.get(reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])).status_code == 405
    )


@pytest.mark.django_db
def test_download_binding_the_link_works_only_for_the_member_who_asked(client, ready_line):
    """Replay: a download link worked without a session, for anyone, for 10 minutes."""
    buyer = ready_line.order.placed_by
    login(client, buyer)
    link = client.post(reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk]))["Location"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    selector, secret = token.split(".")
    # No order UUID, no storage path, nothing but two random strings.
    assert str(ready_line.order.uuid) not in link and ready_line.bundle.archive not in link
    assert ready_line.bundle.file_name not in link and len(selector) == 32 and len(secret) >= 40
    stored = DownloadLink.objects.get(selector=selector)
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64

    from django.test import Client

    anonymous = Client()
    assert anonymous.get(link).status_code == 404
    stranger = login(Client(), BuyerFactory())
    assert stranger.get(link).status_code == 404
    colleague = login(Client(), BuyerFactory(organisation=ready_line.order.organisation))
    assert colleague.get(link).status_code == 404  # bound to the member who asked, not to the organisation
    assert client.get(f"/downloads/{selector}.{secret[:-1]}x/").status_code == 404
    assert not DownloadEvent.objects.exists()
    assert client.get(link).status_code == 200
    assert DownloadEvent.objects.get().user == buyer


@pytest.mark.django_db
def test_download_binding_a_resumed_range_download_is_one_download(client, ready_line):
    bundle = ready_line.bundle
    bundle.download_limit = 1
    bundle.save(update_fields=["download_limit"])
    login(client, ready_line.order.placed_by)
    url = reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])
    link = client.post(url)["Location"]
    whole = b"".join(bundles.bundle_read(bundle))
    # A resume before any download started through this link is refused.
    assert client.get(link, HTTP_RANGE="bytes=100-").status_code == 403
    first = client.get(link)
    assert first.status_code == 200 and first["Accept-Ranges"] == "bytes"
    head = b"".join(first.streaming_content)[:1000]  # the connection dropped after 1000 bytes
    rest = client.get(link, HTTP_RANGE="bytes=1000-")
    assert rest.status_code == 206
    assert rest["Content-Range"] == f"bytes 1000-{len(whole) - 1}/{len(whole)}"
    assert head + b"".join(rest.streaming_content) == whole
    middle = client.get(link, HTTP_RANGE="bytes=10-19")
    assert middle.status_code == 206 and b"".join(middle.streaming_content) == whole[10:20]
    assert client.get(link, HTTP_RANGE=f"bytes={len(whole)}-").status_code == 416
    assert bundles.downloads_counted(bundle) == 1
    assert list(DownloadEvent.objects.order_by("pk").values_list("range_start", "resumed")) == [
        (0, False),
        (1000, True),
        (10, True),
    ]
    # The one download allowed is used: a new one, on this link or a new link, is refused.
    assert client.get(link).status_code == 403
    refused = client.post(url)
    assert refused.status_code == 403 and "downloaded 1 times, its limit" in refused.content.decode()


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_range_download_answers_every_kind_of_range_with_206_and_a_bad_one_with_416(client, ready_line):
    """Ranges across the base prefix / tail boundary of a tail-served archive, open-ended, suffix,
    clamped, several at once (multipart/byteranges); If-Range by entity tag and by date."""
    bundle = ready_line.bundle
    login(client, ready_line.order.placed_by)
    link = client.post(reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk]))["Location"]
    whole = b"".join(bundles.bundle_read(bundle))
    size = len(whole)
    cut = bundle.base_prefix
    assert 0 < cut < size  # the archive is base prefix + tail: ranges below cross the seam
    full = client.get(link)
    assert full.status_code == 200 and _body(full) == whole
    assert full["Content-Length"] == str(size) and full["Accept-Ranges"] == "bytes"
    assert full["ETag"] == f'"{bundle.sha256}"'
    cases = {
        f"bytes={cut - 10}-{cut + 9}": (cut - 10, cut + 9),  # across the seam
        f"bytes={cut - 1}-": (cut - 1, size - 1),  # open end
        "bytes=0-0": (0, 0),  # first byte
        "bytes=-1": (size - 1, size - 1),  # last byte
        "bytes=-100": (size - 100, size - 1),  # suffix
        f"bytes=-{size * 2}": (0, size - 1),  # suffix longer than the file: all of it
        f"bytes=100-{size * 5}": (100, size - 1),  # end past the file: clamped
        f"bytes={size - 1}-{size - 1}": (size - 1, size - 1),
        "Bytes = 5 - 9": (5, 9),  # case and spaces as RFC 9110 allows
    }
    for header, (start, end) in cases.items():
        response = client.get(link, HTTP_RANGE=header)
        assert response.status_code == 206, header
        assert response["Content-Range"] == f"bytes {start}-{end}/{size}", header
        assert response["Content-Length"] == str(end - start + 1), header
        assert _body(response) == whole[start : end + 1], header

    # Several ranges: one multipart/byteranges body, each part with its own Content-Range.
    response = client.get(link, HTTP_RANGE=f"bytes=0-9, {cut}-{cut + 4}, -3")
    assert response.status_code == 206
    boundary = response["Content-Type"].split("boundary=")[1]
    assert response["Content-Type"].startswith("multipart/byteranges;")
    body = _body(response)
    assert len(body) == int(response["Content-Length"])
    parts = body.split(f"--{boundary}".encode())
    assert parts[-1] == b"--\r\n" and len(parts) == 5
    want = [(0, 9), (cut, cut + 4), (size - 3, size - 1)]
    for part, (start, end) in zip(parts[1:4], want, strict=True):
        head, _sep, data = part.partition(b"\r\n\r\n")
        assert f"Content-Range: bytes {start}-{end}/{size}".encode() in head
        assert data == whole[start : end + 1] + b"\r\n"

    # If-Range: the same archive (entity tag or date) resumes; another one gets the whole file.
    resumed = client.get(link, HTTP_RANGE="bytes=50-", HTTP_IF_RANGE=f'"{bundle.sha256}"')
    assert resumed.status_code == 206 and _body(resumed) == whole[50:]
    dated = client.get(link, HTTP_RANGE="bytes=50-", HTTP_IF_RANGE=full["Last-Modified"])
    assert dated.status_code == 206 and _body(dated) == whole[50:]
    counted_before = bundles.downloads_counted(bundle)
    changed = client.get(link, HTTP_RANGE="bytes=50-", HTTP_IF_RANGE='"0000"')
    assert changed.status_code == 200 and _body(changed) == whole
    assert bundles.downloads_counted(bundle) == counted_before + 1  # a whole file is a new download
    stale = client.get(link, HTTP_RANGE="bytes=50-", HTTP_IF_RANGE="Wed, 21 Oct 2015 07:28:00 GMT")
    assert stale.status_code == 200

    # Unsatisfiable: 416 with the size, nothing sent, nothing logged.
    events = DownloadEvent.objects.count()
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0", "bytes=" + ",".join(["0-1"] * 17)):
        response = client.get(link, HTTP_RANGE=header)
        assert response.status_code == 416, header
        assert response["Content-Range"] == f"bytes */{size}", header
    assert DownloadEvent.objects.count() == events
    # Not a range we understand: ignored (RFC 9110), the whole file.
    for header in ("bytes=9-5", "items=0-5", "bytes=abc", "bytes=-"):
        response = client.get(link, HTTP_RANGE=header)
        assert response.status_code == 200 and _body(response) == whole, header


@pytest.mark.django_db
def test_range_download_handed_to_nginx_with_x_accel_redirect_for_a_single_file_archive(client, ready_line, settings):
    """Behind nginx a whole-file archive is sent by nginx (which answers Range itself); the check and
    the log are still ours. A tail-served archive (two files) is always streamed by Django."""
    settings.STOCKDATA_DOWNLOAD_X_ACCEL_PREFIX = "/_bundles/"
    bundle = ready_line.bundle
    login(client, ready_line.order.placed_by)
    url = reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])
    streamed = client.get(client.post(url)["Location"])
    assert "X-Accel-Redirect" not in streamed and _body(streamed) == b"".join(bundles.bundle_read(bundle))

    whole = b"".join(bundles.bundle_read(bundle))
    single = default_storage.save("bundles/test/whole.zip", ContentFile(whole))
    Bundle.objects.filter(pk=bundle.pk).update(archive=single, base_prefix=0)
    link = client.post(url)["Location"]
    response = client.get(link)
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/_bundles/{single}"
    assert response["Content-Disposition"] == f'attachment; filename="{bundle.file_name}"'
    assert response["ETag"] == f'"{bundle.sha256}"'
    assert DownloadEvent.objects.filter(bundle=bundle).count() == 2
    resumed = client.get(link, HTTP_RANGE="bytes=-1")  # nginx answers the range from the file
    assert resumed["X-Accel-Redirect"] == f"/_bundles/{single}" and resumed.content == b""


@pytest.mark.django_db
def test_download_binding_the_limit_counts_downloads_not_links(client, ready_line):
    """Replay: per-bundle limits counted links issued, not downloads."""
    bundle = ready_line.bundle
    bundle.download_limit = 2
    bundle.save(update_fields=["download_limit"])
    login(client, ready_line.order.placed_by)
    url = reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])
    links = [client.post(url)["Location"] for _ in range(3)]  # links alone use nothing up
    assert [client.get(link).status_code for link in links] == [200, 200, 403]
    refused = client.post(url)
    assert refused.status_code == 403
    assert "downloaded 2 times, its limit" in refused.content.decode()
    assert DownloadEvent.objects.filter(bundle=bundle).count() == 2


@pytest.mark.django_db
def test_the_default_download_limit_comes_from_the_setting(settings, django_capture_on_commit_callbacks):
    settings.STOCKDATA_BUNDLE_DOWNLOAD_LIMIT = 5
    bundle = build(make_line(factory_version(photos=1)), django_capture_on_commit_callbacks)
    assert bundle.download_limit == 5


@pytest.mark.django_db
def test_a_refunded_lines_links_fail(client, ready_line):
    login(client, ready_line.order.placed_by)
    url = reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])
    issued = client.post(url)["Location"]
    OrderLine.objects.filter(pk=ready_line.pk).update(status=OrderLine.Status.REFUNDED, refunded_at=timezone.now())
    bundles.bundle_revoke(line=ready_line)
    refused = client.post(url)
    assert refused.status_code == 410
    assert "refunded" in refused.content.decode()
    assert client.get(issued).status_code == 404  # a link issued before the refund dies too
    assert DownloadLink.objects.filter(bundle=ready_line.bundle).count() == 1
    assert not DownloadEvent.objects.filter(bundle=ready_line.bundle).exists()


@pytest.mark.django_db
def test_download_binding_the_local_link_expires(client, ready_line, settings):
    settings.STOCKDATA_DOWNLOAD_URL_MAX_AGE = 600
    login(client, ready_line.order.placed_by)
    url = reverse("licensing:bundle_download", args=[ready_line.order.uuid, ready_line.pk])
    link = client.post(url)["Location"]
    stored = DownloadLink.objects.get()
    assert timedelta(seconds=599) < stored.expires_at - stored.issued_at <= timedelta(seconds=601)
    DownloadLink.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(link)
    assert expired.status_code == 403 and "has expired" in expired.content.decode()
    assert not DownloadEvent.objects.exists()


# --- The order page partial ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_delivery_partial_polls_while_building_and_offers_the_download_when_ready(client, ready_line):
    login(client, ready_line.order.placed_by)
    status_url = reverse("licensing:bundle_status", args=[ready_line.order.uuid, ready_line.pk])
    html = client.get(status_url).content.decode()
    assert 'data-testid="bundle-download"' in html and "hx-get" not in html
    # The whole archive's SHA-256, in full, so the buyer can check what they downloaded.
    sha = ready_line.bundle.sha256  # broken once (<wbr>) so it wraps on a phone; copying gives it whole
    assert f'data-testid="bundle-sha256">{sha[:32]}<wbr>{sha[32:]}</code>' in html
    assert len(ready_line.bundle.sha256) == 64

    line = make_line(ready_line.version, buyer=ready_line.order.placed_by)
    Bundle.objects.create(
        order_line=line, status=Bundle.Status.BUILDING, files_total=12, files_done=3, base=ready_line.bundle.base
    )
    html = client.get(reverse("licensing:bundle_status", args=[line.order.uuid, line.pk])).content.decode()
    assert f'hx-get="{reverse("licensing:bundle_status", args=[line.order.uuid, line.pk])}"' in html
    assert 'hx-trigger="every 1s"' in html and "3 of 12 files" in html and '<rect width="25%"' in html
    assert 'data-testid="bundle-download"' not in html
    refused = client.post(reverse("licensing:bundle_download", args=[line.order.uuid, line.pk]))
    assert refused.status_code == 409


# --- Failures, retries, rebuild -------------------------------------------------------------------


@pytest.fixture
def retrying_worker(transactional_db, settings, tmp_path):
    """A real worker whose retries come back at once and whose mail to ADMINS lands in files."""
    from stockdata.celery import app

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = start_worker(
        extra_env={
            "DJANGO_SETTINGS_MODULE": "licensing.delivery.tests.worker_settings",
            "STOCKDATA_TEST_MAIL_DIR": str(mail_dir),
        }
    )
    worker.mail_dir = mail_dir
    try:
        yield worker
    finally:
        stop_worker(worker)
        app.conf.task_always_eager = True


def _messages_in(text: str) -> list:
    """The messages Django's file e-mail backend wrote to one file (separated by a line of dashes)."""
    return [message_from_string(part) for part in text.split("-" * 79 + "\n") if part.strip()]


@pytest.mark.worker
def test_a_failing_build_is_retried_a_bounded_number_of_times_then_reported_and_rebuilt_by_staff(retrying_worker):
    from licensing.delivery.tasks import MAX_RETRIES

    version = factory_version(photos=2)
    missing = version.items.select_related("photo").first().photo
    cleaned = missing.cleaned.name
    with default_storage.open(cleaned, "rb") as fh:
        kept = fh.read()
    default_storage.delete(cleaned)
    line = make_line(version)
    bundles.bundle_request(line=line)  # autocommit: queued at once, to the worker through the broker
    bundle = Bundle.objects.get(order_line=line)
    bundle = wait_until(
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.FAILED).first(),
        timeout=120,
        message="the retries to run out",
    )
    # The worker retried through the broker (celery's own retry), a bounded number of times.
    log = retrying_worker.output()
    assert log.count("licensing.delivery.tasks.bundle_build_task[") >= MAX_RETRIES + 1
    assert log.count("retry: Retry in") == MAX_RETRIES, log
    assert bundle.attempts == MAX_RETRIES + 1
    assert bundle.get_status_display() == "Failed, our team has been told"
    assert "FileNotFoundError" in bundle.error
    assert not bundle.archive
    base = bundle.base
    assert base.status == BundleBase.Status.FAILED and not base.archive
    # The staff e-mail leaves through the outbox, sent by its own task on the same worker.
    wait_until(
        lambda: any("ops@stockdata.example" in p.read_text() for p in retrying_worker.mail_dir.iterdir()),
        timeout=60,
        message="the staff e-mail",
    )
    time.sleep(2)  # a second e-mail (one per attempt) would have been sent by now
    mails = [
        (str(m["To"]), str(make_header(decode_header(m["Subject"]))))
        for p in sorted(retrying_worker.mail_dir.iterdir())
        for m in _messages_in(p.read_text())
    ]
    # Staff told once, when it failed for good, not on every attempt (the factory's releases
    # e-mailed the people in the photos as well: those are not counted here).
    to_staff = [subject for to, subject in mails if to == "ops@stockdata.example"]
    assert to_staff == [f"[Stockdata] Bundle {bundle.pk} failed (order {line.order.number})"], mails
    # Every attempt left no temporary object behind but the last one's, which is not served.
    assert not default_storage.exists(base.partial) or base.partial != base.archive

    default_storage.save(cleaned, ContentFile(kept))
    bundles.bundle_rebuild(bundle=bundle)  # what staff's "Rebuild" does; queued at once
    bundle = wait_until(
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.READY).first(),
        timeout=90,
        message="the rebuilt bundle",
    )
    base.refresh_from_db()
    assert base.status == BundleBase.Status.READY
    assert bundle.error == "" and base.error == "" and bundle.attempts == 1


# --- A real worker killed mid-build ---------------------------------------------------------------


def _pool_children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@pytest.fixture
def slow_worker(transactional_db, settings):
    """A real prefork worker whose bundle builds take ~0.3 s per image (a setting, not a mock)."""
    from stockdata.celery import app

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = start_worker(extra_env={"STOCKDATA_BUNDLE_THROTTLE_SECONDS": "0.3"})
    try:
        yield worker
    finally:
        stop_worker(worker)
        app.conf.task_always_eager = True


@pytest.mark.worker
def test_a_worker_killed_mid_build_redelivers_and_the_bundle_completes_once(slow_worker, client):
    version = factory_version(photos=20)
    line = make_line(version)
    bundles.bundle_request(line=line)  # autocommit: queued at once
    bundle = Bundle.objects.get(order_line=line)

    base = wait_until(
        lambda: BundleBase.objects.filter(
            version=version, files_done__gte=4, status=BundleBase.Status.BUILDING
        ).first(),
        timeout=60,
        message="the base build to be under way",
    )
    first_partial = base.partial
    assert first_partial and default_storage.exists(first_partial)
    # Not ready: nothing to download, and the temporary object is not what would be served.
    login(client, line.order.placed_by)
    url = reverse("licensing:bundle_download", args=[line.order.uuid, line.pk])
    assert client.post(url).status_code == 409
    bundle.refresh_from_db()
    assert bundle.archive == "" and bundle.status == Bundle.Status.BUILDING

    children = _pool_children(slow_worker.pid)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)

    bundle = wait_until(
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.READY).first(),
        timeout=120,
        message="the redelivered build to finish",
    )
    base.refresh_from_db()
    assert bundle.attempts == 2 and base.attempts == 2
    assert base.status == BundleBase.Status.READY and base.archive != first_partial
    assert not default_storage.exists(first_partial), "the killed attempt's partial object was not cleaned up"
    assert "WorkerLostError" in slow_worker.output() or "SIGKILL" in slow_worker.output()
    data = download(client, line)
    assert hashlib.sha256(data).hexdigest() == bundle.sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert len([n for n in archive.namelist() if "/images/" in n and n.endswith(".jpg")]) == 20
    time.sleep(1)
    assert Bundle.objects.get(pk=bundle.pk).attempts == 2  # completed once, not rebuilt again


# --- S3 (moto's server) --------------------------------------------------------------------------


@pytest.mark.s3
@pytest.mark.django_db
def test_on_s3_the_bundle_is_uploaded_and_the_presigned_link_downloads_the_same_bytes(
    s3_server, settings, client, django_capture_on_commit_callbacks
):
    bucket = f"stockdata-{uuid.uuid4().hex[:8]}"
    creds = dict(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="ap-northeast-1")
    boto3.client("s3", endpoint_url=s3_server, **creds).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    options = dict(
        bucket_name=bucket,
        endpoint_url=s3_server,
        access_key="testing",
        secret_key="testing",
        region_name="ap-northeast-1",
        signature_version="s3v4",
        addressing_style="path",
        file_overwrite=False,
    )
    settings.STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": options
            | {"location": "private", "default_acl": "private", "querystring_auth": True, "querystring_expire": 600},
        },
        "public": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": options | {"location": "public", "querystring_auth": False},
        },
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    settings.STOCKDATA_DOWNLOAD_URL_MAX_AGE = 300
    assert default_storage.__class__.__name__ == "S3Storage"
    version = factory_version(photos=3)
    # One 7 MiB image, so the archive is written as a multipart upload of 5 MiB parts (streamed,
    # never held whole in memory) rather than one PUT.
    big = version.items.select_related("photo").first().photo
    default_storage.delete(big.cleaned.name)
    default_storage.save(big.cleaned.name, ContentFile(b"\xff\xd8" + os.urandom(7 * 1024 * 1024)))
    line = make_line(version)
    bundle = build(line, django_capture_on_commit_callbacks)
    assert bundle.status == Bundle.Status.READY and bundle.byte_size > 7 * 1024 * 1024
    s3 = boto3.client("s3", endpoint_url=s3_server, **creds)
    assert f"private/{bundle.archive}" in {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert s3.head_object(Bucket=bucket, Key=f"private/{bundle.archive}")["ETag"].endswith('-2"')  # 2 parts

    login(client, line.order.placed_by)
    response = client.post(reverse("licensing:bundle_download", args=[line.order.uuid, line.pk]))
    assert response.status_code == 302
    url = response["Location"]
    with urllib.request.urlopen(url) as fetched:
        data = fetched.read()
        disposition = fetched.headers.get("Content-Disposition", "")
    assert hashlib.sha256(data).hexdigest() == bundle.sha256 and len(data) == bundle.byte_size
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    assert bundle.file_name in disposition
    # moto does not enforce X-Amz-Expires (real S3 does): the expiry is asserted on the signed link.
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    # download_binding: each presigned URL issued is logged, and (we never see S3's fetches) counted.
    issued = DownloadLink.objects.get(bundle=bundle)
    assert (issued.kind, issued.user, issued.secret_hash) == ("presigned", line.order.placed_by, "")
    assert DownloadEvent.objects.get(bundle=bundle).link == issued
    assert query["response-content-disposition"] == [f'attachment; filename="{bundle.file_name}"']
    # The object itself is private.
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"{s3_server}/{bucket}/private/{bundle.archive}")
    assert denied.value.code == 403


# --- Consent withdrawn after delivery --------------------------------------------------------------


@pytest.mark.django_db
def test_a_withdrawal_tells_each_buyer_who_received_the_subject_which_files_to_delete(
    ready_line, client, django_capture_on_commit_callbacks, mailoutbox
):
    item, release = first_person(ready_line.version)
    refunded = make_line(ready_line.version)
    Bundle.objects.create(order_line=refunded, status=Bundle.Status.READY)
    OrderLine.objects.filter(pk=refunded.pk).update(status=OrderLine.Status.REFUNDED)
    withdrawal = ConsentWithdrawal.objects.create(
        release=release, entire=True, channel=ConsentWithdrawal.Channel.LINK, received_on=date(2026, 11, 30)
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notices = bundles.bundle_withdrawal_notices(withdrawal=withdrawal)
    assert [(n.order_line_id, n.file_names) for n in notices] == [(ready_line.pk, [f"images/{item.file_name}"])]
    assert bundles.bundle_withdrawal_notices(withdrawal=withdrawal) == []  # once per withdrawal
    assert WithdrawalNotice.objects.get().emailed_at is not None
    assert [m.to for m in mailoutbox] == [[ready_line.order.placed_by.email]]
    assert item.file_name in mailoutbox[0].body and release.subject_name not in mailoutbox[0].body
    login(client, ready_line.order.placed_by)
    html = client.get(reverse("licensing:bundle_status", args=[ready_line.order.uuid, ready_line.pk])).content.decode()
    assert 'data-testid="withdrawal-notice"' in html and item.file_name in html


# --- The shared base is built once --------------------------------------------------------------


@pytest.mark.django_db
def test_a_base_being_built_by_another_buyers_task_is_waited_for_until_its_lease_lapses(settings):
    settings.STOCKDATA_BUNDLE_LEASE_SECONDS = 60
    version = factory_version(photos=1)
    a = Bundle.objects.create(order_line=make_line(version))
    b = Bundle.objects.create(order_line=make_line(version))
    base = BundleBase.objects.create(version=version, edition="annotated")
    state, base = bundles._base_claim(base.pk, a.pk)
    assert state == "claimed" and base.builder == a.pk and base.attempts == 1
    assert bundles._base_claim(base.pk, b.pk)[0] == "wait"  # A is alive: B does not build it twice
    # A's task redelivered after its worker died takes its own lease back at once, starting clean.
    first_partial = base.partial
    state, base = bundles._base_claim(base.pk, a.pk)
    assert state == "claimed" and base.attempts == 2 and not default_storage.exists(first_partial)
    # Silent for longer than the lease: B takes over.
    BundleBase.objects.filter(pk=base.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    state, base = bundles._base_claim(base.pk, b.pk)
    assert state == "claimed" and base.builder == b.pk and base.attempts == 3


@pytest.mark.django_db
def test_staff_rebuild_a_failed_bundle_from_the_admin(client, django_capture_on_commit_callbacks):
    version = factory_version(photos=1)
    line = make_line(version)
    bundle = Bundle.objects.create(order_line=line, status=Bundle.Status.FAILED, attempts=4, error="OSError: disk full")
    staff = StaffFactory(is_superuser=True)
    login(client, staff)
    listing = client.get(reverse("admin:licensing_bundle_changelist"))
    assert listing.status_code == 200 and "OSError: disk full" in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:licensing_bundle_changelist"), {"action": "rebuild", "_selected_action": [bundle.pk]}
        )
    assert response.status_code == 302
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.READY and bundle.error == "" and bundle.attempts == 1


@pytest.mark.django_db
def test_withdrawing_a_scope_the_dataset_never_required_sends_no_notice(ready_line):
    from licensing.models import ConsentScope

    _item, release = first_person(ready_line.version)
    ready_line.dataset.required_scopes = ["ai_training"]
    ready_line.dataset.save(update_fields=["required_scopes"])
    withdrawal = ConsentWithdrawal.objects.create(
        release=release, entire=False, channel=ConsentWithdrawal.Channel.LINK, received_on=date(2026, 11, 30)
    )
    withdrawal.scopes.set(ConsentScope.objects.filter(code="unique_identification"))
    assert bundles.bundle_withdrawal_notices(withdrawal=withdrawal) == []
    withdrawal.scopes.add(ConsentScope.objects.get(code="ai_training"))
    assert len(bundles.bundle_withdrawal_notices(withdrawal=withdrawal)) == 1
