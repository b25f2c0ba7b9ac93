from celery import shared_task

from licensing import services


@shared_task(bind=True, max_retries=5, time_limit=60, soft_time_limit=50, acks_late=True)
def notification_email_task(self, notification_id: int) -> None:
    """Idempotent: a notification already emailed is not sent again."""
    try:
        services.notification_email_send(notification_id=notification_id)
    except (ConnectionError, OSError) as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 30, 600)) from exc


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def scope_masks_refresh_task() -> int:
    """Nightly: recompute every photo's stored consent mask (releases that expired drop out here)."""
    return services.photos_scope_masks_refresh()


from licensing.tasks_bundles import bundle_build_task  # noqa: F401  (issue 7: registered with the app)
