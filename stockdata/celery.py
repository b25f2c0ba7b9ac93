import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockdata.settings.base")

app = Celery("stockdata")
# Every CELERY_* Django setting configures the app; see settings/base.py.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
