"""The free evaluation pack: 20 watermarked samples with their boxes, metadata and Croissant, under an
evaluation licence recorded like a purchase licence, each person provided recorded (APPI); and after a
person withdraws, their photos leave the pack and the page's samples at once."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.urls import reverse

from catalog.models import Dataset
from catalog.tests.factories import store_preview
from licensing.consent.models import ProvisionRecord
from licensing.consent.services import consent_withdraw
from licensing.delivery.evaluation import EVALUATION_LICENCE_CODE
from licensing.delivery.models import EvaluationPack, WithdrawalNotice
from licensing.delivery.tests.test_withdrawals import consented_version
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory
from stockdata.storage import public_storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_sale():
    version, releases = consented_version(photos=22)
    dataset = version.dataset
    Dataset.objects.filter(pk=dataset.pk).update(status=Dataset.Status.PUBLISHED, latest_version=version)
    items = list(version.items.select_related("photo").order_by("position"))
    for n, item in enumerate(items):
        store_preview(item.photo, seed=n)
    return version, releases, items


def pack_of(response) -> tuple[zipfile.ZipFile, str]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    root = archive.namelist()[0].split("/", 1)[0]
    return archive, root


def test_evaluation_pack_holds_20_watermarked_images_their_boxes_and_a_licence_naming_the_buyer(client, on_sale):
    version, _releases, items = on_sale
    buyer = BuyerFactory(organisation__name="Tokyo Vision Labs", organisation__billing_name="東京ビジョンラボ株式会社")
    client.force_login(buyer)
    url = reverse("licensing:evaluation_pack", args=[version.dataset.slug])
    page = client.get(url)
    assert page.status_code == 200 and "Stockdata Evaluation Licence 1.0" in page.content.decode()

    refused = client.post(url, {})  # not accepted
    assert refused.status_code == 302 and not EvaluationPack.objects.exists()

    archive, root = pack_of(client.post(url, {"accept": "on"}, REMOTE_ADDR="203.0.113.7"))

    first_20 = items[:20]
    images = sorted(n for n in archive.namelist() if re.search(r"/images/sd_[0-9a-f]+\.jpg$", n))
    assert images == sorted(f"{root}/images/{i.file_name}" for i in first_20)
    storage = public_storage()
    for item in first_20:  # the watermarked previews, byte for byte, never the originals
        with storage.open(item.photo.preview.name, "rb") as fh:
            assert archive.read(f"{root}/images/{item.file_name}") == fh.read()
    coco = json.loads(archive.read(f"{root}/annotations/coco.json"))
    assert len(coco["images"]) == 20
    by_name = {i.file_name: i for i in first_20}
    for image in coco["images"]:  # boxes scaled from the photo's pixels to the preview's
        item = by_name[image["file_name"]]
        got = sorted((a["category_id"], *a["bbox"]) for a in coco["annotations"] if a["image_id"] == image["id"])
        sx, sy = image["width"] / item.width, image["height"] / item.height
        want = sorted(
            ({"face": 1, "mask": 2}[b["label"]], float(round(b["x"] * sx)), float(round(b["y"] * sy)))
            for b in item.boxes
        )
        assert [g[:3] for g in got] == want
    rows = archive.read(f"{root}/images/metadata.jsonl").decode().splitlines()
    assert len(rows) == 20 and json.loads(rows[0])["file_name"] == first_20[0].file_name
    assert json.loads(archive.read(f"{root}/croissant.json"))["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    licence = archive.read(f"{root}/LICENSE.txt").decode()
    pack = EvaluationPack.objects.get()
    assert "LICENCE: Stockdata Evaluation Licence 1.0" in licence
    assert "Licensee:      東京ビジョンラボ株式会社" in licence
    assert f"Order:         {pack.reference}" in licence

    # Recorded like a purchase licence: which text, when, by whom, from where.
    assert (pack.buyer, pack.licence.code, pack.licence_accepted_ip, pack.version) == (
        buyer,
        EVALUATION_LICENCE_CODE,
        "203.0.113.7",
        version,
    )
    assert pack.file_names == [i.file_name for i in first_20]
    # ... and one provision record per person provided, naming the recipient and the pack.
    records = list(ProvisionRecord.objects.filter(evaluation_pack=pack))
    people = {s["subject_id"] for i in first_20 for s in i.subjects}
    assert {r.subject_id for r in records} == people
    assert all(r.recipient_name == "東京ビジョンラボ株式会社" and r.order_line is None for r in records)
    assert all(r.reference == pack.reference and r.items["evaluation_pack"] == pack.reference for r in records)


def test_evaluation_pack_is_for_signed_in_buyers_only(client, on_sale):
    version, _releases, _items = on_sale
    url = reverse("licensing:evaluation_pack", args=[version.dataset.slug])
    assert client.post(url, {"accept": "on"})["Location"].startswith(reverse("account_login"))
    for user in (ContributorFactory(), StaffFactory()):
        client.force_login(user)
        assert client.post(url, {"accept": "on"}).status_code == 403
        assert client.get(url).status_code == 403
    assert not EvaluationPack.objects.exists() and not ProvisionRecord.objects.exists()


def test_evaluation_pack_and_samples_leave_out_a_person_after_withdrawal(
    client, on_sale, django_capture_on_commit_callbacks, mailoutbox
):
    version, releases, items = on_sale
    slug = version.dataset.slug
    gone = items[1]
    page = client.get(reverse("catalog:detail", args=[slug])).content.decode()
    assert gone.photo.preview.url in page  # a sample before
    earlier = BuyerFactory(email="early@vision.example")
    client.force_login(earlier)
    pack_of(client.post(reverse("licensing:evaluation_pack", args=[slug]), {"accept": "on"}))
    client.logout()
    first_pack = EvaluationPack.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=releases[gone.photo_id][0])

    # The earlier recipient is told which file to delete, as a buyer of the dataset would be.
    notice = WithdrawalNotice.objects.get(evaluation_pack=first_pack)
    assert notice.file_names == [f"images/{gone.file_name}"] and notice.emailed_at is not None
    told = [m for m in mailoutbox if m.to == ["early@vision.example"]]
    assert len(told) == 1 and first_pack.reference in told[0].body and gone.file_name in told[0].body

    page = client.get(reverse("catalog:detail", args=[slug])).content.decode()
    assert gone.photo.preview.url not in page and gone.file_name not in page
    client.force_login(BuyerFactory())
    archive, root = pack_of(client.post(reverse("licensing:evaluation_pack", args=[slug]), {"accept": "on"}))
    names = sorted(n.rsplit("/", 1)[1] for n in archive.namelist() if re.search(r"/images/sd_[0-9a-f]+\.jpg$", n))
    assert names == sorted(i.file_name for i in items[:21] if i is not gone)
    assert gone.file_name not in archive.read(f"{root}/images/metadata.jsonl").decode()
    withdrawn_subjects = {s["subject_id"] for s in gone.subjects}
    later = EvaluationPack.objects.exclude(pk=first_pack.pk).get()
    assert not ProvisionRecord.objects.filter(evaluation_pack=later, subject_id__in=withdrawn_subjects).exists()
    # The record of the earlier provision stays.
    assert ProvisionRecord.objects.filter(evaluation_pack=first_pack, subject_id__in=withdrawn_subjects).exists()
