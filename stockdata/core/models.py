from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by a Celery worker on request: proves a real worker is consuming the queue."""

    token = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.hostname} {self.token}"
