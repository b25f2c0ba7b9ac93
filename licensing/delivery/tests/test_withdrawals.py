"""Consent withdrawn after a version was frozen: bundles built afterwards leave the photo out.

PRODUCT.md: "a withdrawn subject never appears in any bundle built afterwards, and the record of
who already received their photos stays." Real parts: the consent services, the bundle build
(eager task), the local storage, the real ZIP read back.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

import pytest

from catalog.tests.factories import DatasetFactory, build_version
from licensing.consent.services import consent_withdraw
from licensing.delivery import services as bundles
from licensing.delivery.tests.test_bundles import build, grant_consent, make_line, store_cleaned
from licensing.models import Bundle, BundleBase, WithdrawalNotice
from stockdata.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def consented_version(photos: int):
    """A frozen annotated version whose every person signed an approved release; returns it and the releases."""
    dataset = DatasetFactory(version=False, slug=f"faces-{uuid.uuid4().hex[:6]}")
    assert sorted(dataset.required_scopes) == ["ai_training", "publication"]
    releases: dict[int, list] = {}

    def consent(new_photos) -> dict[int, list]:
        releases.update(grant_consent(new_photos))
        return releases

    version = build_version(dataset, photos=photos, annotated=True, seed=photos, consent=consent)
    store_cleaned(version)
    return version, releases


def archive_of(bundle: Bundle) -> tuple[bytes, zipfile.ZipFile]:
    data = b"".join(bundles.bundle_read(bundle))
    return data, zipfile.ZipFile(io.BytesIO(data))


def images_in(archive: zipfile.ZipFile) -> list[str]:
    return sorted(n.rsplit("/", 1)[1] for n in archive.namelist() if "/images/" in n and n.endswith(".jpg"))


def text(archive: zipfile.ZipFile, suffix: str) -> str:
    return archive.read(next(n for n in archive.namelist() if n.endswith(suffix))).decode("utf-8-sig")


def test_a_buyer_after_a_withdrawal_gets_a_bundle_without_the_photo_and_earlier_buyers_keep_theirs(
    django_capture_on_commit_callbacks, mailoutbox
):
    version, releases = consented_version(photos=3)
    items = list(version.items.select_related("photo").order_by("position"))
    names = sorted(i.file_name for i in items)
    first_line = make_line(version)
    first = build(first_line, django_capture_on_commit_callbacks)
    assert first.status == Bundle.Status.READY
    first_bytes, first_zip = archive_of(first)
    assert images_in(first_zip) == names
    assert hashlib.sha256(first_bytes).hexdigest() == first.sha256

    # One person in the second photo withdraws their whole consent.
    gone = items[1]
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=releases[gone.photo_id][0])

    second_line = make_line(version)
    second = build(second_line, django_capture_on_commit_callbacks)
    assert second.status == Bundle.Status.READY and second.error == ""
    data, archive = archive_of(second)
    assert hashlib.sha256(data).hexdigest() == second.sha256
    kept = sorted(i.file_name for i in items if i.pk != gone.pk)
    stem = gone.file_name.removesuffix(".jpg")

    # The images, and every file describing them, agree: the photo is nowhere.
    assert images_in(archive) == kept
    assert not any(stem in n for n in archive.namelist())
    assert second.files_total == len(archive.namelist()) == len(first_zip.namelist()) - 3  # image, label, VOC
    manifest = text(archive, "/MANIFEST.sha256")
    assert gone.file_name not in manifest
    for row in manifest.strip().split("\n"):
        digest, name = row.split("  ", 1)
        root = archive.namelist()[0].split("/", 1)[0]
        assert hashlib.sha256(archive.read(f"{root}/{name}")).hexdigest() == digest
    coco = json.loads(text(archive, "/annotations/coco.json"))
    assert sorted(i["file_name"] for i in coco["images"]) == kept
    assert {a["image_id"] for a in coco["annotations"]} <= {i["id"] for i in coco["images"]}
    jsonl = [json.loads(r) for r in text(archive, "/images/metadata.jsonl").strip().split("\n")]
    assert sorted(r["file_name"] for r in jsonl) == kept
    assert gone.file_name not in text(archive, "/image_metadata.csv")
    assert gone.file_name not in text(archive, "/croissant.json") and stem not in text(archive, "/croissant.json")
    readme = text(archive, "/README.txt")
    assert "Photos: 2." in readme
    assert (
        "1 photo(s) of version 1 are left out: the people in them withdrew consent after the version was frozen."
        in readme
    )
    assert "left out" not in text(first_zip, "/README.txt")

    # A new base was built for the new buyer; the earlier base and bundle are untouched.
    new_base = BundleBase.objects.get(pk=second.base_id)
    assert new_base.excluded == [gone.file_name]
    assert new_base.excluded_key == hashlib.sha256(gone.file_name.encode()).hexdigest()
    old_base = BundleBase.objects.get(pk=first.base_id)
    assert old_base.pk != new_base.pk and old_base.excluded == [] and old_base.excluded_key == ""
    first.refresh_from_db()
    assert first.status == Bundle.Status.READY and archive_of(first)[0] == first_bytes
    assert hashlib.sha256(first_bytes).hexdigest() == first.sha256

    # The first buyer was told which file to delete; the second, who never got it, was not.
    notices = list(WithdrawalNotice.objects.values_list("order_line_id", "file_names"))
    assert notices == [(first_line.pk, [f"images/{gone.file_name}"])]

    # A third buyer with nothing further withdrawn shares the second buyer's base.
    third = build(make_line(version), django_capture_on_commit_callbacks)
    assert third.base_id == new_base.pk and BundleBase.objects.filter(version=version).count() == 2
    assert images_in(archive_of(third)[1]) == kept


def test_withdrawing_a_scope_the_dataset_does_not_require_leaves_the_photo_in(django_capture_on_commit_callbacks):
    version, releases = consented_version(photos=2)
    first = build(make_line(version), django_capture_on_commit_callbacks)
    item = version.items.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=releases[item.photo_id][0], scopes=["biometric"])

    second = build(make_line(version), django_capture_on_commit_callbacks)
    assert second.status == Bundle.Status.READY
    assert second.base_id == first.base_id  # nothing is left out: the same base serves both
    base = BundleBase.objects.get(pk=second.base_id)
    assert base.excluded == [] and base.excluded_key == ""
    assert images_in(archive_of(second)[1]) == sorted(version.items.values_list("file_name", flat=True))
    assert WithdrawalNotice.objects.count() == 0


def test_when_every_photo_is_left_out_the_build_fails_visibly_without_an_archive(
    django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.ADMINS = [("Ops", "ops@stockdata.example")]
    version, releases = consented_version(photos=2)
    for photo_releases in releases.values():
        with django_capture_on_commit_callbacks(execute=True):
            consent_withdraw(release=photo_releases[0])
    mailoutbox.clear()

    line = make_line(version)
    bundle = build(line, django_capture_on_commit_callbacks)
    assert bundle.status == Bundle.Status.FAILED
    assert bundle.attempts == 1  # not retried: retrying cannot bring the photos back
    assert bundle.error == (
        f"Version 1 of {version.dataset.title_en} has no photo left to deliver: consent was withdrawn for all "
        "2 of them after it was frozen."
    )
    assert bundle.archive == "" and bundle.sha256 == ""
    assert not BundleBase.objects.filter(version=version).exists()
    assert [m.to for m in mailoutbox] == [["ops@stockdata.example"]]
    assert "no photo left to deliver" in mailoutbox[0].body


def test_a_staff_rebuild_after_a_withdrawal_leaves_the_photo_out(django_capture_on_commit_callbacks):
    version, releases = consented_version(photos=3)
    bundle = Bundle.objects.create(
        order_line=make_line(version), status=Bundle.Status.FAILED, attempts=4, error="OSError: disk full"
    )
    gone = version.items.order_by("position").last()
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=releases[gone.photo_id][0], recorded_by=StaffFactory())

    with django_capture_on_commit_callbacks(execute=True):
        bundles.bundle_rebuild(bundle=bundle)
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.READY and bundle.attempts == 1
    kept = sorted(version.items.exclude(pk=gone.pk).values_list("file_name", flat=True))
    assert images_in(archive_of(bundle)[1]) == kept
    assert bundle.base.excluded == [gone.file_name]
    assert WithdrawalNotice.objects.count() == 0  # the failed bundle never delivered the photo


def test_the_left_out_names_and_their_key_are_deterministic(django_capture_on_commit_callbacks):
    version, releases = consented_version(photos=4)
    items = list(version.items.order_by("position"))
    for item in (items[3], items[0]):
        consent_withdraw(release=releases[item.photo_id][-1], scopes=["ai_training"])
    excluded = bundles.version_exclusions(version, required_scopes=version.dataset.required_scopes)
    assert excluded == sorted([items[0].file_name, items[3].file_name])
    key = hashlib.sha256("\n".join(excluded).encode()).hexdigest()
    assert bundles.exclusion_key(reversed(excluded)) == key and bundles.exclusion_key([]) == ""
    # A dataset that required only publication keeps them: ai_training is not needed there.
    assert bundles.version_exclusions(version, required_scopes=["publication"]) == []
