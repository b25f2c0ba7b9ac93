import socket

from django.db import transaction

from stockdata.core.models import WorkerHeartbeat


@transaction.atomic
def worker_heartbeat_record(*, token: str) -> WorkerHeartbeat:
    """Idempotent per token: a redelivered heartbeat task writes one row."""
    beat, _ = WorkerHeartbeat.objects.get_or_create(token=token, defaults={"hostname": socket.gethostname()})
    return beat


def worker_heartbeat_prune(*, keep) -> int:
    """Delete heartbeats older than ``keep`` (a timedelta); returns how many went."""
    from django.utils import timezone

    deleted, _ = WorkerHeartbeat.objects.filter(created_at__lt=timezone.now() - keep).delete()
    return deleted
