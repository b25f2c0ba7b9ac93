from datetime import date

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from catalog.models import Photo
from licensing.consent import models as consent_models
from licensing.consent import selectors
from licensing.consent import services as consent_services
from licensing.consent.services import releases as release_services
from licensing.consent.tests.factories import (
    PDF,
    ContributorFactory,
    PhotoFactory,
    StaffFactory,
    attach,
    make_release,
    pdf_upload,
    photo_with_people,
    png_bytes,
    release_fields,
)
from licensing.models import ModelRelease, ReviewDecision
from stockdata.errors import ApplicationError
from stockdata.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def contributor():
    return ContributorFactory(email="photog@example.com")


@pytest.fixture
def reviewer():
    return StaffFactory()


def minor_release_without_guardian(contributor) -> ModelRelease:
    """What the create service refuses, written directly: the approval must refuse it too."""
    release = make_release(
        contributor, date_of_birth=date(2012, 5, 5), age_band="teen", guardian_name="Yamada Taro", guardian_signed=True
    )
    ModelRelease.objects.filter(pk=release.pk).update(guardian_name="", guardian_signed=False)
    release.refresh_from_db()
    return release


# --- Creating a release ---------------------------------------------------------------------


def test_a_release_gets_a_unique_pseudonymous_subject_id_and_its_scopes(contributor):
    a = make_release(contributor, scopes=["publication", "ai_training"])
    b = make_release(contributor)
    assert a.subject_id.startswith("S-") and len(a.subject_id) == 10
    assert a.subject_id != b.subject_id
    assert a.status == ModelRelease.Status.PENDING
    assert [s.code for s in selectors.release_active_scopes(a)] == ["publication", "ai_training"]
    assert a.document_format == "pdf" and a.document_size == len(PDF)
    assert a.document.name.startswith(f"releases/{contributor.pk}/")


def test_a_minor_is_recognised_from_the_date_of_birth_and_needs_a_guardian(contributor):
    with pytest.raises(ApplicationError) as exc:
        make_release(contributor, date_of_birth=date(2010, 1, 1), age_band="teen", is_minor=False)
    assert exc.value.code == "guardian_required"
    assert exc.value.field == "guardian_name"
    release = make_release(
        contributor, date_of_birth=date(2010, 1, 1), age_band="teen", guardian_name="Yamada Taro", guardian_signed=True
    )
    assert release.is_minor is True


def test_a_minors_release_without_a_guardian_cannot_be_approved(contributor, reviewer):
    release = minor_release_without_guardian(contributor)
    with pytest.raises(ApplicationError) as exc:
        consent_services.release_approve(release=release, reviewer=reviewer)
    assert exc.value.code == "guardian_required"
    release.refresh_from_db()
    assert release.status == ModelRelease.Status.PENDING
    assert not ReviewDecision.objects.exists()
    # Not even a raw write can store it: the database refuses too.
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelRelease.objects.filter(pk=release.pk).update(status=ModelRelease.Status.APPROVED)


def test_scopes_and_dates_are_checked(contributor):
    with pytest.raises(ApplicationError, match="Tick at least one consent scope"):
        make_release(contributor, scopes=[])
    with pytest.raises(ApplicationError, match="Unknown consent scope: telepathy"):
        make_release(contributor, scopes=["publication", "telepathy"])
    with pytest.raises(ApplicationError, match="date of birth must be before the date signed"):
        make_release(contributor, date_of_birth=date(2026, 4, 1))
    with pytest.raises(ApplicationError, match="expiry date must be after the date signed"):
        make_release(contributor, expires_on=date(2026, 2, 1))
    with pytest.raises(ApplicationError, match="date of birth or age band"):
        make_release(contributor, date_of_birth=None, age_band="")


@pytest.mark.parametrize(
    "data, code, message",
    [
        (b"", "empty", "The document is empty"),
        (b"%PDF-1.7\n1 0 obj<<>>endobj\n", "corrupt", "The PDF is incomplete"),
        (b"Hello, I am a text file renamed to .pdf", "not_an_image", "must be a PDF, or a JPEG or PNG scan"),
        (b"GIF89a" + b"\x00" * 100, "unsupported_type", "must be a PDF, or a JPEG or PNG scan"),
        (png_bytes(500, 400), "too_small", "The scan is 500×400 px; its long side must be at least 800 px"),
    ],
)
def test_the_document_is_checked_by_content(contributor, data, code, message):
    with pytest.raises(ApplicationError) as exc:
        make_release(contributor, document=SimpleUploadedFile("release.pdf", data))
    assert exc.value.code == code
    assert exc.value.field == "document"
    assert message in exc.value.message
    assert not ModelRelease.objects.exists()


