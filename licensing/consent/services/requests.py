"""Release requests: the person in the photo signs for themselves, on their own device or the photographer's.

The person's address is confirmed by a six-digit code sent to it before the signature counts;
each scope is ticked by them alone (nothing pre-ticked); a minor's guardian signs too. The signed
release is approved at once (there is no scan for a reviewer to read), stored with a bilingual PDF,
a receipt is issued, and the private link goes to the confirmed address.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from collections.abc import Collection, Sequence
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from catalog.models import PhotoSubject
from licensing.consent import documents
from licensing.consent.models import (
    ConsentReceipt,
    ConsentScope,
    ContactCode,
    ContactConfirmation,
    ModelRelease,
    Origin,
    ReleaseLink,
    ReleaseRequest,
    ReleaseScope,
    token_hash,
)
from licensing.consent.services.receipts import receipt_issue
from licensing.consent.services.scopes import photos_scope_masks_refresh
from licensing.consent.services.withdrawal import release_withdrawal_link_issue
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.mail.services import email_send_template, site_url

REQUEST_VALID = timedelta(days=30)
CODE_VALID = timedelta(minutes=30)
CODE_ATTEMPTS = 5
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MIN_INK = 30  # dark pixels: an empty canvas is not a signature


def _invalid(message, field: str = "") -> ApplicationError:
    return ApplicationError(message, code=ErrorCode.INVALID, field=field or None)


def signing_path(request: ReleaseRequest, secret: str) -> str:
    return reverse("licensing:release_sign", args=[f"{request.uuid.hex}.{secret}"])


@transaction.atomic
def release_request_create(
    *,
    contributor,
    subject_name: str,
    email: str,
    is_minor: bool,
    subjects: Sequence[PhotoSubject],
    mode: str = ReleaseRequest.Mode.REMOTE,
    language: str = "ja",
    photographer_name: str = "",
    shoot_date=None,
    shoot_place: str = "",
) -> tuple[ReleaseRequest, str]:
    """Ask a person to sign a release covering ``subjects`` (people in the contributor's own photos
    that have no release yet). Remote: the signing link is e-mailed to them. Returns the request and
    the signing page's path (which the photographer opens to hand the device over)."""
    if not subject_name.strip():
        raise _invalid(_("Enter the person's full name."), "subject_name")
    try:
        validate_email(email.strip())
    except ValidationError:
        raise _invalid(_("Enter a valid e-mail address."), "email") from None
    if not subjects:
        raise _invalid(_("Choose the people in your photos this release covers."), "subjects")
    if any(s.photo.contributor_id != contributor.pk for s in subjects):
        raise ApplicationError(_("Not found."), code=ErrorCode.NOT_FOUND, status=404)
    if ReleaseLink.objects.filter(subject__in=subjects).exists():
        raise _invalid(_("Some of these people already have a release."), "subjects")
    secret = secrets.token_urlsafe(24)
    request = ReleaseRequest.objects.create(
        contributor=contributor,
        subject_name=subject_name.strip(),
        email=email.strip(),
        is_minor=is_minor,
        language=language if language in ("ja", "en") else "ja",
        mode=mode,
        photographer_name=photographer_name.strip() or contributor.email,
        shoot_date=shoot_date,
        shoot_place=shoot_place.strip(),
        token_hash=token_hash(secret),
        expires_at=timezone.now() + REQUEST_VALID,
    )
    request.subjects.set(subjects)
    path = signing_path(request, secret)
    if mode == ReleaseRequest.Mode.REMOTE:
        email_send_template(
            key=f"release-request:{request.pk}",
            to=[request.email],
            template="mail/release_request",
            context={"photographer": request.photographer_name, "url": site_url(path, language=request.language)},
            language=request.language,
            secret=True,
        )
    return request, path


def release_request_for_token(token: str) -> ReleaseRequest | None:
    """The open, unexpired request a signing link opens, or None (compared in constant time)."""
    selector, _sep, secret = token.partition(".")
    try:
        request = ReleaseRequest.objects.filter(uuid=selector).first() if len(selector) == 32 else None
    except ValueError:
        request = None
    if request is None:
        hmac.compare_digest(token_hash(secret), "0" * 64)
        return None
    if not hmac.compare_digest(token_hash(secret), request.token_hash) or request.expires_at < timezone.now():
        return None
    return request


@transaction.atomic
def release_request_code_send(*, request: ReleaseRequest) -> None:
    """E-mail a new six-digit code to the person's address (earlier codes stop working)."""
    if request.status != ReleaseRequest.Status.OPEN:
        raise ApplicationError(_("This release is already signed."), code=ErrorCode.NOT_PENDING, status=409)
    ContactCode.objects.filter(request=request, used_at__isnull=True).update(used_at=timezone.now())
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = ContactCode.objects.create(
        request=request, email=request.email, code_hash=token_hash(code), expires_at=timezone.now() + CODE_VALID
    )
    email_send_template(
        key=f"release-code:{row.pk}",
        to=[request.email],
        template="mail/release_code",
        context={"code": code},
        language=request.language,
        secret=True,
    )


def release_request_code_check(*, request: ReleaseRequest, code: str) -> ReleaseRequest:
    """The person typed the code: their address is confirmed. Five wrong tries end a code (the count
    is committed even though the call then refuses)."""
    with transaction.atomic():
        row = (
            ContactCode.objects.select_for_update()
            .filter(request=request, used_at__isnull=True, expires_at__gte=timezone.now())
            .order_by("-created_at")
            .first()
        )
        right = row is not None and hmac.compare_digest(token_hash(code.strip()), row.code_hash)
        if row is not None and not right:
            row.attempts += 1
            if row.attempts >= CODE_ATTEMPTS:
                row.used_at = timezone.now()
            row.save(update_fields=["attempts", "used_at"])
        elif right:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            request.email_confirmed_at = timezone.now()
            request.save(update_fields=["email_confirmed_at"])
    if not right:
        raise ApplicationError(
            _("That code is not right or has expired. Check the latest e-mail, or ask for a new code."),
            code=ErrorCode.CODE_INVALID,
            field="code",
        )
    return request


