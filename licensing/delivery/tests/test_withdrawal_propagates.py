"""A withdrawal reaches everywhere (issue 15): the public pages and API, later downloads, the provision
records, every past recipient (tombstone, deadline, reminders, confirmation) and the subject's page.

Real parts: the consent services, the eager bundle build, the local storages, the real ZIP read back,
a real SMTP server for the mail outage, and a live server spoken to over HTTP.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Dataset, Photo
from licensing.consent import services as consent_services
from licensing.consent.services import consent_withdraw
from licensing.delivery import services as bundles
from licensing.delivery import tasks as delivery_tasks
from licensing.delivery.tests.test_bundles import build, make_line
from licensing.delivery.tests.test_withdrawals import archive_of, consented_version, images_in, text
from licensing.models import Bundle, DeletionConfirmation, ProvisionRecord, WithdrawalNotice
from stockdata.accounts.tests.factories import BuyerFactory, StaffFactory
from stockdata.errors import ApplicationError
from stockdata.mail.models import OutgoingEmail
from stockdata.mail.services import email_requeue, emails_requeue_stalled
from stockdata.mail.tests.test_mail import retrying, smtp  # noqa: F401  (fixtures)
from stockdata.storage import public_storage

pytestmark = pytest.mark.django_db


def person_of(version, position: int, releases):
    item = version.items.order_by("position")[position]
    return item, releases[item.photo_id][0]


def subject_link(release) -> str:
    return consent_services.release_withdrawal_link_issue(release=release)


def withdraw_everything_through_the_link(client: Client, release) -> None:
    path = subject_link(release)
    response = client.post(path, {"everything": "on", "confirm": "yes"})
    assert response.status_code == 302, response.content[:300]


# --- No provision after a withdrawal ----------------------------------------------------------------


def test_withdrawal_propagates_a_download_after_a_withdrawal_is_rebuilt_without_the_file(
    client, django_capture_on_commit_callbacks
):
    version, releases = consented_version(photos=3)
    line = make_line(version)
    bundle = build(line, django_capture_on_commit_callbacks)
    names = sorted(version.items.values_list("file_name", flat=True))
    first_bytes, first_zip = archive_of(bundle)
    assert images_in(first_zip) == names
    old_archive = bundle.archive
    gone, release = person_of(version, 1, releases)

    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=release)
    client.force_login(line.order.placed_by)
    download = reverse("licensing:bundle_download", args=[line.order.uuid, line.pk])

    # Months later the buyer asks for a fresh link: never the old archive, a rebuild instead.
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(download)
    assert refused.status_code == 409
    assert "it is being rebuilt without their photos" in refused.content.decode()
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.READY  # the eager build ran once the refresh committed
    assert bundle.withdrawn_files == [gone.file_name] and bundle.rebuilt_at is not None
    assert bundle.archive != old_archive
    from django.core.files.storage import default_storage

    assert not default_storage.exists(old_archive)  # the archive holding the person is gone

    response = client.post(download)
    assert response.status_code == 302
    fetched = client.get(response["Location"])
    data = b"".join(fetched.streaming_content)
    assert hashlib.sha256(data).hexdigest() == bundle.sha256 != hashlib.sha256(first_bytes).hexdigest()
    archive = __import__("zipfile").ZipFile(io.BytesIO(data))
    kept = [n for n in names if n != gone.file_name]
    assert images_in(archive) == kept
    manifest = text(archive, "/MANIFEST.sha256")
    assert gone.file_name not in manifest and all(n in manifest for n in kept)
    stem = gone.file_name.removesuffix(".jpg")
    assert not any(stem in n for n in archive.namelist())

    # The order page says why it changed.
    page = client.get(reverse("licensing:bundle_status", args=[line.order.uuid, line.pk])).content.decode()
    assert 'data-testid="bundle-rebuilt"' in page and "the person in it withdrew their consent" in page

    # A link issued before a withdrawal never serves the old archive either.
    _second_gone, second_release = person_of(version, 2, releases)
    stale = client.post(download)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=second_release)
    assert client.get(stale).status_code == 403


def test_withdrawal_propagates_no_provision_record_for_a_subject_who_withdrew_before_the_sale(
    django_capture_on_commit_callbacks,
):
    version, releases = consented_version(photos=3)
    gone, release = person_of(version, 0, releases)
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=release)

    line = make_line(version)
    assert not ProvisionRecord.objects.filter(order_line=line).exists()  # nothing is provided before delivery
    bundle = build(line, django_capture_on_commit_callbacks)
    assert bundle.status == Bundle.Status.READY
    delivered = images_in(archive_of(bundle)[1])
    records = {r.subject_id: r.items["files"] for r in ProvisionRecord.objects.filter(order_line=line)}
    assert release.subject_id not in records
    expected = {}
    for item in version.items.order_by("position"):
        if item.pk != gone.pk:
            for subject in item.subjects:
                expected.setdefault(subject["subject_id"], []).append(item.file_name)
    assert records == expected
    assert sorted(f for files in records.values() for f in files) == delivered

    # The subject's page lists no buyer above "nothing is provided after it".
    page = Client().get(subject_link(release)).content.decode()
    assert "No one has received your photos so far." in page


# --- Every past recipient is told, and confirms ------------------------------------------------------


def test_withdrawal_propagates_the_tombstone_lists_exactly_the_withdrawn_files_with_their_sha256(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    version, releases = consented_version(photos=3)
    line = make_line(version)
    bundle = build(line, django_capture_on_commit_callbacks)
    _data, archive = archive_of(bundle)
    gone, release = person_of(version, 1, releases)
    stem = gone.file_name.removesuffix(".jpg")
    expected = sorted(
        (
            {"file": name.split("/", 1)[1], "sha256": hashlib.sha256(archive.read(name)).hexdigest()}
            for name in archive.namelist()
            if name.rsplit("/", 1)[-1].rsplit(".", 1)[0] == stem
        ),
        key=lambda r: r["file"],
    )
    assert f"images/{gone.file_name}" in [r["file"] for r in expected] and len(expected) == 3  # image, YOLO, VOC
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = consent_withdraw(release=release)
    notice = WithdrawalNotice.objects.get(withdrawal=withdrawal)
    assert notice.tombstone == expected
    assert notice.file_names == [f"images/{gone.file_name}"]
    assert notice.due_on == timezone.localdate(notice.created_at) + dt.timedelta(days=30)
    assert notice.provision_record == ProvisionRecord.objects.get(order_line=line, subject_id=release.subject_id)
    to_buyer = [m for m in mailoutbox if m.to == [line.order.placed_by.email]]
    assert [m.subject for m in to_buyer] == [f"[Stockdata] Consent withdrawn: delete 1 file from {line.title}"]
    assert reverse("licensing:withdrawal_notice", args=[notice.pk]) in to_buyer[0].body
    assert f"images/{gone.file_name}" in to_buyer[0].body and release.subject_name not in to_buyer[0].body

    # Any member of the buying organisation reads it as CSV and JSON; nobody else does.
    colleague = BuyerFactory(organisation=line.order.organisation)
    client.force_login(colleague)
    as_json = json.loads(client.get(reverse("licensing:withdrawal_notice_tombstone", args=[notice.pk, "json"])).content)
    assert as_json["files"] == expected
    assert (as_json["dataset"], as_json["dataset_version"]) == (version.dataset.slug, version.number)
    assert as_json["delete_by"] == notice.due_on.isoformat()
    response = client.get(reverse("licensing:withdrawal_notice_tombstone", args=[notice.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [["file", "sha256"], *([r["file"], r["sha256"]] for r in expected)]
    client.force_login(BuyerFactory())
    assert client.get(reverse("licensing:withdrawal_notice", args=[notice.pk])).status_code == 404
    assert client.get(reverse("licensing:withdrawal_notice_tombstone", args=[notice.pk, "csv"])).status_code == 404


@pytest.fixture
def frozen_clock(monkeypatch):
    """The repo's way of moving time in tests: ``timezone.now`` (and so ``localdate``) patched."""
    state = {"now": timezone.now()}
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: state["now"])

    def move_to(moment):
        state["now"] = moment

    move_to.real_now = real_now
    return state, move_to


