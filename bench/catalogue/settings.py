"""Bench settings: production's, on the throwaway bench database, served over plain HTTP on 127.0.0.1.

Used by ``bench/catalogue/run.py`` (and the gunicorn it starts) only.
"""

import os

from bench.common import BENCH_COMPANY_ENV

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-catalogue-only-not-a-secret-0123456789abcdefghijklmnop")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/" + os.environ.get("BENCH_DB_NAME", "stockdata_bench_catalogue")
)
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Production refuses the console backend; nothing here has a mail server.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
for _name, _value in BENCH_COMPANY_ENV.items():
    os.environ.setdefault(_name, _value)

from stockdata.settings.production import *

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ROOT_URLCONF = "bench.catalogue.urls"
# collectstatic runs into this folder before gunicorn starts (the manifest storage needs it).
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", str(VAR_DIR / "bench-catalogue-static"))
