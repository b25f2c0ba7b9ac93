"""A review decision is bound to what the reviewer saw, and keeps what they checked."""

import re

import pytest

from catalog.models import Photo
from licensing.consent import services
from licensing.consent.services.review import RELEASE_CHECKLIST
from licensing.consent.tests.factories import attach, make_release, pdf_upload, photo_with_people
from licensing.models import ModelRelease, ReviewDecision
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db

NARROW = ("publication", "ai_training")


def opened(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return re.search(r'name="revision" value="([0-9a-f]{64})"', page.content.decode()).group(1)


def approve(client, url, release, revision, checklist=RELEASE_CHECKLIST):
    return client.post(url, {"action": "approve", "revision": revision, f"checklist-{release.uuid}": list(checklist)})


def test_review_revision_approving_a_release_changed_after_it_was_opened_is_refused(client):
    contributor, reviewer = ContributorFactory(), StaffFactory()
    release = make_release(contributor, scopes=NARROW)
    client.force_login(reviewer)
    url = f"/review/releases/{release.uuid}/"
    revision = opened(client, url)

    # While the page is open, the photographer widens the release to the biometric scopes.
    services.release_update(release=release, scopes=[*NARROW, "biometric", "unique_identification"])
    response = approve(client, url, release, revision)
    assert response.status_code == 409
    assert f"Release {release.subject_id} changed since you opened it." in response.content.decode()
    release.refresh_from_db()
    assert release.status == ModelRelease.Status.PENDING
    assert not ReviewDecision.objects.filter(release=release).exists()

    # Opened again (the page shows the widened scopes), it can be approved: the decision keeps
    # the revision and the ticks.
    revision = opened(client, url)
    assert approve(client, url, release, revision).status_code == 302
    decision = ReviewDecision.objects.get(release=release)
    assert (decision.revision, decision.checklist) == (revision, sorted(RELEASE_CHECKLIST))


def test_review_revision_a_paper_release_needs_every_checklist_item(client):
    release = make_release(ContributorFactory())
    client.force_login(StaffFactory())
    url = f"/review/releases/{release.uuid}/"
    revision = opened(client, url)
    response = approve(client, url, release, revision, checklist=RELEASE_CHECKLIST[:4])
    assert response.status_code == 409
    assert "tick every checklist item after checking it against the scan (1 not ticked)" in response.content.decode()
    assert ModelRelease.objects.get(pk=release.pk).status == ModelRelease.Status.PENDING
    # Bulk approval checked nothing against the scan: a pending paper release is refused there.
    result = services.review_bulk_approve(reviewer=StaffFactory(), releases=[release])
    assert result.approved == 0 and "5 not ticked" in result.errors[0][1]


def test_review_revision_a_photo_whose_release_changed_is_refused(client):
    contributor = ContributorFactory()
    photo = photo_with_people(contributor, status=Photo.Status.SUBMITTED)
    release = make_release(contributor, scopes=NARROW)
    attach(release, photo)
    client.force_login(StaffFactory())
    url = f"/review/photos/{photo.uuid}/"
    revision = opened(client, url)
    services.release_document_replace(release=release, document=pdf_upload(data=b"%PDF-1.4\n% another\n%%EOF\n"))
    response = approve(client, url, release, revision)
    assert response.status_code == 409
    assert "changed since you opened it" in response.content.decode()
    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.SUBMITTED
    revision = opened(client, url)
    assert approve(client, url, release, revision).status_code == 302
    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.APPROVED
    assert ReviewDecision.objects.get(release=release).checklist == sorted(RELEASE_CHECKLIST)