def test_a_pdf_with_trailing_whitespace_and_a_png_scan_are_accepted(contributor):
    assert make_release(contributor, document=pdf_upload(data=PDF + b"\r\n\x00\n")).document_format == "pdf"
    scan = make_release(contributor, document=SimpleUploadedFile("scan.pdf", png_bytes()))
    assert scan.document_format == "png"
    assert scan.document.name.endswith(".png")


def test_the_document_size_is_limited(contributor, monkeypatch):
    monkeypatch.setattr(release_services, "RELEASE_DOCUMENT_MAX_BYTES", 100)
    with pytest.raises(ApplicationError, match="it can be at most"):
        make_release(contributor, document=pdf_upload(data=PDF + b" " * 200))


# --- Linking -------------------------------------------------------------------------------


def test_one_release_covers_many_photos_but_only_its_contributors(contributor, reviewer):
    release = make_release(contributor, approve_by=reviewer)
    photos = [photo_with_people(contributor) for _ in range(3)]
    for photo in photos:
        attach(release, photo)
    assert release.links.count() == 3
    stranger_photo = photo_with_people(ContributorFactory())
    with pytest.raises(ApplicationError) as exc:
        attach(release, stranger_photo)
    assert exc.value.status == 404


def test_the_release_of_an_approved_photo_cannot_be_swapped(contributor, reviewer):
    photo = photo_with_people(contributor, status=Photo.Status.SUBMITTED)
    attach(make_release(contributor), photo)
    consent_services.photo_review_approve(photo=photo, reviewer=reviewer)
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        attach(make_release(contributor), photo)
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        consent_services.release_detach(subject=photo.subjects.get())


# --- Review ---------------------------------------------------------------------------------


