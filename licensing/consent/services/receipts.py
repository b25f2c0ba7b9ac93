"""Issuing consent receipts: at signing or approval, at every scope change, at withdrawal."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from licensing.consent import receipts
from licensing.consent.models import ConsentReceipt, ModelRelease, Origin, ReleaseScope
from stockdata.company import company

STATUS = {
    ConsentReceipt.Event.GIVEN: "dpv:ConsentGiven",
    ConsentReceipt.Event.CHANGED: "dpv:ConsentGiven",
    ConsentReceipt.Event.WITHDRAWN: "dpv:ConsentWithdrawn",
}


def receipt_record(
    *, release: ModelRelease, event: str, record_id: str, issued_at: datetime, previous: ConsentReceipt | None
) -> dict:
    """The ISO/IEC TS 27560 consent record of ``release`` as it stands now (one purpose per scope).

    The PII principal is the pseudonymous subject id: the receipt names no person.
    """
    site = settings.SITE_URL.rstrip("/")
    firm = company()
    purposes = []
    for rs in ReleaseScope.objects.filter(release=release).select_related("scope").order_by("scope__position"):
        scope = rs.scope
        purposes.append(
            {
                "purpose": scope.code,
                "description": scope.description_en,
                "description_ja": scope.description_ja,
                "status": "withdrawn" if rs.withdrawn_at else "given",
                "withdrawn_at": rs.withdrawn_at.isoformat() if rs.withdrawn_at else None,
                "sensitive": scope.is_biometric,
                "special_category": ["biometric"] if scope.is_biometric else [],
            }
        )
    withdrawn = release.status == ModelRelease.Status.WITHDRAWN
    return {
        "schema_version": receipts.SCHEMA,
        "record_id": record_id,
        "previous_record_id": str(previous.uuid) if previous else None,
        "pii_principal_id": release.subject_id,
        "release_id": str(release.uuid),
        "timestamp": issued_at.isoformat(),
        "event": {
            "type": event,
            "time": issued_at.isoformat(),
            "state": "dpv:ConsentWithdrawn" if withdrawn else STATUS[event],
        },
        "controller": {
            "name": firm.name_en,
            "name_ja": firm.name_ja,
            "address": firm.address_en,
            "email": firm.email,
            "url": site,
            "role": "dpv:DataController",
        },
        "jurisdiction": "JP",
        "language": release.form_language,
        "lawful_basis": "dpv:ExplicitlyExpressedConsent",
        "collection_method": (
            "signed by the subject on Stockdata, e-mail confirmed by one-time code"
            if release.origin == Origin.DIGITAL
            else "paper model release, scan reviewed by Stockdata staff"
        ),
        "consent_given_on": release.signed_on.isoformat(),
        "consent_expires_on": release.expires_on.isoformat() if release.expires_on else None,
        "minor": release.is_minor,
        "guardian_signed": release.guardian_signed,
        "purposes": purposes,
        "sensitive": any(p["sensitive"] and p["status"] == "given" for p in purposes),
        "pii_categories": ["photographs of the subject's face and body", "age band and gender"],
        "retention_period": settings.STOCKDATA_CONSENT_RETENTION,
        "storage_location": "Stockdata's private storage; release documents never leave it",
        "recipients": {
            "category": "organisations that license datasets (companies and universities)",
            "identified_by": "pseudonymous subject id only",
        },
        "withdrawal_method": {
            "description": "the subject's private link, sent only to an e-mail address they confirmed; "
            "or in writing to the controller",
            "url": site + reverse("licensing:consent_link_resend"),
        },
        "policy_url": site + reverse("core:privacy"),
        "verification_keys": site + reverse("licensing:consent_receipt_keys"),
    }


@transaction.atomic
def receipt_issue(*, release: ModelRelease, event: str) -> ConsentReceipt:
    """Sign and keep a receipt of the release's consent now; it names the release's previous receipt."""
    release = ModelRelease.objects.select_for_update().get(pk=release.pk)
    previous = ConsentReceipt.objects.filter(release=release).order_by("-issued_at", "-id").first()
    receipt = ConsentReceipt(release=release, previous=previous, event=event, issued_at=timezone.now())
    record = receipt_record(
        release=release, event=event, record_id=str(receipt.uuid), issued_at=receipt.issued_at, previous=previous
    )
    receipt.token, receipt.key_id = receipts.sign(record)
    receipt.sha256 = receipts.token_sha256(receipt.token)
    receipt.save()
    return receipt
