"""Tests: the base settings made fast and quiet; services still come from the env.

With no environment the suite runs on SQLite and the filesystem broker; with
``DATABASE_URL`` / ``REDIS_URL`` set it runs on PostgreSQL and Redis.
"""

import os
from pathlib import Path

from .base import *
from .base import CELERY_BROKER_URL, DATABASES, VAR_DIR, env, filesystem_transport_options

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory, unless a test points a worker process at its own SMTP server (stockdata/mail/tests).
if env.str("STOCKDATA_TEST_EMAIL_URL", default=""):
    vars().update(env.email_url("STOCKDATA_TEST_EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_RATE_LIMITS = False
# Login lockouts only where a test proves them (stockdata/tests/test_security.py turns
# them on); ``client.login()`` passes no request, which django-axes refuses.
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)  # on in the gunicorn a proxy test starts

# Tests run task bodies in-process unless a test starts a real worker
# (see the ``celery_worker`` fixture, which turns this off for its duration).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)

# Everything a test run writes lives in one folder per run, so runs side by side
# (and a developer's `make run`) never share a database file, media or a queue. A worker
# started by a test inherits the folder through STOCKDATA_TEST_RUN_DIR.
TEST_RUN_DIR = Path(env.str("STOCKDATA_TEST_RUN_DIR", default=str(VAR_DIR / f"test-run-{os.getpid()}")))
MEDIA_ROOT = TEST_RUN_DIR / "media"
if not STORAGES["default"]["BACKEND"].endswith("S3Storage"):  # on S3, "location" is a key prefix
    STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT / "private"
    STORAGES["public"]["OPTIONS"]["location"] = MEDIA_ROOT / "public"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that a worker process started by a test sees the rows.
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "test-stockdata.sqlite3")}

if CELERY_BROKER_URL.startswith("filesystem://"):
    # Never share a queue with a developer's `make run` worker.
    CELERY_FILESYSTEM_BROKER_DIR = TEST_RUN_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_transport_options(CELERY_FILESYSTEM_BROKER_DIR)

# seed_demo in tests makes a fifth of the demo photos: the same features, less waiting.
STOCKDATA_DEMO_SCALE = 0.2
