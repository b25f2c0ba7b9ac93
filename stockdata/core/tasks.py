import logging
from datetime import timedelta

from celery import shared_task

from stockdata.core import services

logger = logging.getLogger(__name__)

# Heartbeats older than this are deleted as new ones arrive; health checks read only the newest.
HEARTBEAT_KEEP = timedelta(days=1)


@shared_task(bind=True, time_limit=60, soft_time_limit=50, max_retries=3)
def worker_heartbeat_record_task(self, token: str = "") -> int:
    """Beat queues this every STOCKDATA_HEALTH_HEARTBEAT_SECONDS without a token: the task id
    is the token then, so a redelivered message still writes one row."""
    beat = services.worker_heartbeat_record(token=token or self.request.id)
    services.worker_heartbeat_prune(keep=HEARTBEAT_KEEP)
    logger.info("worker heartbeat recorded on %s", beat.hostname)
    return beat.pk
