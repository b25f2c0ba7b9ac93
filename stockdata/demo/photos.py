"""Demo photos: synthetic pictures sent through the real upload service and pipeline."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from catalog.curation import services as curation_services
from catalog.curation.selectors import CurationQuery
from catalog.models import AnnotationBox, AnnotationRun, Dataset, Photo
from catalog.photos import services
from licensing.consent import services as consent_services
from licensing.consent.selectors import photos_consent_scopes
from stockdata.accounts.models import Role, User
from stockdata.demo.synthetic import make_photo
from stockdata.errors import ApplicationError

# (contributor email, seed base, how many photos)
PLAN = [
    ("contributor@demo.stockdata.jp", 1000, 120),
    ("contributor2@demo.stockdata.jp", 5000, 95),
]
#: The demo's annotator: the person whose boxes (the generator's ground truth) the annotated edition holds.
ANNOTATOR_EMAIL = "annotator@demo.stockdata.jp"
#: Masked portraits are drawn smaller than the other photos, so the flagship masks dataset
#: can hold more than a hundred of them and the seed stays quick.
MASKED_PORTRAIT_SIZE = (1280, 1600)


def synthetic_args(index: int) -> dict:
    """How the demo draws its ``index``-th photo: three in four are masked portraits (so the masks
    dataset has material), one in eight a scene without people, the rest whatever the generator picks."""
    if index % 4 != 3:
        width, height = MASKED_PORTRAIT_SIZE
        return {"mask": True, "kind": "portrait", "width": width, "height": height}
    if index % 8 == 3:
        return {"kind": "scene"}
    return {}


def synthetic_of(original_filename: str):
    """The synthetic photo a demo upload was made from (its file name holds the seed), ground truth included."""
    seed = int(original_filename.removeprefix("IMG_").removesuffix(".jpg"))
    base = max(b for _email, b, _n in PLAN if b <= seed)
    return make_photo(seed, **synthetic_args(seed - base))


PREFECTURES = ["Tokyo", "Osaka", "Kyoto", "Hokkaido", "Fukuoka", "Aichi", "Okinawa"]


def _describe(photo: Photo, synthetic, index: int) -> None:
    services.photo_describe(
        photo=photo,
        title=synthetic.title[:200],
        title_ja=synthetic.title_ja[:200],
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
    """Upload, process, describe and submit demo photos, leaving a few drafts.

    ``settings.STOCKDATA_DEMO_SCALE`` shrinks the plan (the test suite seeds a tenth).
    """
    scale = getattr(settings, "STOCKDATA_DEMO_SCALE", 1.0)
    for email, base, full_count in plan:
        count = max(1, round(full_count * scale))
        contributor = User.objects.filter(email=email, role=Role.CONTRIBUTOR).first()
        if contributor is None:
            continue
        have = Photo.objects.filter(contributor=contributor).count()
        made = 0
        annotator = User.objects.filter(email=ANNOTATOR_EMAIL).first()
        for index in range(have, count):
            synthetic = make_photo(base + index, **synthetic_args(index))
            with transaction.atomic():
                try:
                    photo = services.photo_upload(
                        contributor=contributor,
                        file=SimpleUploadedFile(f"IMG_{base + index:05d}.jpg", synthetic.data, "image/jpeg"),
                    )
                except ApplicationError as exc:
                    out(f"  skipped seed {base + index}: {exc.message}")
                    continue
            services.photo_process(photo_id=photo.pk)
            photo.refresh_from_db()
            _describe(photo, synthetic, index)
            if annotator is not None and synthetic.face_boxes:
                # The annotator's boxes: where the generator drew every face and mask.
                services.boxes_replace(photo=photo, by=annotator, boxes=synthetic.ground_truth())
            if index % 8 != 7:  # leave some drafts for the portal to show (never a masked portrait)
                services.photo_submit(photo=photo)
            made += 1
        out(f"  {contributor.email}: {made} new photos ({have + made} in all)")


def seed_reviews(out) -> None:
    """The reviewer clears most of the queue: photos whose releases are approved get approved,
    one photo is rejected with a reason, and a handful stay waiting so the queue has work."""
    reviewer = User.objects.filter(email="reviewer@demo.stockdata.jp").first()
    if reviewer is None:
        return
    submitted = list(Photo.objects.filter(status=Photo.Status.SUBMITTED).order_by("submitted_at", "pk"))
    if not submitted:
        out("  nothing waiting for review")
        return
    scopes = photos_consent_scopes([p.pk for p in submitted])
    ready = [p for p in submitted if p.no_people or scopes.get(p.pk)]
    keep_waiting = 4
    approved = rejected = 0
    if not Photo.objects.filter(status=Photo.Status.REJECTED).exists() and ready:
        consent_services.photo_review_reject(
            photo=ready.pop(), reviewer=reviewer, reason="quality", note="The face is slightly out of focus."
        )
        rejected += 1
    for photo in ready[: max(0, len(ready) - keep_waiting)]:
        try:
            consent_services.photo_review_approve(photo=photo, reviewer=reviewer)
            approved += 1
        except ApplicationError as exc:
            out(f"  left {photo.uuid} in the queue: {exc.message}")
    out(
        f"  approved {approved} photos, rejected {rejected}, {Photo.objects.filter(status=Photo.Status.SUBMITTED).count()} still waiting"
    )


DEMO_DATASETS = [
    dict(
        slug="japanese-faces-with-masks",
        title_en="Japanese faces wearing masks",
        title_ja="マスクを着用した日本人の顔",
        description_en="Frontal and three-quarter portraits of Japanese people wearing surgical masks, indoors and "
        "outdoors, with self-declared age band and gender. Every person signed a release that consents to AI "
        "training, biometric processing and unique identification.",
        description_ja="サージカルマスクを着用した日本人の正面・斜めのポートレート（屋内・屋外）。年代と性別は本人申告。"
        "全員がAI学習・生体情報の処理・個人識別に同意するモデルリリースに署名しています。",
        category="faces",
        required_scopes=["ai_training", "biometric", "unique_identification"],
        target_size=1000,
        query={"tags_all": ["mask"], "people": "with"},
        annotated=True,
    ),
    dict(
        slug="people-everyday-life-japan",
        title_en="People in everyday life in Japan",
        title_ja="日本の日常生活の人物",
        description_en="People at work, on the street and at home across Japan, with and without masks: for person "
        "detection and attribute recognition. Consent to AI training for every person.",
        description_ja="職場・街頭・家庭など日本各地の日常の人物（マスクあり・なし）。人物検出や属性認識に。全員がAI学習に同意済み。",
        category="people",
        required_scopes=["ai_training"],
        target_size=500,
        query={"people": "with", "max_per_contributor": 30, "balance_by": "gender"},
        annotated=False,
    ),
    dict(
        slug="japanese-cityscapes-and-landscapes",
        title_en="Japanese cityscapes and landscapes",
        title_ja="日本の都市と風景",
        description_en="Cities, rice fields, mountains and beaches of Japan in daylight and at night, with no people: "
        "for scene classification and background modelling.",
        description_ja="日本の都市・田園・山・海辺の昼夜の風景（人物なし）。シーン分類や背景モデリングに。",
        category="scenes",
        required_scopes=["ai_training"],
        target_size=300,
        query={"people": "without"},
        annotated=False,
        price_unedited=55_000,
        price_annotated=88_000,
    ),
]


def _iou(a: dict, b) -> float:
    ix = max(0, min(a["x"] + a["w"], b.x + b.w) - max(a["x"], b.x))
    iy = max(0, min(a["y"] + a["h"], b.y + b.h) - max(a["y"], b.y))
    inter = ix * iy
    return inter / (a["w"] * a["h"] + b.w * b.h - inter) if inter else 0.0


def annotate_with_proposals(dataset: Dataset, out) -> None:
    """The annotator's pass over an annotated dataset, as a person does it in the box editor.

    The detector proposes faces; a proposal that overlaps a face the annotator drew (IoU >= 0.3)
    is kept and moved onto it, the others are rejected (and recorded as such); faces and masks
    the detector missed stay the annotator's own. The annotator then marks the photo complete.
    The boxes that result are exactly the generator's ground truth.
    """
    annotator = User.objects.get(email=ANNOTATOR_EMAIL)
    kept = rejected = 0
    for photo in dataset.photos.order_by("pk"):
        if not AnnotationRun.objects.filter(photo=photo).exists():
            services.photo_propose_boxes(photo_id=photo.pk)
        mine = list(
            AnnotationBox.objects.filter(photo=photo, confirmed_by=annotator, source=AnnotationBox.Source.HUMAN)
            .order_by("pk")
            .values("label", "x", "y", "w", "h")
        )
        proposals = list(
            AnnotationBox.objects.filter(photo=photo, source=AnnotationBox.Source.DETECTOR, confirmed=False)
        )
        boxes = []
        for box in mine:
            best = max((p for p in proposals if box["label"] == "face"), key=lambda p: _iou(box, p), default=None)
            if best is not None and _iou(box, best) >= 0.3:
                proposals.remove(best)
                boxes.append({**box, "id": best.pk})
                kept += 1
            else:
                boxes.append(box)
        rejected += len(proposals)
        services.boxes_replace(photo=photo, by=annotator, boxes=boxes, complete=True)
    out(f"  annotated {dataset.slug}: {kept} detector proposals kept, {rejected} rejected")


def seed_datasets(out) -> None:
    """Three published datasets of different categories, one annotated (boxes checked and every photo
    marked complete by the demo annotator)."""
    staff = User.objects.filter(email="reviewer@demo.stockdata.jp").first()
    if staff is None:
        return
    for spec in DEMO_DATASETS:
        spec = dict(spec)
        query, annotated = spec.pop("query"), spec.pop("annotated")
        dataset = Dataset.objects.filter(slug=spec["slug"]).first()
        if dataset is not None and dataset.versions.exists():
            out(f"  exists  {dataset.slug} v{dataset.latest_version.number if dataset.latest_version else '?'}")
            continue
        dataset = dataset or curation_services.dataset_create(**spec)
        count = curation_services.dataset_apply_query(dataset=dataset, query=CurationQuery.from_dict(query))
        if not count:
            out(f"  skipped {dataset.slug}: no eligible photos yet")
            continue
        if annotated:
            annotate_with_proposals(dataset, out)
        version = curation_services.dataset_version_freeze(
            dataset=dataset, by=staff, annotated=annotated, notes="Demo version"
        )
        curation_services.dataset_publish(dataset=dataset)
        out(f"  published {dataset.slug} v{version.number}: {version.photo_count} photos, {version.box_count} boxes")