def test_withdrawal_propagates_a_confirmation_closes_the_notice_reminders_and_overdue_on_time(
    client, django_capture_on_commit_callbacks, mailoutbox, frozen_clock, settings
):
    settings.ADMINS = [("Compliance", "compliance@stockdata.example")]
    _state, move_to = frozen_clock
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    move_to(start)
    version, releases = consented_version(photos=2)
    line = make_line(version)
    build(line, django_capture_on_commit_callbacks)
    _gone, release = person_of(version, 0, releases)
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=release)
    notice = WithdrawalNotice.objects.get()
    assert notice.due_on == dt.date(2026, 12, 31)
    buyer = line.order.placed_by
    mailoutbox.clear()

    def tick(days: float, hours: float = 0) -> list[str]:
        move_to(start + dt.timedelta(days=days, hours=hours))
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            delivery_tasks.notices_remind_task.delay()  # what beat runs every hour
        return [m.subject for m in mailoutbox[before:]]

    assert tick(6, 23) == []
    assert tick(7) == [f"[Stockdata] Reminder: confirm the deletion of 1 file from {line.title}"]
    assert tick(7, 1) == []  # once
    assert tick(20, 23) == []
    assert tick(21) == [f"[Stockdata] Reminder: confirm the deletion of 1 file from {line.title}"]
    assert tick(30) == []  # due today: not overdue yet
    staff = Client()
    staff.force_login(StaffFactory())
    overdue_page = reverse("licensing:withdrawal_notices_overdue")
    assert f'data-notice="{notice.pk}"' not in staff.get(overdue_page).content.decode().split("open-notices")[0]
    assert tick(30, 14) == [
        f"{settings.EMAIL_SUBJECT_PREFIX}Deletion confirmation overdue: {line.order.number} ({line.title})"
    ]
    assert mailoutbox[-1].to == ["compliance@stockdata.example"]
    assert tick(31) == []
    overdue_html = staff.get(overdue_page).content.decode()
    assert f'data-notice="{notice.pk}"' in overdue_html.split("open-notices")[0]
    subject_page = Client().get(subject_link(release)).content.decode()
    assert "overdue: deletion was due on" in subject_page

    # A named person at the buyer confirms: the notice closes, the subject sees it.
    client.force_login(buyer)
    page = reverse("licensing:withdrawal_notice", args=[notice.pk])
    refused = client.post(page, {"name": "Sato Ken", "role": "DPO", "deleted_on": "2027-01-01"})
    assert refused.status_code == 400 and not DeletionConfirmation.objects.exists()  # the statement is required
    response = client.post(
        page, {"name": "Sato Ken", "role": "Data protection officer", "deleted_on": "2027-01-01", "statement": "on"}
    )
    assert response.status_code == 302
    confirmation = DeletionConfirmation.objects.get(notice=notice)
    assert (confirmation.name, confirmation.role, confirmation.deleted_on, confirmation.submitted_by) == (
        "Sato Ken",
        "Data protection officer",
        dt.date(2027, 1, 1),
        buyer,
    )
    assert confirmation.notice.provision_record.subject_id == release.subject_id  # recorded with the record
    assert 'data-status="confirmed"' in client.get(page).content.decode()
    assert f'data-notice="{notice.pk}"' not in staff.get(overdue_page).content.decode()
    assert tick(45) == []  # closed: no more reminders
    subject_page = Client().get(subject_link(release)).content.decode()
    assert 'data-status="confirmed"' in subject_page and "confirmed deleted on" in subject_page
    with pytest.raises(ApplicationError, match="already confirmed"):
        bundles.deletion_confirm(
            notice=notice, user=buyer, name="x", role="y", deleted_on=dt.date(2027, 1, 2), statement=True, ip=None
        )


