"""APPI's third-party provision record: who received which person's photos, when, and on what consent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from catalog.models import DatasetVersionItem
from licensing.consent.models import ModelRelease, ProvisionRecord

#: APPI: provision records are kept at least three years.
RETENTION_YEARS = 3


def retain_until_for(provided_on: date) -> date:
    try:
        return provided_on.replace(year=provided_on.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return provided_on.replace(year=provided_on.year + RETENTION_YEARS, day=28)


PROVIDED_FIELDS = ["image", "file_name", "width", "height", "tags", "attributes", "subjects", "boxes"]


def _subject_key(item: DatasetVersionItem, subject: dict) -> str:
    # Versions frozen from real releases carry the pseudonymous subject id; a subject
    # without one is identified by photo and position (still pseudonymous).
    return subject.get("subject_id") or f"{item.photo_id}-{subject.get('position', 0)}"


def provision_records_create(*, line, files: Collection[str]) -> int:
    """APPI third-party provision record, written when the line's bundle is delivered: one row per
    subject whose photos are in ``files`` (the version's file names the archive holds), naming the
    recipient, exactly those files, the data provided and the consent basis. A subject left out of
    the bundle (withdrawn before it was built) gets no record. Idempotent: a line's records are
    created once."""
    if ProvisionRecord.objects.filter(order_line=line).exists():
        return 0
    delivered = set(files)
    order = line.order
    today = timezone.localdate()
    per_subject: dict[str, dict] = {}
    items = (
        DatasetVersionItem.objects.filter(version_id=line.version_id)
        .only("id", "photo_id", "file_name", "subjects", "position")
        .order_by("position")
    )
    for item in items:
        if item.file_name not in delivered:
            continue
        for subject in item.subjects or []:
            key = _subject_key(item, subject)
            entry = per_subject.setdefault(key, {"files": [], "release_id": subject.get("release_id"), "scopes": set()})
            entry["files"].append(item.file_name)
            entry["scopes"].update(subject.get("scopes") or [])
            if entry["release_id"] is None:
                entry["release_id"] = subject.get("release_id")
    release_ids = {e["release_id"] for e in per_subject.values() if e["release_id"]}
    releases = {r.pk: r for r in ModelRelease.objects.filter(pk__in=release_ids).only("id", "uuid")}
    records = []
    for key, entry in sorted(per_subject.items()):
        release = releases.get(entry["release_id"])
        records.append(
            ProvisionRecord(
                order_line=line,
                release=release,
                subject_id=key[:20],
                provided_on=today,
                recipient_name=order.billing_name,
                recipient_address=order.billing_address,
                dataset_title=line.dataset.title_en[:200],
                dataset_version=line.version.number,
                items={
                    "files": entry["files"],
                    "fields": PROVIDED_FIELDS,
                    "edition": line.edition,
                    "order": order.number,
                },
                consent_basis={
                    "release_id": entry["release_id"],
                    "release_uuid": str(release.uuid) if release else None,
                    "scopes": sorted(entry["scopes"]),
                },
                retain_until=retain_until_for(today),
            )
        )
    ProvisionRecord.objects.bulk_create(records, batch_size=500)
    return len(records)


# --- APPI: telling the subject ---------------------------------------------------------------------


@dataclass(frozen=True)
class DigestResult:
    sent: int  # digests queued now
    already: int  # subjects already told about that day
    unconfirmed: int  # subjects with provisions that day but no confirmed contact (nothing sent)
    declined: int  # subjects who turned the digest off


def provision_digest_send(*, day: date) -> DigestResult:
    """APPI: one e-mail to each subject whose photos were provided to a third party on ``day``,
    naming each recipient, dataset, version and date, with a fresh private link to see and withdraw.

    Only ever to the address the subject confirmed (``confirmed_contact_email``), never to one the
    photographer typed, and not to a subject who turned it off. Once per subject per day: the outbox
    key is the subject and the day, and a subject already told keeps their current link (the link is
    renewed only when a digest is really sent)."""
    from licensing.consent.selectors import confirmed_contact_email
    from licensing.consent.services.withdrawal import release_withdrawal_link_issue
    from stockdata.i18n import language_or_default
    from stockdata.mail.models import OutgoingEmail
    from stockdata.mail.services import email_send_template, site_url

    by_release: dict[int, list[ProvisionRecord]] = defaultdict(list)
    for record in ProvisionRecord.objects.filter(provided_on=day, release__isnull=False).order_by(
        "recipient_name", "dataset_title", "pk"
    ):
        by_release[record.release_id].append(record)
    sent = already = unconfirmed = declined = 0
    for release_id, records in sorted(by_release.items()):
        key = f"provision-digest:{release_id}:{day.isoformat()}"
        with transaction.atomic():
            release = ModelRelease.objects.select_for_update().get(pk=release_id)
            address = confirmed_contact_email(release)
            if address is None:
                unconfirmed += 1
                continue
            if not release.provision_digest:
                declined += 1
                continue
            if OutgoingEmail.objects.filter(key=key).exists():
                already += 1
                continue
            path = release_withdrawal_link_issue(release=release)
            language = language_or_default(release.form_language)
            email_send_template(
                key=key,
                to=[address],
                template="mail/provision_digest",
                context={
                    "subject_id": release.subject_id,
                    "day": day,
                    "provisions": [
                        {
                            "recipient": r.recipient_name,
                            "dataset": r.dataset_title,
                            "version": r.dataset_version,
                            "files": len(r.items.get("files", [])),
                        }
                        for r in records
                    ],
                    "url": site_url(path, language=language),
                },
                language=language,
                secret=True,
            )
            sent += 1
    return DigestResult(sent=sent, already=already, unconfirmed=unconfirmed, declined=declined)


def release_provision_digest_set(*, release: ModelRelease, enabled: bool) -> ModelRelease:
    """The subject turns the provision e-mails on or off from their own page."""
    release.provision_digest = enabled
    release.save(update_fields=["provision_digest", "updated_at"])
    return release
