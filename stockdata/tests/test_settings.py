"""The settings tree resolves as documented, in a clean process each time."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.core.files.storage import storages
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "private": type(storages["default"]).__name__,
    "public": type(storages["public"]).__name__,
    "private_bucket": getattr(storages["default"], "bucket_name", None),
    "private_location": getattr(storages["default"], "location", None),
    "public_acl": getattr(storages["public"], "default_acl", None),
    "endpoint": getattr(storages["default"], "endpoint_url", None),
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
}))
"""

# Variables that would leak the developer's or CI's services into a "no environment" run.
SERVICE_VARS = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME", "DJANGO_SETTINGS_MODULE"}


def resolve(settings_module: str, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS and not k.startswith(("DJANGO_", "AWS_"))}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": settings_module} | env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_environment_is_the_embedded_default():
    resolved = resolve("stockdata.settings.base")
    assert resolved["db"] == "django.db.backends.sqlite3"
    assert resolved["db_name"] == str(ROOT / "var" / "stockdata.sqlite3")
    assert resolved["broker"] == "filesystem://"
    assert resolved["private"] == "PrivateFileSystemStorage"
    assert resolved["public"] == "FileSystemStorage"
    assert resolved["cache"].endswith("LocMemCache")


def test_environment_switches_to_postgresql_redis_and_s3():
    resolved = resolve(
        "stockdata.settings.base",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/stockdata",
        REDIS_URL="redis://127.0.0.1:6379/0",
        AWS_STORAGE_BUCKET_NAME="stockdata-private",
        AWS_PUBLIC_BUCKET_NAME="stockdata-public",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert resolved["db"] == "django.db.backends.postgresql"
    assert resolved["db_name"] == "stockdata"
    assert resolved["broker"] == "redis://127.0.0.1:6379/0"
    assert resolved["cache"].endswith("RedisCache")
    assert resolved["private"] == resolved["public"] == "S3Storage"
    assert resolved["private_bucket"] == "stockdata-private"
    assert resolved["private_location"] == "private"
    assert resolved["public_acl"] == "public-read"
    assert resolved["endpoint"] == "http://127.0.0.1:9000"


def test_celery_broker_url_wins_over_redis_url():
    resolved = resolve("stockdata.settings.base", REDIS_URL="redis://a:6379/0", CELERY_BROKER_URL="redis://b:6379/1")
    assert resolved["broker"] == "redis://b:6379/1"


def test_production_mode_passes_check_deploy():
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS and not k.startswith(("DJANGO_", "AWS_"))}
    env = clean | {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.production",
        "DJANGO_SECRET_KEY": "x" * 30 + "-production-secret-from-the-environment-" + "y" * 20,
        "DJANGO_ALLOWED_HOSTS": "stockdata.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS and not k.startswith(("DJANGO_", "AWS_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "stockdata.settings.production", "DJANGO_ALLOWED_HOSTS": "x"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