def test_every_decision_is_recorded_and_a_rejection_is_emailed_and_notified(
    contributor, reviewer, django_capture_on_commit_callbacks
):
    approved = make_release(contributor)
    rejected = make_release(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        consent_services.release_approve(release=approved, reviewer=reviewer)
        consent_services.release_reject(
            release=rejected, reviewer=reviewer, reason="signature_missing", note="Page 2 is not signed."
        )
    decisions = list(
        ReviewDecision.objects.order_by("id").values_list("kind", "item_uuid", "decision", "reason", "note", "reviewer")
    )
    assert decisions == [
        ("release", approved.uuid, "approved", "", "", reviewer.pk),
        ("release", rejected.uuid, "rejected", "signature_missing", "Page 2 is not signed.", reviewer.pk),
    ]
    notes = list(Notification.objects.filter(user=contributor).order_by("id"))
    assert [n.kind for n in notes] == ["release_approved", "release_rejected"]
    assert notes[1].title == f"Model release {rejected.subject_id} rejected"
    assert notes[1].body == (
        "Reason: The subject's signature is missing on the form. Reviewer's note: Page 2 is not signed. "
        "Fix the release and resubmit it."
    )
    # The rejection is emailed to the contributor; the approval mails the subject their private link.
    to_contributor = [m for m in mail.outbox if m.to == ["photog@example.com"]]
    assert len(to_contributor) == 1
    # In the contributor's language (English: the factory's account chose none).
    assert to_contributor[0].subject == f"[Stockdata] Model release {rejected.subject_id} rejected"
    assert "The subject's signature is missing on the form." in to_contributor[0].body
    assert "Page 2 is not signed." in to_contributor[0].body
    # The subject's address was typed by the photographer: it is asked to confirm, the link follows.
    to_subject = [m for m in mail.outbox if m.to == ["hanako@example.jp"]]
    assert len(to_subject) == 1
    assert "/consent/confirm/" in to_subject[0].body
    assert Notification.objects.get(kind="release_rejected").emailed_at is not None


def test_a_rejected_release_can_be_fixed_and_resubmitted(contributor, reviewer):
    release = make_release(contributor)
    consent_services.release_reject(release=release, reviewer=reviewer, reason="names_mismatch")
    with pytest.raises(ApplicationError):
        consent_services.release_approve(release=release, reviewer=reviewer)
    consent_services.release_update(release=release, subject_name="Yamada Hanako (山田花子)")
    consent_services.release_document_replace(release=release, document=SimpleUploadedFile("scan.png", png_bytes()))
    release = consent_services.release_resubmit(release=release)
    assert release.status == ModelRelease.Status.PENDING
    assert release.rejection_reason == ""
    consent_services.release_approve(release=release, reviewer=reviewer)
    assert list(ReviewDecision.objects.filter(release=release).order_by("id").values_list("decision", flat=True)) == [
        "rejected",
        "approved",
    ]


def test_an_approved_release_cannot_be_edited(contributor, reviewer):
    release = make_release(contributor, approve_by=reviewer)
    with pytest.raises(ApplicationError) as exc:
        consent_services.release_update(release=release, scopes=["publication"])
    assert exc.value.code == "not_editable"


def test_approving_a_photo_approves_its_pending_releases_together(contributor, reviewer):
    photo = photo_with_people(contributor, people=2, status=Photo.Status.SUBMITTED)
    first, second = make_release(contributor), make_release(contributor, scopes=["publication", "ai_training"])
    attach(first, photo, 1)
    attach(second, photo, 2)
    consent_services.photo_review_approve(photo=photo, reviewer=reviewer)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.APPROVED
    assert set(ModelRelease.objects.values_list("status", flat=True)) == {"approved"}
    assert ReviewDecision.objects.filter(decision="approved").count() == 3
    assert selectors.photo_consent_scopes(photo) == {"publication", "ai_training"}


def test_a_photo_with_an_uncovered_person_cannot_be_approved(contributor, reviewer):
    photo = photo_with_people(contributor, people=2, status=Photo.Status.SUBMITTED)
    pending = make_release(contributor)
    attach(pending, photo, 1)
    with pytest.raises(ApplicationError, match="Person 2 in this photo has no valid model release"):
        consent_services.photo_review_approve(photo=photo, reviewer=reviewer)
    pending.refresh_from_db()
    photo.refresh_from_db()
    assert (pending.status, photo.status) == ("pending", "submitted")
    assert not ReviewDecision.objects.exists()


def test_a_photo_without_people_is_approved_without_a_release(contributor, reviewer):
    photo = PhotoFactory(contributor=contributor, no_people=True, status=Photo.Status.SUBMITTED)
    consent_services.photo_review_approve(photo=photo, reviewer=reviewer)
    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.APPROVED


def test_rejecting_a_photo_for_its_release_rejects_the_release_too(contributor, reviewer):
    photo = photo_with_people(contributor, status=Photo.Status.SUBMITTED)
    release = make_release(contributor)
    attach(release, photo)
    consent_services.photo_review_reject(
        photo=photo, reviewer=reviewer, reason="", note="No guardian line.", release_reason="guardian_missing"
    )
    photo.refresh_from_db()
    release.refresh_from_db()
    assert (photo.status, photo.rejection_reason) == ("rejected", "no_release")
    assert (release.status, release.rejection_reason) == ("rejected", "guardian_missing")
    assert sorted(ReviewDecision.objects.values_list("kind", "reason")) == [
        ("photo", "no_release"),
        ("release", "guardian_missing"),
    ]
    kinds = sorted(Notification.objects.values_list("kind", flat=True))
    assert kinds == ["photo_rejected", "release_rejected"]


def test_other_needs_a_note(contributor, reviewer):
    release = make_release(contributor)
    with pytest.raises(ApplicationError, match="Explain the rejection in the note"):
        consent_services.release_reject(release=release, reviewer=reviewer, reason="other")
    with pytest.raises(ApplicationError, match="Choose a rejection reason"):
        consent_services.release_reject(release=release, reviewer=reviewer, reason="bad vibes")


def test_bulk_approve_approves_what_it_can_and_says_why_not_for_the_rest(contributor, reviewer):
    ok = make_release(contributor, approve_by=reviewer)
    minor = minor_release_without_guardian(contributor)
    unchecked = make_release(contributor)
    photo = photo_with_people(contributor, status=Photo.Status.SUBMITTED)
    attach(ok, photo)
    waits = photo_with_people(contributor, status=Photo.Status.SUBMITTED)
    attach(unchecked, waits)
    result = consent_services.review_bulk_approve(reviewer=reviewer, releases=[minor], photos=[photo, waits])
    assert result.approved == 1
    assert [label for label, _message in result.errors] == [minor.subject_id, str(waits)]
    assert "cannot be approved" in result.errors[0][1]
    # Nothing in a bulk selection was checked against a paper release's scan.
    assert result.errors[1][1] == (
        f"Release {unchecked.subject_id}: tick every checklist item after checking it against the scan (5 not ticked)."
    )


# --- Withdrawal -----------------------------------------------------------------------------------


def test_withdrawal_is_recorded_and_the_whole_consent_ends_the_release(contributor, reviewer):
    photo = photo_with_people(contributor)
    release = make_release(
        contributor, scopes=("publication", "ai_training", "biometric", "unique_identification"), approve_by=reviewer
    )
    attach(release, photo)
    first = consent_services.consent_withdraw(release=release, scopes=["unique_identification"])
    assert (first.entire, first.channel, [s.code for s in first.scopes.all()]) == (
        False,
        "link",
        ["unique_identification"],
    )
    assert selectors.photo_consent_scopes(photo) == {"publication", "ai_training", "biometric"}
    second = consent_services.consent_withdraw(
        release=release, channel="paper", recorded_by=reviewer, received_on=date(2026, 5, 1), note="Letter"
    )
    release.refresh_from_db()
    assert release.status == ModelRelease.Status.WITHDRAWN
    assert second.entire is True
    assert sorted(s.code for s in second.scopes.all()) == ["ai_training", "biometric", "publication"]
    # What was granted stays on record, stamped.
    assert release.release_scopes.filter(withdrawn_at__isnull=False).count() == 4
    assert selectors.photo_consent_scopes(photo) == frozenset()
    with pytest.raises(ApplicationError, match="already been withdrawn"):
        consent_services.consent_withdraw(release=release)
    assert Notification.objects.filter(kind="consent_withdrawn", user=contributor).count() == 2


def test_the_withdrawal_link_is_stored_only_as_a_hash(contributor, reviewer):
    release = make_release(contributor, approve_by=reviewer)
    path = consent_services.release_withdrawal_link_issue(release=release)
    token = path.rstrip("/").rsplit("/", 1)[1]
    secret = token.split(".", 1)[1]
    release.refresh_from_db()
    assert secret not in release.withdrawal_token_hash
    assert release.withdrawal_token_hash == consent_models.token_hash(secret)
    assert selectors.release_for_withdrawal_token(token) == release
    assert selectors.release_for_withdrawal_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    # A new link replaces the old one.
    consent_services.release_withdrawal_link_issue(release=release)
    assert selectors.release_for_withdrawal_token(token) is None


def test_release_create_accepts_only_known_fields(contributor):
    with pytest.raises(ApplicationError, match="Unknown fields: status"):
        consent_services.release_create(
            contributor=contributor,
            document=pdf_upload(),
            scopes=["publication"],
            status="approved",
            **release_fields(),
        )


def test_default_scopes_come_back_after_a_flush_and_edits_are_kept():
    from licensing.models import ConsentScope

    assert consent_services.consent_scopes_ensure() == 0
    ConsentScope.objects.filter(code="publication").update(name_en="Publication (edited)")
    ConsentScope.objects.filter(code="biometric").delete()
    assert consent_services.consent_scopes_ensure() == 1
    assert list(ConsentScope.objects.values_list("code", "name_en")[:1]) == [("publication", "Publication (edited)")]
    assert ConsentScope.objects.count() == 5
    from importlib import import_module

    # The migrations keep their own frozen copies; today they say the same.
    frozen = [
        *import_module("licensing.migrations.0002_consent_scopes").SCOPES,
        import_module("licensing.migrations.0019_generative_ai_scope").GENERATIVE,
    ]
    assert sorted(frozen, key=lambda s: s["position"]) == consent_services.DEFAULT_CONSENT_SCOPES
