import pytest
from django.apps import apps

from catalog.models import Photo
from licensing.consent import selectors
from licensing.consent.tests.factories import PhotoFactory, SubjectFactory
from licensing.models import ModelRelease
from stockdata.accounts.models import User
from stockdata.demo import seed_accounts
from stockdata.demo.releases import REJECTED_REFERENCE, WAITING_REFERENCE, seed_releases

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_app_config("licensing").get_models()}


def test_without_demo_photos_nothing_is_created():
    seed_accounts(lambda line: None)
    before = counts()
    seed_releases(lambda line: None)
    assert counts() == before
    assert not ModelRelease.objects.exists()


def test_seed_releases_covers_every_person_once_and_is_idempotent():
    seed_accounts(lambda line: None)
    contributor = User.objects.get(email="contributor@demo.stockdata.jp")
    photos = []
    for i, (status, people) in enumerate(
        [("submitted", 2), ("submitted", 1), ("submitted", 1), ("submitted", 1), ("approved", 1), ("draft", 3)]
    ):
        photo = PhotoFactory(contributor=contributor, status=status)
        for position in range(1, people + 1):
            SubjectFactory(photo=photo, position=position, age_band="child" if i == 5 and position == 1 else "20s")
        photos.append(photo)
    PhotoFactory(contributor=contributor, no_people=True, status="approved")
    lines = []
    seed_releases(lines.append)
    first = counts()
    seed_releases(lambda line: None)
    assert counts() == first

    # 9 people (2 of them signed on the signing page, one a minor) + 1 rejected example + 1 paper
    # release waiting for its subject to confirm their address.
    assert ModelRelease.objects.count() == 11
    signed = ModelRelease.objects.filter(origin="digital").order_by("pk")
    assert [(r.is_minor, r.status, r.receipts.count()) for r in signed] == [
        (False, "approved", 1),
        (True, "approved", 1),
    ]
    assert signed[1].guardian_signature.name and signed[1].guardian_relation
    waiting = ModelRelease.objects.get(reference=WAITING_REFERENCE)
    assert (waiting.status, waiting.contact_confirmed_at, waiting.withdrawal_token_hash) == ("approved", None, "")
    assert all(hasattr(s, "release_link") for p in photos for s in p.subjects.all())
    # The people of the first three submitted photos (2 + 1 + 1) wait in the queue with their photo.
    assert ModelRelease.objects.filter(status="pending").count() == 4
    rejected = ModelRelease.objects.get(status="rejected")
    assert (rejected.reference, rejected.rejection_reason) == (REJECTED_REFERENCE, "signature_missing")
    assert ModelRelease.objects.get(status="approved", is_minor=True, origin="paper").guardian_name
    scopes = selectors.photos_consent_scopes([p.pk for p in photos])
    assert scopes[photos[4].pk]  # the approved photo holds scopes
    assert len({frozenset(s) for s in scopes.values()}) > 1  # and they differ between photos
    assert any("/consent/" in line for line in lines)
    assert Photo.objects.filter(status="submitted").count() == 4
