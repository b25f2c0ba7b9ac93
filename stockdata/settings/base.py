"""Settings for every environment, read from the environment.

With no environment variables at all this is the embedded default a newcomer gets
from ``make run``: SQLite, media on local disk, and Celery on kombu's filesystem
transport, so a real worker runs without Redis. Setting ``DATABASE_URL``,
``CELERY_BROKER_URL`` (or ``REDIS_URL``) and ``AWS_STORAGE_BUCKET_NAME`` switches
to PostgreSQL, Redis and S3.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from stockdata.company import company_settings_from_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --- Core -----------------------------------------------------------------------------

# Off even in the embedded default, so `make run` shows the product's own 404 and 500 pages
# (DJANGO_DEBUG=true brings Django's debug pages back for a developer who wants them).
DEBUG = env.bool("DJANGO_DEBUG", default=False)


def embedded_secret_key(path: Path, *, make=None, min_length: int = 50) -> str:
    """The embedded default's secret key: random, made on first run and kept in ``path`` (mode 0600).

    Never a constant in the code, which anyone could read and use to sign download links or
    sessions offline. The web server and the worker starting together agree on one key: the file
    is written aside and linked into place, and whoever loses the race reads the winner's.
    ``make`` makes a new key (default: 64 random bytes, URL-safe base64); a stored one shorter
    than ``min_length`` is replaced.
    """
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= min_length:
        return key
    import secrets
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write((make() if make else secrets.token_urlsafe(64)) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            if len(path.read_text(encoding="ascii").strip()) < min_length:  # an unusable old file: replace it
                os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path.read_text(encoding="ascii").strip()


def new_ed25519_seed() -> str:
    """A new Ed25519 private key: 32 random bytes (RFC 8032's seed), URL-safe base64 without padding."""
    import base64
    import secrets

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


# Production (production.py) takes it from the environment and refuses a missing, short or
# example key; the embedded default makes its own under var/.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or embedded_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("STOCKDATA_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # The admin site asks staff for their second factor (stockdata.accounts.two_factor).
    "stockdata.accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "allauth",
    "allauth.account",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "stockdata.core",
    "stockdata.mail",
    "stockdata.accounts",
    "stockdata.notifications",
    "catalog",
    "licensing",
    "contributors",
]

MIDDLEWARE = [
    # Outermost: a request id on every log line and response, and one log line per request.
    "stockdata.core.request_log.RequestLogMiddleware",
    # Before anything that reads the body: refuses an oversized one from its Content-Length (413).
    "stockdata.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "stockdata.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # /ja/… and /en/…: the page in that language (after LocaleMiddleware, before URL-minded ones).
    "stockdata.middleware.LanguagePrefixMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "stockdata.accounts.middleware.StaffSessionAgeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page or API error.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "stockdata.urls"
WSGI_APPLICATION = "stockdata.wsgi.application"
ASGI_APPLICATION = "stockdata.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {{ value|local_date }} and {{ value|local_datetime }} on every template (stockdata.dates).
            "builtins": ["stockdata.dates"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stockdata.core.context_processors.navigation",
                "stockdata.core.context_processors.tax",
                "stockdata.core.context_processors.legal",
                "stockdata.core.context_processors.languages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'stockdata.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Writers queue on the busy timeout instead of failing when a read turns into a write.
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Web and worker queries are short: PostgreSQL's JIT compiler costs seconds of compile
    # time on a 200,000-photo curation count and saves nothing (see bench/catalogue).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every login attempt for a locked-out email + IP before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_ADAPTER = "stockdata.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "stockdata.accounts.forms.LoginForm",
    "reset_password": "stockdata.accounts.forms.ResetPasswordForm",
}
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None

# Argon2 for new passwords; Django's PBKDF2 family still checks (and upgrades) older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# How many reverse proxies stand in front of gunicorn and append to X-Forwarded-For: the client
# is that many hops from the right (stockdata.client_ip). 0 here (make run: no proxy, the header
# is ignored); 1 behind the documented nginx (docs/DEPLOY.md). Lockouts, rate limits and the
# download and licence-acceptance logs all use it.
STOCKDATA_TRUSTED_PROXIES = env.int("STOCKDATA_TRUSTED_PROXIES", default=0)

# Login rate limiting (django-axes): five wrong passwords for one email from one client address
# lock that pair out for 15 minutes; a successful login or a completed password reset clears it.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "stockdata.accounts.lockout.login_email"
# The client's address behind exactly STOCKDATA_TRUSTED_PROXIES proxies (stockdata.client_ip).
AXES_CLIENT_IP_CALLABLE = "stockdata.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "stockdata.accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "otp"]

