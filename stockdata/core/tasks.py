from celery import shared_task

from stockdata.core import services


@shared_task(time_limit=60, soft_time_limit=50, max_retries=3)
def worker_heartbeat_record_task(token: str) -> int:
    return services.worker_heartbeat_record(token=token).pk
