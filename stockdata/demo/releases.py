"""Demo model releases for ``make run``: every consent feature visible, safe to run twice.

For each person in the demo contributors' photos that has no release yet, a release is
uploaded (a generated scan of a signed form) and attached, with varied consent scopes.
Most are approved by the demo reviewer; a few stay pending so the review queue has work,
and one release is rejected with a reason. With no demo photos it creates nothing.
"""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Prefetch
from PIL import Image, ImageDraw, ImageFont

from catalog.models import AgeBand, Photo, PhotoSubject
from licensing.consent import services
from licensing.consent.models import ConsentScope, ModelRelease
from stockdata.accounts.models import User
from stockdata.demo.accounts import ACCOUNTS

REVIEWER_EMAIL = next(a.email for a in ACCOUNTS if a.role == "reviewer")
CONTRIBUTOR_EMAILS = [a.email for a in ACCOUNTS if a.role == "contributor"]

SCOPE_SETS = [
    ("publication", "ai_training", "biometric", "unique_identification"),
    ("publication", "ai_training", "biometric", "unique_identification"),
    ("publication", "ai_training", "biometric"),
    ("publication", "ai_training", "biometric", "unique_identification"),
    ("publication", "ai_training"),
    ("publication", "ai_training", "biometric", "unique_identification"),
    ("publication", "ai_training", "biometric", "unique_identification"),
    ("publication", "ai_training", "biometric", "unique_identification"),
    ("publication", "ai_training", "biometric", "unique_identification"),
    ("publication",),
]
PENDING_ITEMS = 3
REJECTED_REFERENCE = "Demo: form without signature"

FAMILY = ["Yamada", "Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Watanabe", "Nakamura", "Kobayashi", "Kato"]
GIVEN = ["Hanako", "Yui", "Haruto", "Sora", "Mei", "Ren", "Aoi", "Riku", "Hina", "Yuto", "Sakura", "Kaito"]
MINOR_BANDS = {AgeBand.CHILD, AgeBand.TEEN}

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]


