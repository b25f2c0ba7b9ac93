"""Reads for delivery: a buyer's line, the bundle a signed link names, the notices of lines."""

from __future__ import annotations

from django.core import signing

from licensing.commerce.models import OrderLine
from licensing.delivery.models import Bundle
from licensing.delivery.services import DOWNLOAD_SALT, download_url_max_age


def line_for_buyer(*, user, order_uuid, line_id: int) -> OrderLine | None:
    """The line, if ``user`` is a member of the buying organisation; None for anyone else."""
    if not user.is_authenticated or not getattr(user, "is_buyer", False) or user.organisation_id is None:
        return None
    return (
        OrderLine.objects.select_related("order", "bundle", "bundle__base")
        .filter(pk=line_id, order__uuid=order_uuid, order__organisation_id=user.organisation_id)
        .first()
    )


def bundle_for_token(token: str) -> Bundle | None:
    """The bundle a local signed link names, if the signature is good, not older than the max age,
    and it still names the served archive of a bundle that may be downloaded."""
    try:
        data = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign_object(token, max_age=download_url_max_age())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    bundle = Bundle.objects.select_related("order_line").filter(pk=data.get("b")).first()
    if bundle is None or bundle.archive != data.get("a"):
        return None
    if bundle.status != Bundle.Status.READY or bundle.revoked_at is not None:
        return None
    if bundle.order_line.status == OrderLine.Status.REFUNDED:
        return None
    return bundle
