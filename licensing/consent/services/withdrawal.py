"""The subject's secret link, withdrawals of consent, and contributors' AI opt-outs."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Sequence
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import Photo
from licensing.consent.models import (
    ConsentReceipt,
    ConsentWithdrawal,
    ContributorOptOut,
    ModelRelease,
    ReleaseScope,
    token_hash,
)
from licensing.consent.selectors import confirmed_contact_email
from licensing.consent.services.receipts import receipt_issue
from licensing.consent.services.releases import release_for_update as _locked
from licensing.consent.services.scopes import photos_scope_masks_refresh, release_photo_ids
from licensing.consent.signals import consent_withdrawn
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.i18n import language_or_default
from stockdata.mail.services import email_send_template, site_url
from stockdata.notifications.services import notification_send, page_url

EMAIL_RE = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


@transaction.atomic
def release_withdrawal_link_issue(*, release: ModelRelease, send_to_subject: bool = False) -> str:
    """Give the subject a new secret link (any older one stops working); only its hash is kept.

    Returns the link's path. With ``send_to_subject`` it is emailed, once this commits, to the
    subject's confirmed contact only (``confirmed_contact_email``): never to an address nobody
    confirmed, which may be the photographer's. The token never enters the task queue, and the
    outbox erases the e-mail's body once it is sent.
    """
    secret = secrets.token_urlsafe(24)
    release.withdrawal_token_hash = token_hash(secret)
    release.save(update_fields=["withdrawal_token_hash", "updated_at"])
    path = reverse("licensing:consent", args=[f"{release.uuid.hex}.{secret}"])
    address = confirmed_contact_email(release)
    if send_to_subject and address:
        _email_subject_link(release, address, path)
    return path


def _email_subject_link(release: ModelRelease, address: str, path: str) -> None:
    """The subject's link, in the language of the release form they signed."""
    language = language_or_default(release.form_language)
    with translation.override(language):
        scopes = ", ".join(
            rs.scope.name for rs in release.release_scopes.select_related("scope") if rs.withdrawn_at is None
        )
    # One e-mail per link issued: a new link (new token hash) is a new e-mail.
    email_send_template(
        key=f"release-link:{release.pk}:{release.withdrawal_token_hash[:16]}",
        to=[address],
        template="mail/release_link",
        context={
            "subject_id": release.subject_id,
            "signed_on": release.signed_on,
            "photographer": release.photographer_name,
            "scopes": scopes,
            "url": site_url(path, language=language),
        },
        language=language,
        secret=True,
    )


@transaction.atomic
def consent_withdraw(
    *,
    release: ModelRelease,
    scopes: Collection[str] | None = None,
    channel: str = ConsentWithdrawal.Channel.LINK,
    recorded_by=None,
    received_on: date | None = None,
    note: str = "",
) -> ConsentWithdrawal:
    """Withdraw some scopes (or, with ``scopes=None``, the whole consent), effective at once.

    Withdrawn scopes are stamped, not deleted, so the record of what was granted stays;
    when nothing is left the release is withdrawn. The contributor is told.
    """
    release = _locked(release)
    if release.status == ModelRelease.Status.WITHDRAWN:
        raise ApplicationError(_("This consent has already been withdrawn."), code=ErrorCode.WITHDRAWN, status=409)
    active = {rs.scope.code: rs for rs in release.release_scopes.select_related("scope") if rs.withdrawn_at is None}
    if scopes is None:
        chosen = set(active)
    else:
        chosen = set(scopes)
        if not chosen:
            raise ApplicationError(_("Choose what to withdraw."), code=ErrorCode.INVALID, field="scopes")
        unknown = chosen - set(active)
        if unknown:
            raise ApplicationError(
                _("These scopes are not granted by this release: %(codes)s.") % {"codes": ", ".join(sorted(unknown))},
                code=ErrorCode.INVALID,
                field="scopes",
            )
    now = timezone.now()
    entire = chosen == set(active)
    withdrawal = ConsentWithdrawal.objects.create(
        release=release,
        entire=entire,
        channel=channel,
        recorded_by=recorded_by,
        received_on=received_on or timezone.localdate(),
        note=note.strip(),
    )
    withdrawal.scopes.set([active[code].scope for code in chosen])
    ReleaseScope.objects.filter(pk__in=[active[code].pk for code in chosen]).update(
        withdrawn_at=now, withdrawal=withdrawal
    )
    if entire:
        release.status = ModelRelease.Status.WITHDRAWN
        release.withdrawn_at = now
        release.save(update_fields=["status", "withdrawn_at", "updated_at"])
    photos_scope_masks_refresh(release_photo_ids(release))
    receipt_issue(release=release, event=ConsentReceipt.Event.WITHDRAWN if entire else ConsentReceipt.Event.CHANGED)
    notification_send(
        user=release.contributor,
        kind="consent_withdrawn",
        params={"subject_id": release.subject_id, "scopes": sorted(chosen), "entire": entire},
        url=page_url("licensing:release_detail", release.uuid),
    )
    # Buyers who already received this person's photos are told which files to delete (delivery listens).
    consent_withdrawn.send(sender=ConsentWithdrawal, withdrawal=withdrawal)
    return withdrawal


# --- Contributor opt-out ----------------------------------------------------------------------


@transaction.atomic
def opt_out_set(*, contributor, kind: str, photos: Sequence[Photo] | None = None) -> None:
    """Keep all photos (``photos=None``) or some out of AI training or biometric uses; ``kind=""`` clears.

    Takes effect at once, as a missing scope: the consent selectors read it.
    """
    if kind and kind not in ContributorOptOut.Kind.values:
        raise ApplicationError(_("Choose a valid option."), code=ErrorCode.INVALID, field="kind")
    if photos is None:
        ContributorOptOut.objects.filter(contributor=contributor, photo__isnull=True).delete()
        if kind:
            ContributorOptOut.objects.create(contributor=contributor, kind=kind)
        photos_scope_masks_refresh(Photo.objects.filter(contributor=contributor).values_list("pk", flat=True))
        return
    if any(p.contributor_id != contributor.pk for p in photos):
        raise ApplicationError(_("Not found."), code=ErrorCode.NOT_FOUND, status=404)
    ids = [p.pk for p in photos]
    ContributorOptOut.objects.filter(contributor=contributor, photo_id__in=ids).delete()
    if kind:
        ContributorOptOut.objects.bulk_create(
            [ContributorOptOut(contributor=contributor, photo_id=pk, kind=kind) for pk in ids]
        )
    photos_scope_masks_refresh(ids)
