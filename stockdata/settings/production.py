"""Production: the base settings, hardened. ``manage.py check --deploy`` is clean.

Every secret comes from the environment; nothing here has a usable default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from stockdata.company import company_settings_from_env

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: refuse to start without one
#: Keys that are public: deploy/env.example's placeholder and anything shaped like it.
EXAMPLE_SECRET_KEYS = {"change-me"}
if SECRET_KEY.strip().lower() in EXAMPLE_SECRET_KEYS or SECRET_KEY.lower().startswith(("change-me", "django-insecure")):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is still the example value from deploy/env.example: set a random one "
        '(python3 -c "import secrets; print(secrets.token_urlsafe(64))").'
    )
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is {len(SECRET_KEY)} characters long: use a random key of at least 50 "
        '(python3 -c "import secrets; print(secrets.token_urlsafe(64))").'
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Refuse to start until every STOCKDATA_COMPANY_* variable holds the company's real details:
# invoices, payment instructions and the bank transfer file print them.
STOCKDATA_COMPANY = company_settings_from_env(os.environ, allow_demo=False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}
WHITENOISE_USE_FINDERS = False  # only the collected, hashed files
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
# The console backend prints every e-mail, consent and password-reset links included, into the
# logs: production sends mail for real (EMAIL_URL) or refuses to start.
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    raise ImproperlyConfigured(
        "Production does not print e-mail to the console (it would put consent and password-reset links "
        "in the logs): set EMAIL_URL, e.g. smtp+tls://user:pass@smtp.example:587."
    )
STOCKDATA_DEMO_PAYMENTS = False

# Logs: one JSON object per line by default (LOG_FORMAT=plain for text), Celery included.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
# Staff pages and the admin need a session verified with a second factor.
STOCKDATA_STAFF_REQUIRE_2FA = env.bool("STOCKDATA_STAFF_REQUIRE_2FA", default=True)
