"""Load-test settings: production's, on the throwaway bench database, over plain HTTP on 127.0.0.1.

Used by ``bench/load/run.py`` and the gunicorn and Celery worker it starts, never by the site.
Differences from production, and why:

* ``STOCKDATA_DEMO_PAYMENTS = True``: production switches the demo card off; it is the only
  payment path that needs nothing outside this machine (Stripe would), and it ends in the
  same ``order_mark_paid`` as every provider.
* Plain HTTP on 127.0.0.1: no SSL redirect, no HSTS, cookies not marked Secure.
* allauth's per-address login limit (30 a minute) is raised for ``login`` only: every
  virtual buyer signs in from 127.0.0.1, which real buyers do not.  The other limits, the
  failed-login limit and django-axes stay as in production.
* Mail goes to the dummy backend (production sends SMTP; nothing here has a mail server).
* Media in a temporary folder; static files collected into another (the manifest storage
  production uses needs them).
"""

import os

from bench.common import BENCH_COMPANY_ENV

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-load-only-not-a-secret-0123456789abcdefghijklmnopqrstuv")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/" + os.environ.get("BENCH_DB_NAME", "stockdata_bench_load")
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
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
STOCKDATA_DEMO_PAYMENTS = True
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
ACCOUNT_RATE_LIMITS = {"login": "1000/m/ip"}
ROOT_URLCONF = "bench.load.urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", str(VAR_DIR / "bench-load-static"))
# Production's storage, without the gzip/brotli copies it writes at collectstatic (minutes of
# CPU for 40 MB of admin and API-docs assets): the load test fetches pages, not assets, and
# {% static %} still resolves through the same kind of manifest.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