# --- The withdrawal commits when e-mail is down --------------------------------------------------------


def test_withdrawal_propagates_with_mail_failing_the_withdrawal_commits_and_the_notice_is_delivered_once(
    client,
    smtp,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    version, releases = consented_version(photos=2)
    line = make_line(version)
    build(line, django_capture_on_commit_callbacks)
    _gone, release = person_of(version, 0, releases)
    # The provider refuses the next nine attempts: every attempt of the contributor's e-mail (sent first),
    # then three of the buyer's notice.
    server = smtp(fail_next=9)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_everything_through_the_link(client, release)
    release.refresh_from_db()
    assert release.status == "withdrawn"
    notice = WithdrawalNotice.objects.get()
    email = OutgoingEmail.objects.get(key=f"withdrawal-notice:{notice.pk}:0")
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 4)
    assert server.refused == 9
    sent = [m for m in server.messages if "Consent withdrawn" in m["Subject"]]
    assert len(sent) == 1
    # The contributor's e-mail failed for good during the outage; staff send it again once it is over.
    failed = OutgoingEmail.objects.get(status=OutgoingEmail.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert email_requeue(email_id=failed.pk) is True
    failed.refresh_from_db()
    assert failed.status == OutgoingEmail.Status.SENT and len(server.messages) == 2

    # A notice whose task never reached the broker is queued again by the sweeper, and sent once.
    lost = OutgoingEmail.objects.create(key="withdrawal-notice:lost", to=["a@example.com"], subject="S", body="B")
    OutgoingEmail.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert emails_requeue_stalled() == 1
        assert emails_requeue_stalled() == 0
    lost.refresh_from_db()
    assert lost.status == OutgoingEmail.Status.SENT
    assert [m["Subject"] for m in server.messages].count("S") == 1


# --- Public surfaces, through HTTP against a live server ----------------------------------------------


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_withdrawal_propagates_to_every_public_surface_over_http(live_server, django_capture_on_commit_callbacks):
    version, releases = consented_version(photos=3)
    dataset = Dataset.objects.get(pk=version.dataset_id)
    items = list(version.items.select_related("photo").order_by("position"))
    for item in items:  # real public previews, as approval publishes them
        for name in (item.photo.preview.name, item.photo.thumbnail.name):
            public_storage().save(name, ContentFile(b"\xff\xd8preview-of-" + item.file_name.encode()))
    gone, release = items[0], releases[items[0].photo_id][0]
    assert dataset.cover_id == gone.photo_id
    photo = gone.photo
    preview, thumbnail = live_server.url + photo.preview.url, live_server.url + photo.thumbnail.url
    page_url = live_server.url + f"/datasets/{dataset.slug}/"
    api_url = live_server.url + reverse("api:catalogue-detail", kwargs={"slug": dataset.slug})
    list_api = live_server.url + reverse("api:catalogue-list")
    list_url = live_server.url + "/datasets/"

    assert _get(preview)[0] == 200 and _get(thumbnail)[0] == 200
    status, before = _get(page_url)
    assert status == 200 and photo.preview.url.encode() in before
    assert photo.preview.url.encode() in _get(page_url)[1]  # served from the page cache now
    assert photo.preview.url.encode() in _get(list_url)[1]
    assert photo.preview.url in _get(api_url)[1].decode()

    withdraw_everything_through_the_link(Client(), release)  # one request cycle, committed

    photo.refresh_from_db()
    assert photo.derived_public is False and photo.status == Photo.Status.APPROVED
    assert _get(preview)[0] == 404 and _get(thumbnail)[0] == 404
    status, after = _get(page_url)
    html = after.decode()
    assert status == 200  # the page was cached with the photo: it shows now without it, so the cache was dropped
    assert photo.preview.name not in html and photo.thumbnail.name not in html
    assert gone.file_name not in html  # not a sample, not in the metadata table
    assert 'data-testid="fact-withdrawn"><strong>1</strong>' in html
    assert "since withdrawn and no longer sold" in html
    detail = json.loads(_get(api_url)[1])
    assert photo.preview.name not in json.dumps(detail)
    assert (detail["photos_on_sale"], detail["photos_withdrawn"]) == (2, 1)
    assert all(s["file_name"] != gone.file_name for s in detail["samples"])
    card = next(d for d in json.loads(_get(list_api)[1])["results"] if d["slug"] == dataset.slug)
    assert photo.preview.name not in card["cover_url"]
    dataset.refresh_from_db()
    assert dataset.cover_id == items[1].photo_id  # the cover moved to a photo still shown
    assert card["cover_url"].endswith(items[1].photo.preview.name)
    assert photo.preview.name not in _get(list_url)[1].decode()
    # The contributor and staff still see it through the checked view; nobody else does.
    assert _get(live_server.url + reverse("photo_derived", args=[photo.uuid, "preview"]))[0] == 404


def test_withdrawal_propagates_an_ai_only_withdrawal_leaves_the_previews_public(django_capture_on_commit_callbacks):
    version, releases = consented_version(photos=2)
    item, release = person_of(version, 0, releases)
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=release, scopes=["biometric"])
    item.photo.refresh_from_db()
    assert item.photo.derived_public is True  # publication still consented
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=release, scopes=["publication"])
    item.photo.refresh_from_db()
    assert item.photo.derived_public is False


