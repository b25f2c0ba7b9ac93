"""Celery tasks for bundles: thin, take ids, call one service in ``licensing.delivery.services``."""

from celery import shared_task
from celery.exceptions import Reject
from django.conf import settings
from django.db import close_old_connections, connection

from licensing.delivery import services

MAX_RETRIES = 3


# acks_late + reject_on_worker_lost: a worker killed mid-build gives the message back to the
# broker and another attempt starts clean (the service deletes what the dead one wrote).
# The time limits stay under Redis's visibility timeout (2 h), so a live build is never redelivered.
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=90 * 60,
    time_limit=100 * 60,
)
def bundle_build_task(self, bundle_id: int) -> None:
    """Idempotent: a ready bundle is left alone; failures are recorded on the row, then retried."""
    try:
        services.bundle_build(bundle_id=bundle_id)
    except Reject:
        raise
    except services.NothingToDeliver as exc:  # every photo was left out: retrying cannot help, staff are told now
        services.bundle_build_failed(bundle_id=bundle_id, error=exc.message, final=True)
    except Exception as exc:  # every failure is recorded, then retried a bounded number of times
        final = self.request.retries >= self.max_retries
        # A database connection that died mid-build is unusable: drop it so the failure can be recorded.
        if not connection.in_atomic_block:
            close_old_connections()
        services.bundle_build_failed(bundle_id=bundle_id, error=f"{type(exc).__name__}: {exc}", final=final)
        if final:
            return
        base = int(getattr(settings, "STOCKDATA_BUNDLE_RETRY_SECONDS", 30))
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * base, 600)) from exc


# One part of a parted base. A worker killed mid-part gives the message back (acks_late +
# reject_on_worker_lost); the redelivered task deletes that part's partial object and builds it
# again, leaving the other parts alone.
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=90 * 60,
    time_limit=100 * 60,
)
def bundle_base_part_build_task(self, part_id: int) -> None:
    """Idempotent: a ready part is left alone; failures are recorded on the part, then retried."""
    try:
        services.bundle_base_part_build(part_id=part_id)
    except Reject:
        raise
    except Exception as exc:
        final = self.request.retries >= self.max_retries
        if not connection.in_atomic_block:
            close_old_connections()
        services.bundle_base_part_failed(part_id=part_id, error=f"{type(exc).__name__}: {exc}", final=final)
        if final:
            return
        base = int(getattr(settings, "STOCKDATA_BUNDLE_RETRY_SECONDS", 30))
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * base, 600)) from exc


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def bundles_requeue_stalled_task(older_than_seconds: int | None = None) -> int:
    """Beat, every few minutes: queue bundles whose build was never queued (broker down at payment)."""
    return services.bundles_requeue_stalled(older_than_seconds=older_than_seconds)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def notices_remind_task() -> dict:
    """Beat, hourly: the 7- and 21-day reminders of unconfirmed withdrawal notices, and overdue ones to staff."""
    return services.notices_remind()
