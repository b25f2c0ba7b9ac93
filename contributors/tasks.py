"""Celery tasks for royalties and payouts: thin, idempotent, ids and strings only."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from contributors import services


@shared_task(bind=True, max_retries=3, time_limit=60 * 60, soft_time_limit=55 * 60, acks_late=True)
def payout_run_start_task(self, period: str | None = None, by_id: int | None = None) -> str:
    """Prepare one period's payouts (the month just ended when no period is given).

    Idempotent: the period is unique and a run already prepared is returned as it is; a run
    interrupted half-way resumes where it stopped. Beat calls it monthly (CELERY_BEAT_SCHEDULE)."""
    period = period or services.previous_period()
    try:
        run = services.payout_run_start(period=period, by=None if by_id is None else _user(by_id))
    except services.ApplicationError:
        raise
    except Exception as exc:  # a database hiccup: try again a little later
        raise self.retry(exc=exc, countdown=int(getattr(settings, "STOCKDATA_PAYOUT_RETRY_SECONDS", 60))) from exc
    return run.status


def _user(user_id: int):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first()