def test_withdrawal_propagates_to_the_buyers_api_with_the_tombstone_and_a_confirmation(
    django_capture_on_commit_callbacks,
):
    from rest_framework.test import APIClient

    version, releases = consented_version(photos=2)
    line = make_line(version)
    build(line, django_capture_on_commit_callbacks)
    gone, release = person_of(version, 0, releases)
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(release=release)
    notice = WithdrawalNotice.objects.get()
    api = APIClient()
    api.force_authenticate(line.order.placed_by)
    listed = api.get(reverse("api:withdrawal-notice-list")).json()
    assert [(n["id"], n["reference"], n["status"], n["delete_by"]) for n in listed] == [
        (notice.pk, line.order.number, "notified", notice.due_on.isoformat())
    ]
    assert listed[0]["files"] == notice.tombstone and f"images/{gone.file_name}" in [
        f["file"] for f in listed[0]["files"]
    ]
    confirm = reverse("api:withdrawal-notice-confirm", args=[notice.pk])
    bad = api.post(confirm, {"name": "Sato", "role": "DPO", "deleted_on": "2026-01-01", "statement": True})
    assert bad.status_code == 400 and "between the notice and today" in bad.content.decode()
    today = timezone.localdate().isoformat()
    done = api.post(confirm, {"name": "Sato", "role": "DPO", "deleted_on": today, "statement": True})
    assert done.status_code == 201 and done.json()["status"] == "confirmed"
    assert api.post(confirm, {"name": "Sato", "role": "DPO", "deleted_on": today, "statement": True}).status_code == 409
    other = APIClient()
    other.force_authenticate(BuyerFactory())
    assert other.get(reverse("api:withdrawal-notice-list")).json() == []
    assert other.post(confirm, {}).status_code == 404
