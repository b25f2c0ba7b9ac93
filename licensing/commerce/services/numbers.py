"""Gapless document numbers (orders, invoices, credit notes)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from licensing.commerce.models import NumberSequence


def number_next(*, kind: str, prefix: str, year: int | None = None) -> str:
    """The next gapless number of a kind for a year, e.g. ``SD-2026-000001``.

    Taken under a row lock in the caller's transaction: if that rolls back, so does the
    counter, so no number is ever skipped.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside the transaction that uses the number")
    year = year or timezone.localdate().year
    NumberSequence.objects.get_or_create(kind=kind, year=year)
    seq = NumberSequence.objects.select_for_update().get(kind=kind, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{prefix}-{year}-{seq.last:06d}"