# Two-factor sign-in for staff (django-otp, TOTP). When required, staff pages and the
# admin need a session verified with a code; staff who set up a device are always asked.
STOCKDATA_STAFF_REQUIRE_2FA = env.bool("STOCKDATA_STAFF_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = "Stockdata"
# A staff session ends this long after sign-in (stockdata.accounts.receivers); others keep Django's default.
STOCKDATA_STAFF_SESSION_SECONDS = env.int("STOCKDATA_STAFF_SESSION_SECONDS", default=12 * 60 * 60)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stockdata <no-reply@stockdata.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The one prefix of every subject (stockdata.mail.services.email_render, and Django's mails to ADMINS).
EMAIL_SUBJECT_PREFIX = "[Stockdata] "
# A hung mail server becomes an error the outbox retries (stockdata/mail), not a stuck worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

# --- Internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and one date-and-time format per language (stockdata/formats/<lang>/formats.py, stockdata.dates).
FORMAT_MODULE_PATH = ["stockdata.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------

# Absolute, so a page under a language prefix (/ja/…) does not prefix its static files too.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files with or without DEBUG. Without collectstatic (the embedded
# default) it finds them where they are; production serves the collected, hashed copies.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
MEDIA_ROOT = Path(env.str("STOCKDATA_MEDIA_ROOT", default=str(VAR_DIR / "media")))
PUBLIC_MEDIA_URL = "/media/public/"

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_PUBLIC_BUCKET_NAME = env.str("AWS_PUBLIC_BUCKET_NAME", default=AWS_STORAGE_BUCKET_NAME)
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="ap-northeast-1")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
# Signed links to private objects (originals, release documents, bundles) live this long.
PRIVATE_URL_EXPIRY_SECONDS = env.int("STOCKDATA_PRIVATE_URL_EXPIRY_SECONDS", default=600)

if AWS_STORAGE_BUCKET_NAME:
    _s3 = {
        "endpoint_url": AWS_S3_ENDPOINT_URL,
        "region_name": AWS_S3_REGION_NAME,
        "access_key": AWS_ACCESS_KEY_ID,
        "secret_key": AWS_SECRET_ACCESS_KEY,
        "file_overwrite": False,
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path") or None,
        "signature_version": "s3v4",
    }
    STORAGES = {
        # Private by default: originals, cleaned copies, release documents, bundles.
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": _s3
            | {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "location": "private",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": PRIVATE_URL_EXPIRY_SECONDS,
            },
        },
        # Thumbnails and watermarked previews only.
        "public": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": _s3
            | {
                "bucket_name": AWS_PUBLIC_BUCKET_NAME,
                "location": "public",
                "default_acl": "public-read",
                "querystring_auth": False,
                # At most an hour in any cache: a withdrawn person's preview must not outlive its deletion.
                "object_parameters": {"CacheControl": "public, max-age=3600"},
            },
        },
    }
else:
    STORAGES = {
        "default": {
            "BACKEND": "stockdata.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT / "private"},
        },
        "public": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT / "public", "base_url": PUBLIC_MEDIA_URL},
        },
    }
STORAGES["staticfiles"] = {
    "BACKEND": env.str("STATICFILES_BACKEND", default="django.contrib.staticfiles.storage.StaticFilesStorage")
}

# --- Content Security Policy (django-csp) --------------------------------------------------
# No inline script or style anywhere: pages load static files only; the few inline blocks
# a library renders (Swagger UI's) carry the per-request nonce.
_s3_origins = []
if AWS_STORAGE_BUCKET_NAME:
    # Thumbnails and previews (public bucket) and presigned links (private bucket), in
    # path style and virtual-host style, since boto3 may use either.
    _endpoint = urlsplit(AWS_S3_ENDPOINT_URL or f"https://s3.{AWS_S3_REGION_NAME}.amazonaws.com")
    _s3_origins = [f"{_endpoint.scheme}://{_endpoint.netloc}"] + [
        f"{_endpoint.scheme}://{bucket}.{_endpoint.netloc}"
        for bucket in sorted({AWS_STORAGE_BUCKET_NAME, AWS_PUBLIC_BUCKET_NAME})
    ]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", *_s3_origins],
        "frame-src": [SELF, *_s3_origins],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Form posts may redirect to a presigned download on S3 or to Stripe's checkout page.
        "form-action": [SELF, *_s3_origins, "https://checkout.stripe.com"],
        "frame-ancestors": [NONE],
    },
}

