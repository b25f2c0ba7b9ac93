"""Reads for delivery: the line a buyer may see."""

from __future__ import annotations

from licensing.commerce.models import OrderLine
from licensing.delivery.models import Bundle


def line_for_buyer(*, user, order_uuid, line_id: int) -> OrderLine | None:
    """The line, if ``user`` is a member of the buying organisation; None for anyone else."""
    if not user.is_authenticated or not getattr(user, "is_buyer", False) or user.organisation_id is None:
        return None
    return (
        OrderLine.objects.select_related("order", "bundle", "bundle__base")
        .filter(pk=line_id, order__uuid=order_uuid, order__organisation_id=user.organisation_id)
        .first()
    )


def bundles_failed():
    """Bundles whose build gave up after its retries: the buyer waits until staff act."""
    return Bundle.objects.filter(status=Bundle.Status.FAILED).order_by("-id")
