"""Demo photos: synthetic pictures sent through the real upload service and pipeline."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from catalog import services
from catalog.models import Photo
from catalog.synthetic import make_photo
from stockdata.accounts.models import Role, User

# (contributor email, seed base, how many photos)
PLAN = [
    ("contributor@demo.stockdata.jp", 1000, 48),
    ("contributor2@demo.stockdata.jp", 5000, 36),
]
PREFECTURES = ["Tokyo", "Osaka", "Kyoto", "Hokkaido", "Fukuoka", "Aichi", "Okinawa"]


def _describe(photo: Photo, synthetic, index: int) -> None:
    services.photo_describe(
        photo=photo,
        title=f"{synthetic.title} / {synthetic.title_ja}"[:200],
        description=f"Synthetic demo photo ({synthetic.kind}, {synthetic.setting}).",
        tags=[*synthetic.tags, *synthetic.tags_ja],
        lighting=synthetic.lighting,
        prefecture=PREFECTURES[index % len(PREFECTURES)],
        country="JP",
        shoot_date=dt.date(2026, 1 + index % 10, 1 + index % 27),
        no_people=not synthetic.subjects,
        subjects=[
            services.SubjectData(
                age_band=s.age_band,
                gender=s.gender,
                ethnicity="Japanese",
                mask=s.mask,
                glasses=s.glasses,
                hat=s.hat,
                angle=synthetic.angle,
            )
            for s in synthetic.subjects
        ],
    )


def seed_photos(out, plan=PLAN) -> None:
    """Upload, process, describe and submit demo photos; leave a few drafts and one corrupt-free refusal."""
    for email, base, count in plan:
        contributor = User.objects.filter(email=email, role=Role.CONTRIBUTOR).first()
        if contributor is None:
            continue
        have = Photo.objects.filter(contributor=contributor).count()
        made = 0
        for index in range(have, count):
            # Every fourth photo is a masked portrait, so mask datasets have material.
            synthetic = make_photo(base + index, mask=True if index % 4 == 0 else None, kind="portrait" if index % 4 == 0 else None)
            with transaction.atomic():
                try:
                    photo = services.photo_upload(
                        contributor=contributor,
                        file=SimpleUploadedFile(f"IMG_{base + index:05d}.jpg", synthetic.data, "image/jpeg"),
                    )
                except services.ApplicationError as exc:
                    out(f"  skipped seed {base + index}: {exc.message}")
                    continue
            services.photo_process(photo_id=photo.pk)
            photo.refresh_from_db()
            _describe(photo, synthetic, index)
            if index % 6 != 5:  # leave some drafts for the portal to show
                services.photo_submit(photo=photo)
            made += 1
        out(f"  {contributor.email}: {made} new photos ({have + made} in all)")
