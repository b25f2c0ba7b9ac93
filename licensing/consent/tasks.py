from celery import shared_task

from licensing.consent import services


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def scope_masks_refresh_task() -> int:
    """Nightly: recompute every photo's stored consent mask (releases that expired drop out here)."""
    return services.photos_scope_masks_refresh()


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
    time_limit=1800,
    soft_time_limit=1700,
)
def provision_digest_task(day: str | None = None) -> dict:
    """Daily (just after local midnight): APPI's notice to each subject whose photos were provided to a
    third party the day before. Safe to run again: a subject is told once per day."""
    import datetime as dt

    from django.utils import timezone

    when = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    result = services.provision_digest_send(day=when)
    return {"day": when.isoformat(), **result.__dict__}
