"""The generative AI training scope: a line of its own, held only where every person shown granted it."""

import importlib

import pytest
from django.apps import apps

from catalog.curation import services as curation_services
from catalog.models import Dataset, Photo
from catalog.storefront.pages import generative_ai_sentence
from licensing.consent.models import ConsentReceipt, ConsentScope
from licensing.consent.selectors import photos_consent_scopes, photos_holding_scopes
from licensing.consent.tests.factories import PhotoFactory, SubjectFactory, attach, make_release
from licensing.delivery.archive import formats
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db

OLD_SCOPES = ("publication", "ai_training", "biometric", "unique_identification")
GENERATIVE = ("publication", "ai_training", "generative_ai_training")


def photo_of(contributor, releases, phash):
    photo = PhotoFactory(contributor=contributor, status=Photo.Status.APPROVED, phash=phash)
    for position, release in enumerate(releases, start=1):
        SubjectFactory(photo=photo, position=position)
        attach(release, photo, position)
    return photo


def test_generative_dataset_admits_only_photos_whose_every_subject_granted_it():
    contributor, staff = ContributorFactory(), StaffFactory()
    granted = make_release(contributor, scopes=GENERATIVE, approve_by=staff)
    also_granted = make_release(contributor, scopes=GENERATIVE, approve_by=staff, subject_name="Sato Yui")
    not_granted = make_release(contributor, scopes=OLD_SCOPES, approve_by=staff, subject_name="Ito Jun")
    both = photo_of(contributor, [granted, also_granted], "0000000000000000")
    one_lacks = photo_of(contributor, [granted, not_granted], "ffffffffffffffff")
    alone_lacks = photo_of(contributor, [not_granted], "0f0f0f0f0f0f0f0f")
    ds = Dataset.objects.create(
        slug="gen", title_en="Generative", title_ja="生成", required_scopes=["generative_ai_training"]
    )

    with pytest.raises(curation_services.ApplicationError, match="cannot enter this dataset"):
        curation_services.dataset_add_photos(dataset=ds, photos=[one_lacks])
    with pytest.raises(curation_services.ApplicationError, match="cannot enter this dataset"):
        curation_services.dataset_add_photos(dataset=ds, photos=[alone_lacks])
    curation_services.dataset_add_photos(dataset=ds, photos=[both])

    version = curation_services.dataset_version_freeze(dataset=ds, by=staff)
    assert [i.photo_id for i in version.items.all()] == [both.pk]
    assert version.items.get().scopes == sorted(GENERATIVE)
    # The frozen version (and so every bundle's metadata) names each person's consent receipt by
    # id and SHA-256 only: no name, no contact.
    receipts_by_release = {r.release_id: r for r in ConsentReceipt.objects.filter(release__in=[granted, also_granted])}
    assert [s["consent_receipt"] for s in version.items.get().subjects] == [
        {"id": str(receipts_by_release[r.pk].uuid), "sha256": receipts_by_release[r.pk].sha256}
        for r in (granted, also_granted)
    ]
    assert "Yamada" not in str(version.items.get().subjects)
    # The stored masks (catalogue counts) and the rule agree.
    held = photos_holding_scopes(Photo.objects.all(), ["generative_ai_training"])
    assert list(held.values_list("pk", flat=True)) == [both.pk]
    assert photos_consent_scopes([one_lacks.pk])[one_lacks.pk] == frozenset({"publication", "ai_training"})


def test_generative_scope_is_not_held_by_releases_signed_before_it():
    """Migration 0015 adds the line; releases that exist then were never ticked for it."""
    contributor, staff = ContributorFactory(), StaffFactory()
    ConsentScope.objects.filter(code="generative_ai_training").delete()
    old = make_release(contributor, scopes=OLD_SCOPES, approve_by=staff)
    with_people = photo_of(contributor, [old], "0000000000000000")
    no_people = PhotoFactory(contributor=contributor, status=Photo.Status.APPROVED, no_people=True)

    migration = importlib.import_module("licensing.migrations.0019_generative_ai_scope")
    migration.add_scope(apps, None)

    scope = ConsentScope.objects.get(code="generative_ai_training")
    assert (scope.is_ai_use, scope.is_biometric) == (True, False)
    assert "generative_ai_training" not in photos_consent_scopes([with_people.pk])[with_people.pk]
    no_people.refresh_from_db()
    with_people.refresh_from_db()
    assert no_people.scope_mask & scope.mask == scope.mask
    assert with_people.scope_mask & scope.mask == 0


def test_generative_training_terms_in_bundle_metadata_and_licence():
    assert formats.ai_training_terms(["ai_training", "generative_ai_training"])["plus:DataMining"].endswith(
        "/DMI-ALLOWED"
    )
    terms = formats.ai_training_terms(["ai_training", "biometric"])
    assert terms["plus:DataMining"] == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-GENAIMLTRAINING"
    assert terms["cawg.training-mining"] == {
        "cawg.ai_training": {"use": "allowed"},
        "cawg.ai_generative_training": {"use": "notAllowed"},
    }
    # Generative without plain AI training is not a coherent grant: nothing is allowed.
    assert formats.ai_training_terms(["generative_ai_training"])["plus:DataMining"].endswith(
        "/DMI-PROHIBITED-AIMLTRAINING"
    )
    licence = formats.license_txt(
        buyer_organisation="Acme",
        order_number="O-1",
        dataset_title="T",
        dataset_slug="t",
        version=1,
        edition="unedited",
        licence_name="L",
        licence_terms="terms",
        issued_on="2026-12-07",
        required_scopes=["ai_training", "publication"],
    ).decode()
    assert "Consent:       ai_training, publication" in licence
    assert "Generative AI training: NOT permitted." in licence
    assert generative_ai_sentence({"ai_training", "generative_ai_training"}).startswith(
        "Generative AI training is permitted"
    )
    assert generative_ai_sentence({"ai_training"}).startswith("Generative AI training is not permitted")