def _signature(png: bytes, field: str) -> bytes:
    """A drawn signature: a PNG of sensible size with some ink on it, re-encoded (nothing else kept)."""
    if not png or len(png) > SIGNATURE_MAX_BYTES:
        raise _invalid(_("Draw the signature in the box."), field)
    try:
        image = Image.open(io.BytesIO(png))
        if image.format != "PNG" or image.width * image.height > 4_000_000:
            raise _invalid(_("Draw the signature in the box."), field)
        image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError):
        raise _invalid(_("Draw the signature in the box."), field) from None
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    white.alpha_composite(image)
    grey = white.convert("L")
    if sum(grey.histogram()[:128]) < SIGNATURE_MIN_INK:
        raise _invalid(_("Draw the signature in the box."), field)
    out = io.BytesIO()
    grey.save(out, "PNG", optimize=True)
    return out.getvalue()


def _one_band(request: ReleaseRequest) -> str:
    bands = set(request.subjects.values_list("age_band", flat=True))
    return bands.pop() if len(bands) == 1 else ""


@transaction.atomic
def release_request_sign(
    *,
    request: ReleaseRequest,
    scopes: Collection[str],
    full_name: str,
    signature_png: bytes,
    guardian_name: str = "",
    guardian_relation: str = "",
    guardian_signature_png: bytes = b"",
) -> ModelRelease:
    """The person signs: only after confirming their address; the scopes are exactly those ticked;
    a minor's guardian names themselves, their relation, and signs. The release holds from now."""
    request = ReleaseRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ReleaseRequest.Status.OPEN:
        raise ApplicationError(_("This release is already signed."), code=ErrorCode.NOT_PENDING, status=409)
    if request.email_confirmed_at is None:
        raise ApplicationError(
            _("Confirm your e-mail address with the code first."), code=ErrorCode.CODE_INVALID, field="code"
        )
    known = {s.code: s for s in ConsentScope.objects.all()}
    chosen = set(scopes)
    if not chosen:
        raise _invalid(_("Tick at least one use you agree to, or close this page if you agree to none."), "scopes")
    if chosen - set(known):
        raise _invalid(_("Choose a valid option."), "scopes")
    if not full_name.strip():
        raise _invalid(_("Type your full name."), "full_name")
    signature = _signature(signature_png, "signature")
    guardian_signature = b""
    if request.is_minor:
        if not guardian_name.strip() or not guardian_relation.strip():
            raise _invalid(_("A guardian's name and relation are required for a minor."), "guardian_name")
        guardian_signature = _signature(guardian_signature_png, "guardian_signature")
    now = timezone.now()
    release = ModelRelease(
        contributor=request.contributor,
        origin=Origin.DIGITAL,
        subject_name=request.subject_name,
        subject_contact=request.email,
        contact_email=request.email,
        contact_confirmed_at=request.email_confirmed_at,
        contact_confirmed_how=ContactConfirmation.CODE,
        is_minor=request.is_minor,
        guardian_name=guardian_name.strip(),
        guardian_relation=guardian_relation.strip(),
        guardian_signed=request.is_minor,
        signed_on=timezone.localdate(now),
        signed_at=now,
        signed_full_name=full_name.strip(),
        # The band the photographer described the person with, when all their photos agree.
        age_band=_one_band(request),
        shoot_date=request.shoot_date,
        shoot_place=request.shoot_place,
        photographer_name=request.photographer_name,
        form_language=request.language,
        status=ModelRelease.Status.APPROVED,
        document_format=ModelRelease.DocumentFormat.PDF,
    )
    subjects = list(request.subjects.select_related("photo").order_by("photo_id", "position"))
    pdf = documents.release_pdf(
        documents.SignedRelease(
            subject_id=release.subject_id,
            full_name=release.signed_full_name,
            email=request.email,
            signed_at=now.isoformat(timespec="seconds"),
            photographer=request.photographer_name,
            shoot=" ".join(x for x in (str(request.shoot_date or ""), request.shoot_place) if x),
            photos=sorted({s.photo.title or s.photo.original_filename for s in subjects}),
            scopes=[(s.name_ja, s.name_en, code in chosen) for code, s in known.items()],
            signature_png=signature,
            minor=request.is_minor,
            guardian_name=release.guardian_name,
            guardian_relation=release.guardian_relation,
            guardian_signature_png=guardian_signature,
        )
    )
    release.document_sha256 = hashlib.sha256(pdf).hexdigest()
    release.document_size = len(pdf)
    release.document.save("release.pdf", ContentFile(pdf), save=False)
    release.signature.save("signature.png", ContentFile(signature), save=False)
    if guardian_signature:
        release.guardian_signature.save("guardian.png", ContentFile(guardian_signature), save=False)
    release.save()
    ReleaseScope.objects.bulk_create([ReleaseScope(release=release, scope=known[code]) for code in sorted(chosen)])
    ReleaseLink.objects.bulk_create([ReleaseLink(subject=s, release=release) for s in subjects])
    photos_scope_masks_refresh({s.photo_id for s in subjects})
    request.status = ReleaseRequest.Status.SIGNED
    request.release = release
    request.save(update_fields=["status", "release"])
    receipt_issue(release=release, event=ConsentReceipt.Event.GIVEN)
    release_withdrawal_link_issue(release=release, send_to_subject=True)
    return release
