from celery import shared_task

from stockdata.notifications import services


@shared_task(bind=True, max_retries=5, time_limit=60, soft_time_limit=50, acks_late=True)
def notification_email_task(self, notification_id: int) -> None:
    """Idempotent: a notification already emailed is not sent again."""
    try:
        services.notification_email_send(notification_id=notification_id)
    except (ConnectionError, OSError) as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 30, 600)) from exc