@lru_cache(maxsize=4)
def _font(size: int):
    for path in FONT_CANDIDATES:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def release_scan(
    *, subject_id: str, name: str, signed_on: date, scopes: tuple[str, ...], signed: bool = True, guardian: str = ""
) -> bytes:
    """A JPEG that looks like a scanned, hand-signed release form (A4 at 100 dpi)."""
    image = Image.new("RGB", (827, 1169), (252, 251, 246))
    draw = ImageDraw.Draw(image)
    ink, grey = (25, 30, 60), (120, 120, 120)
    draw.text((60, 50), "MODEL RELEASE / モデルリリース（肖像権使用同意書）", font=_font(26), fill=ink)
    draw.line((60, 95, 767, 95), fill=grey, width=2)
    y = 120
    for label, value in [
        ("Model name / 氏名", name),
        ("Form no. / 番号", subject_id),
        ("Date signed / 署名日", signed_on.isoformat()),
        ("Photographer / 撮影者", "Stockdata demo"),
    ]:
        draw.text((60, y), label, font=_font(16), fill=grey)
        draw.text((320, y - 2), value, font=_font(20), fill=ink)
        draw.line((320, y + 26, 767, y + 26), fill=grey)
        y += 52
    y += 20
    draw.text((60, y), "I consent to the following uses / 以下の利用に同意します:", font=_font(18), fill=ink)
    y += 40
    for scope in ConsentScope.objects.all():
        draw.rectangle((70, y, 92, y + 22), outline=ink, width=2)
        if scope.code in scopes:
            draw.line((73, y + 11, 80, y + 19), fill=(20, 40, 160), width=4)
            draw.line((80, y + 19, 92, y - 2), fill=(20, 40, 160), width=4)
        draw.text((110, y), f"{scope.name_en}", font=_font(16), fill=ink)
        draw.text((110, y + 22), scope.name_ja, font=_font(14), fill=grey)
        y += 58
    for line in range(6):
        draw.line((60, y + 20 + line * 22, 767, y + 20 + line * 22), fill=(215, 215, 215))
    y += 180
    draw.text((60, y), "Signature / 署名", font=_font(16), fill=grey)
    draw.line((320, y + 40, 700, y + 40), fill=grey)
    if signed:
        points = [(330 + i * 9, y + 30 - int(14 * ((i * 7) % 5 - 2) / 2)) for i in range(38)]
        draw.line(points, fill=(20, 40, 160), width=3, joint="curve")
    if guardian:
        y += 80
        draw.text((60, y), "Guardian / 保護者", font=_font(16), fill=grey)
        draw.text((320, y - 2), guardian, font=_font(20), fill=ink)
        draw.line([(330 + i * 8, y + 48 - (i % 4) * 5) for i in range(30)], fill=(20, 40, 160), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _fields(n: int, subject: PhotoSubject | None, photo: Photo | None) -> dict:
    name = f"{FAMILY[n % len(FAMILY)]} {GIVEN[(n * 7) % len(GIVEN)]}"
    band = (subject.age_band if subject else "") or AgeBand.AGE_30S
    minor = band in MINOR_BANDS
    title = (photo.title if photo else "")[:60] or "studio session"
    shoot = (photo.shoot_date if photo and photo.shoot_date else None) or date(2026, 4, 1) - timedelta(days=n % 90)
    return dict(
        reference=f"Demo: {title} #{subject.position if subject else 1}",
        subject_name=name,
        subject_contact=f"+81 90-{1000 + n:04d}-{(n * 37) % 10000:04d}",
        age_band=band,
        is_minor=minor,
        guardian_name=f"{FAMILY[n % len(FAMILY)]} Kazuko" if minor else "",
        guardian_signed=minor,
        signed_on=shoot,
        shoot_date=shoot,
        shoot_place=(photo.prefecture if photo and photo.prefecture else "Tokyo"),
        photographer_name="Stockdata demo",
        witness_name="Reviewer Suzuki" if n % 3 == 0 else "",
        form_language="ja" if n % 4 else "en",
    )


def _create(contributor, n: int, scopes, subject=None, photo=None, *, signed: bool = True) -> ModelRelease:
    fields = _fields(n, subject, photo)
    scan = release_scan(
        subject_id=f"#{n}",
        name=fields["subject_name"],
        signed_on=fields["signed_on"],
        scopes=scopes,
        signed=signed,
        guardian=fields["guardian_name"],
    )
    return services.release_create(
        contributor=contributor, document=SimpleUploadedFile("release.jpg", scan), scopes=scopes, **fields
    )


@transaction.atomic
def seed_releases(out) -> None:
    contributors = list(User.objects.filter(email__in=CONTRIBUTOR_EMAILS).order_by("email"))
    reviewer = User.objects.filter(email=REVIEWER_EMAIL).first()
    photos = list(
        Photo.objects.filter(contributor__in=contributors, no_people=False)
        .prefetch_related(
            Prefetch("subjects", queryset=PhotoSubject.objects.select_related("release_link").order_by("position"))
        )
        .order_by("contributor_id", "created_at", "pk")
    )
    if not photos or reviewer is None:
        out("  no demo photos with people yet: no releases")
        return
    services.consent_scopes_ensure()
    _seed_signed_by_the_subject(contributors, photos, out)

    counter = itertools.count(ModelRelease.objects.count() + 1)
    created = approved = pending = 0
    pending_left = (
        PENDING_ITEMS
        - ModelRelease.objects.filter(contributor__in=contributors, status=ModelRelease.Status.PENDING).count()
    )
    # Submitted photos with pending releases are what the queue shows first, together.
    photos.sort(key=lambda p: p.status != Photo.Status.SUBMITTED)
    for photo in photos:
        uncovered = [s for s in photo.subjects.all() if not hasattr(s, "release_link")]
        if not uncovered:
            continue
        keep_pending = pending_left > 0 and photo.status == Photo.Status.SUBMITTED
        for subject in uncovered:
            n = next(counter)
            release = _create(photo.contributor, n, SCOPE_SETS[n % len(SCOPE_SETS)], subject, photo)
            services.release_attach(release=release, subject=subject)
            created += 1
            if keep_pending:
                pending += 1
            else:
                services.release_approve(release=release, reviewer=reviewer)
                approved += 1
        if keep_pending:
            pending_left -= 1

    owner = contributors[0]
    if not ModelRelease.objects.filter(contributor=owner, reference=REJECTED_REFERENCE).exists():
        n = next(counter)
        release = _create(owner, n, SCOPE_SETS[0], signed=False)
        services.release_update(release=release, reference=REJECTED_REFERENCE)
        services.release_reject(
            release=release,
            reviewer=reviewer,
            reason="signature_missing",
            note="The signature line on the form is empty. Upload a scan of the signed form.",
        )
        created += 1
        out(f"  created rejected release {release.subject_id} (signature missing)")
    out(f"  created {created} releases: {approved} approved, {pending} pending review")
    _seed_paper_waiting_for_confirmation(owner, reviewer, counter, out)

    example = (
        ModelRelease.objects.filter(contributor__in=contributors, status=ModelRelease.Status.APPROVED)
        .order_by("pk")
        .first()
    )
    if example is not None:
        path = services.release_withdrawal_link_issue(release=example)
        link = settings.SITE_URL.rstrip("/") + path
        out(f"  the subject of {example.subject_id} sees and withdraws consent at: {link}")


# --- Releases the subject signs, and a paper one waiting for the subject's confirmation -------------

SIGNED_DEMO = [
    # (name, e-mail, minor, scopes ticked by the subject)
    ("Mori Aiko", "aiko.mori@example.jp", False, ("publication", "ai_training", "generative_ai_training")),
    ("Mori Sota", "sota.mori@example.jp", True, ("publication", "ai_training")),
]
WAITING_REFERENCE = "Demo: paper release, subject not confirmed yet"


def _signature_png(seed: int) -> bytes:
    image = Image.new("RGB", (480, 160), "white")
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 11, 90 - int(30 * (((i * (seed + 3)) % 7) - 3) / 3)) for i in range(38)]
    draw.line(points, fill=(20, 20, 20), width=4, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _seed_signed_by_the_subject(contributors, photos, out) -> None:
    """Two releases signed through the signing page's own services: an adult's and a minor's (with
    the guardian's signature). The demo subject reads the code from the queued e-mail, as a person would."""
    from stockdata.mail.models import OutgoingEmail

    if ModelRelease.objects.filter(contributor__in=contributors, origin=ModelRelease.Origin.DIGITAL).exists():
        return
    uncovered = [(p, s) for p in photos for s in p.subjects.all() if not hasattr(s, "release_link")]
    for n, (name, email, minor, scopes) in enumerate(SIGNED_DEMO):
        if n >= len(uncovered):
            return
        photo, subject = uncovered[-1 - n]  # the last photos: the first ones keep their paper releases
        request, _path = services.release_request_create(
            contributor=photo.contributor,
            subject_name=name,
            email=email,
            is_minor=minor,
            subjects=[subject],
            mode="on_location",
            language="ja",
            photographer_name="Stockdata demo",
            shoot_place=photo.prefecture or "Tokyo",
        )
        services.release_request_code_send(request=request)
        code = OutgoingEmail.objects.filter(key__startswith="release-code:", to=[email]).latest("pk").subject[-6:]
        services.release_request_code_check(request=request, code=code)
        release = services.release_request_sign(
            request=request,
            scopes=scopes,
            full_name=name,
            signature_png=_signature_png(n),
            guardian_name="Mori Kazuko" if minor else "",
            guardian_relation="mother / 母" if minor else "",
            guardian_signature_png=_signature_png(n + 5) if minor else b"",
        )
        subject.refresh_from_db()
        receipt = release.receipts.get()
        out(
            f"  {name} signed release {release.subject_id} on the signing page{' (a minor, with a guardian)' if minor else ''}; "
            f"receipt {receipt.uuid}"
        )


def _seed_paper_waiting_for_confirmation(owner, reviewer, counter, out) -> None:
    """A paper release whose e-mail address the photographer typed: approved, but its private link
    waits until the subject confirms the address (the confirmation e-mail is in the outbox)."""
    if ModelRelease.objects.filter(contributor=owner, reference=WAITING_REFERENCE).exists():
        return
    n = next(counter)
    release = _create(owner, n, SCOPE_SETS[2])
    services.release_update(release=release, reference=WAITING_REFERENCE, subject_contact="ren.tanaka@example.jp")
    services.release_approve(release=release, reviewer=reviewer)
    out(
        f"  paper release {release.subject_id} approved; its link waits for the subject to confirm ren.tanaka@example.jp"
    )
