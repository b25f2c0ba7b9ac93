"""Factories for consent tests. Photos are rows only (no image files) unless a test needs the pipeline."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from catalog.models import Photo, PhotoSubject
from licensing.consent import services
from licensing.models import ModelRelease
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory

ALL_SCOPES = ("publication", "ai_training", "generative_ai_training", "biometric", "unique_identification")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf_upload(name: str = "release.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def png_bytes(width: int = 1000, height: int = 1400) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 245)).save(buffer, "PNG")
    return buffer.getvalue()


class PhotoFactory(DjangoModelFactory):
    class Meta:
        model = Photo
        skip_postgeneration_save = True

    contributor = factory.SubFactory(ContributorFactory)
    status = Photo.Status.DRAFT
    processing = Photo.Processing.READY
    original = factory.Sequence(lambda n: f"originals/test/{n}.jpg")
    original_filename = factory.Sequence(lambda n: f"photo-{n}.jpg")
    format = Photo.Format.JPEG
    width = 2400
    height = 1600
    byte_size = 1_000_000
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"photo-{n}".encode()).hexdigest())
    title = factory.Sequence(lambda n: f"Portrait {n}")
    submitted_at = factory.LazyAttribute(lambda o: timezone.now() if o.status != Photo.Status.DRAFT else None)

    @factory.post_generation
    def scope_mask(obj, create, extracted, **kwargs):
        """The row was written directly, not by a service: keep its stored consent mask as the services do."""
        if create:
            services.photos_scope_masks_refresh([obj.pk])
            obj.refresh_from_db(fields=["scope_mask"])


class SubjectFactory(DjangoModelFactory):
    class Meta:
        model = PhotoSubject

    photo = factory.SubFactory(PhotoFactory)
    position = factory.Sequence(lambda n: n + 1)
    age_band = "30s"
    gender = "female"


def photo_with_people(contributor, people: int = 1, **kwargs) -> Photo:
    photo = PhotoFactory(contributor=contributor, **kwargs)
    for position in range(1, people + 1):
        SubjectFactory(photo=photo, position=position)
    return photo


def release_fields(**overrides) -> dict:
    fields = dict(
        subject_name="Yamada Hanako",
        subject_contact="hanako@example.jp",
        date_of_birth=date(1990, 4, 1),
        age_band="30s",
        signed_on=date(2026, 3, 1),
        shoot_date=date(2026, 3, 1),
        shoot_place="Shibuya, Tokyo",
        photographer_name="Sato Ken",
        witness_name="Suzuki Ichiro",
        form_language="ja",
        reference="Shibuya shoot, model A",
    )
    fields.update(overrides)
    return fields


def make_release(contributor, *, scopes=ALL_SCOPES, approve_by=None, document=None, **overrides) -> ModelRelease:
    release = services.release_create(
        contributor=contributor, document=document or pdf_upload(), scopes=scopes, **release_fields(**overrides)
    )
    if approve_by is not None:
        release = services.release_approve(release=release, reviewer=approve_by)
    return release


def attach(release: ModelRelease, photo: Photo, position: int = 1):
    return services.release_attach(release=release, subject=photo.subjects.get(position=position))


__all__ = ["BuyerFactory", "ContributorFactory", "StaffFactory"]
