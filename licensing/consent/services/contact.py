"""The subject's contact: confirming the address their private link may go to, and sending it again.

The private link shows which organisations received the subject's photos and lets them withdraw,
so it goes only to an address its holder confirmed (a one-time link or code sent to it) or that
staff confirmed after checking the subject's identity in person. An address typed by the
photographer is only a place to send the confirmation request, which reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from licensing.consent.models import ContactCode, ContactConfirmation, ModelRelease, token_hash
from licensing.consent.selectors import confirmed_contact_email, releases_with_confirmed_contact
from licensing.consent.services.withdrawal import EMAIL_RE, release_withdrawal_link_issue
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.mail.services import email_send_template, site_url

CONFIRMATION_VALID = timedelta(days=14)
MAX_ATTEMPTS = 5
# "Send me my link again": at most this many e-mails per address, and requests per client, per window.
RESEND_PER_ADDRESS = 3
RESEND_PER_CLIENT = 10
RESEND_WINDOW = timedelta(hours=1)


def _language(release: ModelRelease) -> str:
    return release.form_language if release.form_language in ("ja", "en") else "en"


def _send_link_if_due(release: ModelRelease) -> None:
    # An approved (or withdrawn: they follow the deletions) release whose link was never sent gets it now.
    if release.status in (ModelRelease.Status.APPROVED, ModelRelease.Status.WITHDRAWN):
        release_withdrawal_link_issue(release=release, send_to_subject=True)


@transaction.atomic
def release_contact_confirmation_send(*, release: ModelRelease) -> ContactCode:
    """E-mail the address on a paper release a one-time link that confirms it (valid 14 days).

    The e-mail says only that a release names this address; the private link follows once confirmed.
    """
    match = EMAIL_RE.search(release.subject_contact)
    if not match:
        raise ApplicationError(
            _(
                "The subject's contact is not an e-mail address: record an identity check in person instead, "
                "with the address the subject gives you."
            ),
            code=ErrorCode.INVALID,
            field="subject_contact",
        )
    secret = secrets.token_urlsafe(24)
    code = ContactCode.objects.create(
        release=release,
        email=match.group(0),
        code_hash=token_hash(secret),
        expires_at=timezone.now() + CONFIRMATION_VALID,
    )
    language = _language(release)
    path = reverse("licensing:contact_confirm", args=[f"{code.uuid.hex}.{secret}"])
    email_send_template(
        key=f"contact-confirm:{code.pk}",
        to=[code.email],
        template="mail/contact_confirm",
        context={
            "photographer": release.photographer_name,
            "id": release.subject_id,
            "date": release.signed_on,
            "url": site_url(path, language=language),
        },
        language=language,
        secret=True,
    )
    return code


def contact_code_for(token: str) -> ContactCode | None:
    """The unused, unexpired confirmation a link opens, or None. Compared in constant time."""
    selector, _sep, secret = token.partition(".")
    try:
        code_uuid = uuid.UUID(hex=selector)
    except ValueError:
        return None
    code = ContactCode.objects.filter(uuid=code_uuid, release__isnull=False).select_related("release").first()
    if code is None:
        hmac.compare_digest(token_hash(secret), "0" * 64)
        return None
    if not hmac.compare_digest(token_hash(secret), code.code_hash):
        return None
    if code.used_at or code.expires_at < timezone.now():
        return None
    return code


@transaction.atomic
def contact_confirm(*, token: str) -> ModelRelease:
    """The holder of the address used the one-time link: the address becomes the release's confirmed
    contact, and the private link is sent to it if the release is in effect."""
    code = contact_code_for(token)
    if code is None:
        raise ApplicationError(
            _("This confirmation link is not valid any more. Ask the photographer or us for a new one."),
            code=ErrorCode.LINK_EXPIRED,
            status=404,
        )
    code = ContactCode.objects.select_for_update().get(pk=code.pk)
    if code.used_at:
        raise ApplicationError(_("This address is already confirmed."), code=ErrorCode.LINK_EXPIRED, status=409)
    code.used_at = timezone.now()
    code.save(update_fields=["used_at"])
    release = _contact_set(code.release, code.email, ContactConfirmation.CODE)
    return release


def _contact_set(release: ModelRelease, email: str, how: str, **extra) -> ModelRelease:
    release = ModelRelease.objects.select_for_update().get(pk=release.pk)
    changed = release.contact_email.lower() != email.lower()
    release.contact_email = email
    release.contact_confirmed_at = timezone.now()
    release.contact_confirmed_how = how
    for field, value in extra.items():
        setattr(release, field, value)
    release.save(update_fields=["contact_email", "contact_confirmed_at", "contact_confirmed_how", *extra, "updated_at"])
    if changed or not release.withdrawal_token_hash:
        _send_link_if_due(release)
    return release


@transaction.atomic
def release_identity_check_record(*, release: ModelRelease, staff, method: str, email: str) -> ModelRelease:
    """Staff checked the subject's identity in person (``method``: which document, where) and took the
    e-mail address the subject gave them: it becomes the confirmed contact."""
    if not getattr(staff, "is_staff", False):
        raise ApplicationError(
            _("Only staff can record an identity check."), code=ErrorCode.PERMISSION_DENIED, status=403
        )
    if not method.strip():
        raise ApplicationError(
            _("Say how the identity was checked (which document, where)."), code=ErrorCode.INVALID, field="method"
        )
    try:
        validate_email(email.strip())
    except ValidationError:
        raise ApplicationError(_("Enter a valid e-mail address."), code=ErrorCode.INVALID, field="email") from None
    return _contact_set(
        release,
        email.strip(),
        ContactConfirmation.IN_PERSON,
        identity_checked_by=staff,
        identity_check_method=method.strip(),
    )


def _limited(key: str, limit: int) -> bool:
    """True when ``key`` has been counted ``limit`` times in the window (counts this call)."""
    cache.add(key, 0, timeout=int(RESEND_WINDOW.total_seconds()))
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(RESEND_WINDOW.total_seconds()))
        return False


def subject_links_resend(*, email: str, client: str = "") -> int:
    """ "Send me my link again": a new private link for every release whose confirmed contact is
    ``email``, e-mailed to that address only. The caller always shows the same answer, whether any
    was found or not, so the form tells nobody which addresses we know. Returns how many were sent.
    """
    if client and _limited(f"consent-resend:client:{client}", RESEND_PER_CLIENT):
        raise ApplicationError(
            _("Too many requests from your connection. Try again in an hour."),
            code=ErrorCode.THROTTLED,
            status=429,
        )
    address = email.strip().lower()
    if not address or not EMAIL_RE.fullmatch(address):
        return 0
    digest = hashlib.sha256(address.encode()).hexdigest()
    if _limited(f"consent-resend:address:{digest}", RESEND_PER_ADDRESS):
        return 0  # silently: the answer must not differ
    sent = 0
    for release in releases_with_confirmed_contact(address):
        with transaction.atomic():
            if confirmed_contact_email(release):
                release_withdrawal_link_issue(release=release, send_to_subject=True)
                sent += 1
    return sent
