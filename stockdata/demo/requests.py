"""Demo datasets made to order: Tokyo Vision Labs' requests in each state, and a mission that
contributors are shooting for (its progress is computed from the photos' review and consent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import Photo, PhotoSubject
from licensing.commerce import selectors, services
from licensing.commerce.models import DatasetRequest, MissionPhoto
from stockdata.accounts.models import User


@dataclass(frozen=True)
class DemoRequest:
    title: str
    status: str
    fields: dict = field(default_factory=dict)
    offer: dict = field(default_factory=dict)
    decline_reason: str = ""


REQUESTS = [
    DemoRequest(
        "Office workers wearing glasses",
        DatasetRequest.Status.SUBMITTED,
        {
            "photo_count": 500,
            "budget": 2_200_000,
            "glasses": "yes",
            "lighting": ["indoor"],
            "setting": "office",
            "required_scopes": ["ai_training"],
            "description": "Glasses reflections confuse our gaze tracker; we need office scenes under fluorescent light.",
        },
    ),
    DemoRequest(
        "People over 60 wearing masks",
        DatasetRequest.Status.OFFERED,
        {
            "photo_count": 200,
            "budget": 1_650_000,
            "age_bands": ["60plus"],
            "mask": "yes",
            "required_scopes": ["ai_training"],
            "annotated": True,
            "description": "Face detection for an elderly-care robot: older faces with masks are where it fails.",
        },
        {"price": 1_320_000, "days": 75, "bonus_per_photo": 500, "exclusive_days": 180},
    ),
    DemoRequest(
        "Children at primary school",
        DatasetRequest.Status.DECLINED,
        {"photo_count": 1000, "budget": 3_000_000, "age_bands": ["child"], "required_scopes": ["ai_training"]},
        decline_reason="We do not run missions for photos of children: each needs a guardian's signature in person, "
        "which we cannot arrange at this scale. Our catalogue has no dataset of children either.",
    ),
    DemoRequest(
        "Three-quarter portraits in daylight",
        DatasetRequest.Status.ACCEPTED,
        {
            "photo_count": 300,
            "budget": 1_100_000,
            "angles": ["three_quarter"],
            "lighting": ["daylight"],
            "required_scopes": ["ai_training", "publication"],
            "show_buyer_name": True,
        },
        {"price": 990_000, "days": 60, "bonus_per_photo": 300, "exclusive_days": 0},
    ),
]


@transaction.atomic
def seed_dataset_requests(out) -> None:
    purchaser = User.objects.get(email="purchaser@demo.stockdata.jp")
    staff = User.objects.get(email="reviewer@demo.stockdata.jp")
    today = timezone.localdate()
    for spec in REQUESTS:
        existing = DatasetRequest.objects.filter(organisation_id=purchaser.organisation_id, title=spec.title).first()
        if existing is not None:
            out(f"  exists  {existing.status:<10} {spec.title}")
            continue
        request = services.dataset_request_submit(
            user=purchaser, title=spec.title, deadline=today + timedelta(days=90), **spec.fields
        )
        if spec.status == DatasetRequest.Status.DECLINED:
            services.dataset_request_decline(request=request, staff=staff, reason=spec.decline_reason)
        elif spec.offer:
            offer = dict(spec.offer)
            request = services.dataset_request_offer(
                request=request, staff=staff, delivery_on=today + timedelta(days=offer.pop("days")), **offer
            )
            if spec.status == DatasetRequest.Status.ACCEPTED:
                services.dataset_request_accept(request=request, user=purchaser)
        out(f"  created {spec.status:<10} {spec.title}")
    _seed_mission_photos(out)


def _seed_mission_photos(out) -> None:
    """The demo contributor enters their photos of people over 60 with masks for the mission."""
    mission = DatasetRequest.objects.get(
        title="People over 60 wearing masks", organisation__name="Tokyo Vision Labs K.K."
    )
    contributor = User.objects.get(email="contributor@demo.stockdata.jp")
    fitting = (
        PhotoSubject.objects.filter(photo__contributor=contributor, age_band="60plus", mask=True)
        .exclude(photo__status=Photo.Status.REJECTED)
        .values_list("photo__uuid", flat=True)
        .distinct()
    )
    if not MissionPhoto.objects.filter(request=mission).exists() and fitting:
        services.mission_photos_add(request=mission, contributor=contributor, photo_uuids=list(fitting))
    progress = selectors.mission_progress(mission)
    out(
        f"  mission “{mission.title}”: {progress.entered} photos entered, {progress.counted} of {progress.needed} count"
    )
