import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockdata.settings.base")

app = Celery("stockdata")
# Every CELERY_* Django setting configures the app; see settings/base.py.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Apps split into parts keep their tasks beside each part; name the parts too.
app.autodiscover_tasks(
    [
        "catalog.photos",
        "licensing.consent",
        "licensing.delivery",
    ]
)
