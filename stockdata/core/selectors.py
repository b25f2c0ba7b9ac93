"""Reads for the staff home: every queue staff work through, counted by the selector its page lists.

A count on the staff home and the rows on the queue's own page come from the same function, so
the number a reviewer clicks is the number of rows they find.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.photos.selectors import photos_processing_failed
from licensing.commerce.selectors import bank_transfers_to_match, orders_awaiting_approval
from licensing.consent.selectors import RECENT_WITHDRAWAL_DAYS, ReviewQueue, withdrawals_recent
from licensing.delivery.selectors import bundles_failed
from licensing.delivery.services import notices_overdue
from stockdata.core.models import ContactMessage

__all__ = [
    "RECENT_WITHDRAWAL_DAYS",
    "StaffQueue",
    "bank_transfers_to_match",
    "bundles_failed",
    "contact_messages_new",
    "notices_overdue",
    "orders_awaiting_approval",
    "photos_processing_failed",
    "staff_queues",
    "withdrawals_recent",
]


def contact_messages_new():
    """Messages from the contact page nobody has answered yet, oldest first."""
    return ContactMessage.objects.filter(status=ContactMessage.Status.NEW).order_by("created_at", "id")


@dataclass(frozen=True)
class StaffQueue:
    key: str
    label: str
    help: str
    count: int | None  # None: the queue is not wired yet (shown as such, never as 0)
    url: str
    urgent: bool = True  # a non-zero count asks for action (withdrawals are for information)


def staff_queues() -> list[StaffQueue]:
    """Every queue on the staff home, in the order staff usually clear them."""
    failed_photos = photos_processing_failed().count()
    failed_bundles = bundles_failed().count()
    return [
        StaffQueue(
            "review",
            _("Review queue"),
            _("Photos and releases waiting for a decision."),
            ReviewQueue().count(),
            reverse("licensing:review_queue"),
        ),
        StaffQueue(
            "approval",
            _("Orders awaiting approval"),
            _("Orders for restricted datasets: check the declared use, then approve or decline."),
            orders_awaiting_approval().count(),
            reverse("licensing:staff_orders") + "#awaiting-approval",
        ),
        StaffQueue(
            "bank",
            _("Bank transfers to match"),
            _("Orders paid by bank transfer whose money has not been matched; import the bank statement."),
            bank_transfers_to_match().count(),
            reverse("licensing:staff_orders") + "#bank-transfers",
        ),
        StaffQueue(
            "withdrawals",
            _("Consent withdrawals"),
            _("Withdrawals in the last %(days)s days and the notices sent to buyers.")
            % {"days": RECENT_WITHDRAWAL_DAYS},
            withdrawals_recent().count(),
            reverse("core:staff_withdrawals"),
            urgent=False,
        ),
        StaffQueue(
            "deletion_overdue",
            _("Overdue deletion confirmations"),
            _("Buyers who have not confirmed deleting a withdrawn person's files within 30 days."),
            notices_overdue().count(),
            reverse("licensing:withdrawal_notices_overdue"),
        ),
        StaffQueue(
            "failed",
            _("Failed jobs"),
            _("Uploads that could not be processed and bundles that could not be built."),
            failed_photos + failed_bundles,
            reverse("core:staff_failed_jobs"),
        ),
        StaffQueue(
            "contact",
            _("Contact messages"),
            _("Messages from the contact page waiting for an answer."),
            contact_messages_new().count(),
            reverse("core:contact_messages"),
        ),
    ]