# --- Celery -----------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_FILESYSTEM_BROKER_DIR = Path(env.str("CELERY_FILESYSTEM_BROKER_DIR", default=str(VAR_DIR / "celery-broker")))


def filesystem_transport_options(folder: Path) -> dict:
    """kombu's filesystem transport: producers and workers share one folder on disk."""
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "control_folder": str(folder / "control"),
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        # The worker looks for the next message this often (seconds) once the queue seems
        # empty or its one slot was busy; kombu's 1 s default made a backlog of e-mails take a
        # second each, so a bundle queued behind them waited a minute.
        "polling_interval": 0.1,
    }


if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_transport_options(CELERY_FILESYSTEM_BROKER_DIR)
else:
    # A task unacknowledged for this long is redelivered; longer than any time limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# --- Cache ------------------------------------------------------------------------------

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- API --------------------------------------------------------------------------------

# API tokens (django-rest-knox, stockdata.accounts.tokens): one per device, stored as a SHA-512
# digest, expiring after STOCKDATA_API_TOKEN_TTL_DAYS; revoked all at once when the password
# changes or is reset and when the account is deactivated. Sent as ``Authorization: Token <key>``.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations would create its unused (swapped-out) table, which Django then leaves
# out of test flushes: PostgreSQL refuses to truncate the users it points at. Ours is in accounts.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("STOCKDATA_API_TOKEN_TTL_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": env.int("STOCKDATA_API_TOKENS_PER_USER", default=20),
    "AUTO_REFRESH": False,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "stockdata.accounts.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "stockdata.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stockdata API",
    "DESCRIPTION": "Photo datasets for AI training, with consent you can prove.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error responses, in the one error format (stockdata.api).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "stockdata.api.document_error_responses",
    ],
}

# --- Logging ----------------------------------------------------------------------------

# LOG_FORMAT=plain (the default here) or json (one JSON object per line; production's default).
# Every record carries request_id (stockdata.core.request_log), and task_id inside a Celery task.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "stockdata.core.request_log.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own lines ("Not Found: <path>", runserver's access lines) reach the root's handler
        # only, never Django's default console handlers, so secrets in paths are redacted.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
# In JSON mode the Celery worker logs through the handler above instead of its own text format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Stockdata --------------------------------------------------------------------------

# The company that runs the site (stockdata.company): invoice issuer, registration number
# (T + 13 digits), contacts and the bank account buyers pay into and payouts leave from.
# One STOCKDATA_COMPANY_<FIELD> variable per field; unset ones take the visibly fictitious
# demo values here, which production.py refuses.
STOCKDATA_COMPANY = company_settings_from_env(os.environ, allow_demo=True)

# Consent receipts are signed (compact JWS, Ed25519) with this private key: 32 bytes, URL-safe
# base64. The embedded default makes its own under var/; production must set it. Keys retired
# after a rotation stay published (their public halves, same encoding) so old receipts verify.
STOCKDATA_CONSENT_RECEIPT_KEY = env.str("STOCKDATA_CONSENT_RECEIPT_KEY", default="") or embedded_secret_key(
    VAR_DIR / "consent_receipt_ed25519", make=new_ed25519_seed, min_length=43
)
STOCKDATA_CONSENT_RECEIPT_RETIRED_PUBLIC_KEYS = env.list("STOCKDATA_CONSENT_RECEIPT_RETIRED_PUBLIC_KEYS", default=[])
# How long a release's records are kept after the consent ends (stated in every receipt).
STOCKDATA_CONSENT_RETENTION = env.str(
    "STOCKDATA_CONSENT_RETENTION", default="P3Y after the consent ends or the last provision to a third party"
)

