import smtplib

from celery import shared_task

from stockdata.mail import services

#: Attempts after the first; with the backoff below an e-mail is tried for about 40 minutes.
MAX_RETRIES = 5


def backoff(retries: int) -> int:
    """Seconds before the next attempt: 30 s, 60 s, 2 min, 4 min, 8 min, then 10 min."""
    return min(30 * 2**retries, 600)


@shared_task(bind=True, max_retries=MAX_RETRIES, time_limit=120, soft_time_limit=100, acks_late=True)
def email_deliver_task(self, email_id: int) -> None:
    """Idempotent: an e-mail already sent (or failed for good) is not sent again."""
    try:
        services.email_deliver(email_id=email_id)
    except (smtplib.SMTPException, OSError) as exc:  # OSError: refused, reset, timed out
        final = self.request.retries >= self.max_retries
        services.email_failed(email_id=email_id, error=f"{type(exc).__name__}: {exc}", final=final)
        if not final:
            raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def emails_requeue_stalled_task(older_than_seconds: int | None = None) -> int:
    """Beat, every few minutes: queue e-mails whose task never reached the broker or was lost."""
    return services.emails_requeue_stalled(older_than_seconds=older_than_seconds)
