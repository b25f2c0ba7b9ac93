import logging

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from catalog.photos import services

logger = logging.getLogger(__name__)

TRANSIENT = (services.TransientStorageError, OSError, BotoCoreError, ClientError, ConnectionError)


@shared_task(bind=True, max_retries=5, time_limit=300, soft_time_limit=240, acks_late=True)
def photo_process_task(self, photo_id: int) -> None:
    try:
        services.photo_process(photo_id=photo_id)
    except TRANSIENT as exc:
        final = self.request.retries >= self.max_retries
        services.photo_processing_failed(photo_id=photo_id, error=f"{type(exc).__name__}: {exc}", final=final)
        if final:
            logger.error("photo %s failed for good: %s", photo_id, exc)
            raise
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from exc


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def photos_requeue_stalled_task(older_than_seconds: int | None = None) -> int:
    """Beat, every few minutes: queue photos whose processing was never queued or was lost."""
    return services.photos_requeue_stalled(older_than_seconds=older_than_seconds)


@shared_task(bind=True, max_retries=3, time_limit=120, soft_time_limit=100, acks_late=True)
def photo_propose_boxes_task(self, photo_id: int) -> int:
    try:
        return services.photo_propose_boxes(photo_id=photo_id)
    except TRANSIENT as exc:
        raise self.retry(exc=exc, countdown=10 * (self.request.retries + 1)) from exc


@shared_task(bind=True, max_retries=8, time_limit=120, soft_time_limit=100, acks_late=True)
def derived_files_sync_task(self, photo_id: int) -> int:
    """Move a photo's previews where its row says (public or private) after the storage failed at the time."""
    from catalog.models import Photo

    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return 0
    try:
        return services.derived_files_sync(photo)
    except TRANSIENT as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 10, 600)) from exc
