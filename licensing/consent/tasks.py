from celery import shared_task

from licensing.consent import services


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def scope_masks_refresh_task() -> int:
    """Nightly: recompute every photo's stored consent mask (releases that expired drop out here)."""
    return services.photos_scope_masks_refresh()