# Uploads: what the platform accepts. Every limit is checked on the server.
STOCKDATA_UPLOAD_MIN_LONG_SIDE = env.int("STOCKDATA_UPLOAD_MIN_LONG_SIDE", default=1600)
STOCKDATA_UPLOAD_MAX_PIXELS = env.int("STOCKDATA_UPLOAD_MAX_PIXELS", default=60_000_000)
STOCKDATA_UPLOAD_MAX_BYTES = env.int("STOCKDATA_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# Two photos whose 64-bit perceptual hashes differ in at most this many bits are near
# duplicates. At most 8: the index lookup relies on one of nine bit-slices matching.
STOCKDATA_NEAR_DUPLICATE_MAX_DISTANCE = min(env.int("STOCKDATA_NEAR_DUPLICATE_MAX_DISTANCE", default=8), 8)
STOCKDATA_WATERMARK_TEXT = env.str("STOCKDATA_WATERMARK_TEXT", default="Stockdata SAMPLE")
# Django's own request limits, set to what one photo upload needs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=100)
# Whole request bodies (stockdata.middleware, 413 before reading): one photo at the upload limit
# plus room for the form; the two requests that carry many photos (the upload page without
# JavaScript, POST /api/v1/photos/batch/) up to ten. Bodies that are not multipart are held to
# DATA_UPLOAD_MAX_MEMORY_SIZE. nginx's client_max_body_size should match these.
STOCKDATA_MAX_REQUEST_BYTES = env.int("STOCKDATA_MAX_REQUEST_BYTES", default=STOCKDATA_UPLOAD_MAX_BYTES + 1024 * 1024)
STOCKDATA_MAX_BATCH_REQUEST_BYTES = env.int(
    "STOCKDATA_MAX_BATCH_REQUEST_BYTES", default=10 * STOCKDATA_UPLOAD_MAX_BYTES + 1024 * 1024
)

# --- Retries and sweepers ---------------------------------------------------------------------
# Seconds before a failed bundle build / payout run is retried (doubling per attempt for bundles),
# and how long a photo or bundle may wait in the queue before the 5-minute sweeper queues it
# again (a message lost while Redis was down).
STOCKDATA_BUNDLE_RETRY_SECONDS = env.int("STOCKDATA_BUNDLE_RETRY_SECONDS", default=30)
STOCKDATA_PAYOUT_RETRY_SECONDS = env.int("STOCKDATA_PAYOUT_RETRY_SECONDS", default=60)
STOCKDATA_PHOTO_REQUEUE_AFTER_SECONDS = env.int("STOCKDATA_PHOTO_REQUEUE_AFTER_SECONDS", default=15 * 60)
STOCKDATA_BUNDLE_REQUEUE_AFTER_SECONDS = env.int("STOCKDATA_BUNDLE_REQUEUE_AFTER_SECONDS", default=15 * 60)

# --- Bundles and downloads -------------------------------------------------------------
# Downloads allowed per order line; None is unlimited. Staff can set a limit per bundle.
STOCKDATA_BUNDLE_DOWNLOAD_LIMIT = env.int("STOCKDATA_BUNDLE_DOWNLOAD_LIMIT", default=None)
# How long a download link (S3 presigned, or the signed local link) works, in seconds.
STOCKDATA_DOWNLOAD_URL_MAX_AGE = env.int("STOCKDATA_DOWNLOAD_URL_MAX_AGE", default=600)
# A base build whose task has shown no sign of life for this long is taken over by another.
STOCKDATA_BUNDLE_LEASE_SECONDS = env.int("STOCKDATA_BUNDLE_LEASE_SECONDS", default=120)
# Behind nginx: an internal location (e.g. "/_bundles/", aliased to the private media folder)
# that Django hands single-file archives to with X-Accel-Redirect, so nginx streams them and
# answers Range itself. Empty: Django streams every download (base prefix + tail bundles always).
STOCKDATA_DOWNLOAD_X_ACCEL_PREFIX = env.str("STOCKDATA_DOWNLOAD_X_ACCEL_PREFIX", default="")
# A bundle whose images pass this many bytes is built as self-contained parts of at most this
# size (one Celery task per part, so several workers build one dataset at once) + an index part.
STOCKDATA_BUNDLE_PART_BYTES = env.int("STOCKDATA_BUNDLE_PART_BYTES", default=4 * 1024**3)
# Tests only: sleep this long per image while building, so a worker can be killed mid-build.
STOCKDATA_BUNDLE_THROTTLE_SECONDS = env.float("STOCKDATA_BUNDLE_THROTTLE_SECONDS", default=0.0)

# Payments. Demo card payments (any Luhn-valid number) only outside production;
# Stripe card payments when a secret key is set.
STOCKDATA_DEMO_PAYMENTS = env.bool("STOCKDATA_DEMO_PAYMENTS", default=True)
# The contact page: how many messages one client (IP address) may send per window.
STOCKDATA_CONTACT_RATE_LIMIT = env.int("STOCKDATA_CONTACT_RATE_LIMIT", default=5)
STOCKDATA_CONTACT_RATE_WINDOW = timedelta(minutes=env.int("STOCKDATA_CONTACT_RATE_WINDOW_MINUTES", default=60))

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")

# Royalties and payouts (contributors.services). The contributor share is stored on every
# ledger entry, so changing it affects only sales recorded afterwards.
STOCKDATA_CONTRIBUTOR_SHARE_BP = env.int("STOCKDATA_CONTRIBUTOR_SHARE_BP", default=4000)  # 40 % of net revenue
STOCKDATA_PAYOUT_MINIMUM = env.int("STOCKDATA_PAYOUT_MINIMUM", default=5000)  # yen; smaller balances carry over
# Bank fee deducted from each transfer (yen). 0: the platform bears the fee.
STOCKDATA_PAYOUT_TRANSFER_FEE = env.int("STOCKDATA_PAYOUT_TRANSFER_FEE", default=0)
# Withholding for non-residents without a treaty claim: 20.42 % (basis points).
STOCKDATA_NON_RESIDENT_WITHHOLDING_BP = env.int("STOCKDATA_NON_RESIDENT_WITHHOLDING_BP", default=2042)
STOCKDATA_PAYOUT_BATCH_SIZE = env.int("STOCKDATA_PAYOUT_BATCH_SIZE", default=1000)
# Transfers for a month's run are dated this day of the following month.
STOCKDATA_PAYOUT_TRANSFER_DAY = env.int("STOCKDATA_PAYOUT_TRANSFER_DAY", default=10)
# The payouts leave from the company's account (STOCKDATA_COMPANY above).

# Health checks (stockdata.core.health): beat queues a worker heartbeat this often, and
# /healthz/ready/ fails its worker check when the newest heartbeat is older than the limit.
STOCKDATA_HEALTH_HEARTBEAT_SECONDS = env.int("STOCKDATA_HEALTH_HEARTBEAT_SECONDS", default=60)
STOCKDATA_HEALTH_WORKER_MAX_AGE_SECONDS = env.int("STOCKDATA_HEALTH_WORKER_MAX_AGE_SECONDS", default=300)

# The monthly payout run: on the 1st at 03:00 Japan time, for the month just ended.
from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    "nightly-scope-masks-refresh": {
        "task": "licensing.consent.tasks.scope_masks_refresh_task",
        "schedule": crontab(minute=5, hour=0),  # just after local midnight, when releases expire
    },
    # APPI: tell each subject (confirmed contacts only) about yesterday's provisions to third parties.
    "provision-digest": {
        "task": "licensing.consent.tasks.provision_digest_task",
        "schedule": crontab(minute=30, hour=0),
    },
    "monthly-payout-run": {
        "task": "contributors.tasks.payout_run_start_task",
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
    },
    # Proves beat, the broker and a worker all work; /healthz/ready/ reads the newest one.
    "worker-heartbeat": {
        "task": "stockdata.core.tasks.worker_heartbeat_record_task",
        "schedule": STOCKDATA_HEALTH_HEARTBEAT_SECONDS,
        "options": {"expires": STOCKDATA_HEALTH_HEARTBEAT_SECONDS},
    },
    # Queue again photos and bundles whose task never reached the broker (it was down when they
    # were saved) or was lost; see ``*_requeue_stalled`` in their services.
    "photos-requeue-stalled": {"task": "catalog.photos.tasks.photos_requeue_stalled_task", "schedule": 300.0},
    "bundles-requeue-stalled": {"task": "licensing.delivery.tasks.bundles_requeue_stalled_task", "schedule": 300.0},
    "emails-requeue-stalled": {"task": "stockdata.mail.tasks.emails_requeue_stalled_task", "schedule": 300.0},
    # Withdrawal notices: reminders at 7 and 21 days, overdue ones (30 days) to staff.
    "withdrawal-notices-remind": {"task": "licensing.delivery.tasks.notices_remind_task", "schedule": 3600.0},
}
