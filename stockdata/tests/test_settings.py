"""The settings tree resolves as documented, in a clean process each time."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import free_port, wait_for_port
from stockdata.company import COMPANY_FIELDS, DEMO_COMPANY
from stockdata.tests.production_env import COMPANY_ENV, MAIL_ENV

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


def clean_environ() -> dict:
    """The test process's environment without the services and settings a test chooses itself."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in SERVICE_VARS and not k.startswith(("DJANGO_", "AWS_", "STOCKDATA_COMPANY_"))
    }


def resolve(settings_module: str, **env) -> dict:
    clean = clean_environ()
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
    assert resolved["debug"] is False


def test_make_run_shows_our_own_404_and_500_pages_and_still_serves_static_files(tmp_path):
    """The embedded default runs without DEBUG: a mistyped URL gets the product's 404 page,
    not Django's list of URL patterns; a failure gets the friendly 500 page, not a traceback;
    the stylesheet is still served (WhiteNoise, without collectstatic)."""
    port = free_port()
    # An empty, unmigrated database: a page that reads a table fails, the 500 we want to see.
    env = clean_environ() | {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    env["STOCKDATA_MEDIA_ROOT"] = str(tmp_path / "media")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        missing = requests.get(f"{base}/no-such-page/", timeout=30)
        assert missing.status_code == 404
        assert "<h1>Page not found</h1>" in missing.text
        assert "URLconf" not in missing.text and "Using the URLconf" not in missing.text

        broken = requests.get(f"{base}/datasets/", timeout=30)
        assert broken.status_code == 500
        assert "Something went wrong on our side" in broken.text
        assert "Traceback" not in broken.text and "OperationalError" not in broken.text

        stylesheet = requests.get(f"{base}/static/css/site.css", timeout=30)
        assert stylesheet.status_code == 200
        assert stylesheet.headers["Content-Type"].startswith("text/css")
        assert stylesheet.content == (ROOT / "static" / "css" / "site.css").read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=30)


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
    clean = clean_environ()
    env = clean | {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.production",
        "DJANGO_SECRET_KEY": "x" * 30 + "-production-secret-from-the-environment-" + "y" * 20,
        "DJANGO_ALLOWED_HOSTS": "stockdata.example",
        **COMPANY_ENV,
        **MAIL_ENV,
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
    clean = clean_environ()
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


# --- The company's identity (stockdata.company) ---------------------------------------------------

COMPANY_PROBE = """
import json, django
from django.conf import settings
django.setup()
from stockdata.company import company
print(json.dumps({"company": settings.STOCKDATA_COMPANY, "demo": company().is_demo}))
"""


def production_check(**env) -> subprocess.CompletedProcess:
    """``manage.py check`` under the production settings with a secret key, hosts and *env*."""
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_environ()
        | {
            "DJANGO_SETTINGS_MODULE": "stockdata.settings.production",
            "DJANGO_SECRET_KEY": "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "stockdata.example",
        }
        | MAIL_ENV
        | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_embedded_default_is_the_visibly_fictitious_demo_company():
    out = subprocess.run(
        [sys.executable, "-c", COMPANY_PROBE],
        cwd=ROOT,
        env=clean_environ() | {"DJANGO_SETTINGS_MODULE": "stockdata.settings.base"},
        capture_output=True,
        text=True,
        check=True,
    )
    resolved = json.loads(out.stdout.strip().splitlines()[-1])
    assert resolved == {"company": DEMO_COMPANY, "demo": True}
    assert DEMO_COMPANY["name_ja"] == "株式会社ストックデータ（デモ）"
    assert "架空" in DEMO_COMPANY["address_ja"] and "fictitious" in DEMO_COMPANY["address_en"]


def test_production_reads_the_company_from_the_environment():
    out = subprocess.run(
        [sys.executable, "-c", COMPANY_PROBE],
        cwd=ROOT,
        env=clean_environ()
        | {
            "DJANGO_SETTINGS_MODULE": "stockdata.settings.production",
            "DJANGO_SECRET_KEY": "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "stockdata.example",
        }
        | COMPANY_ENV
        | MAIL_ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    resolved = json.loads(out.stdout.strip().splitlines()[-1])
    assert resolved["demo"] is False
    assert resolved["company"] == {field: COMPANY_ENV[f"STOCKDATA_COMPANY_{field.upper()}"] for field in COMPANY_FIELDS}


def test_production_refuses_to_start_without_the_companys_details():
    result = production_check()
    assert result.returncode != 0
    assert "The company's details (STOCKDATA_COMPANY_*, see deploy/env.example) are not usable" in result.stderr
    for field in COMPANY_FIELDS:
        assert f"STOCKDATA_COMPANY_{field.upper()} is not set" in result.stderr


def test_production_refuses_to_start_with_one_detail_missing():
    env = dict(COMPANY_ENV)
    del env["STOCKDATA_COMPANY_ACCOUNT_HOLDER_KANA"]
    result = production_check(**env)
    assert result.returncode != 0
    assert "  STOCKDATA_COMPANY_ACCOUNT_HOLDER_KANA is not set\n" in result.stderr
    assert result.stderr.count(" is not set") == 1


def test_production_refuses_to_start_with_the_demo_companys_details():
    demo = {f"STOCKDATA_COMPANY_{field.upper()}": value for field, value in DEMO_COMPANY.items()}
    result = production_check(**demo)
    assert result.returncode != 0
    assert (
        "STOCKDATA_COMPANY_REGISTRATION_NUMBER is the demo value 'T0000000000000'; set the company's real one"
        in result.stderr
    )
    for field in ("NAME_JA", "NAME_EN", "ADDRESS_JA", "ADDRESS_EN", "EMAIL", "PHONE", "ACCOUNT_NUMBER"):
        assert f"STOCKDATA_COMPANY_{field} is the demo value" in result.stderr
    for field in ("ACCOUNT_HOLDER_KANA", "ZENGIN_REQUESTER_CODE"):
        assert f"STOCKDATA_COMPANY_{field} is the demo value" in result.stderr
    # A real company may bank where the demo does: codes and the account type are not refused.
    for field in ("BANK_NAME", "BANK_CODE", "BRANCH_NAME", "BRANCH_CODE", "ACCOUNT_TYPE"):
        assert f"STOCKDATA_COMPANY_{field} " not in result.stderr


def test_production_refuses_one_demo_value_among_real_ones():
    result = production_check(**(COMPANY_ENV | {"STOCKDATA_COMPANY_NAME_JA": DEMO_COMPANY["name_ja"]}))
    assert result.returncode != 0
    assert "STOCKDATA_COMPANY_NAME_JA is the demo value '株式会社ストックデータ（デモ）'" in result.stderr


def test_malformed_company_details_are_refused_everywhere_with_the_reason():
    bad = {
        "STOCKDATA_COMPANY_REGISTRATION_NUMBER": "1234567890123",
        "STOCKDATA_COMPANY_ACCOUNT_HOLDER_KANA": "Stockdata KK 株式会社",
        "STOCKDATA_COMPANY_BANK_CODE": "01",
    }
    result = production_check(**(COMPANY_ENV | bad))
    assert result.returncode != 0
    assert (
        "STOCKDATA_COMPANY_REGISTRATION_NUMBER must be T followed by 13 digits (got '1234567890123')" in result.stderr
    )
    assert "STOCKDATA_COMPANY_ACCOUNT_HOLDER_KANA must be the holder's name in katakana" in result.stderr
    assert "STOCKDATA_COMPANY_BANK_CODE must be 4 digits (got '01')" in result.stderr
    # The embedded default refuses a malformed value too, instead of printing it on invoices.
    embedded = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_environ()
        | {"DJANGO_SETTINGS_MODULE": "stockdata.settings.base", "STOCKDATA_COMPANY_REGISTRATION_NUMBER": "T123"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert embedded.returncode != 0
    assert "STOCKDATA_COMPANY_REGISTRATION_NUMBER must be T followed by 13 digits (got 'T123')" in embedded.stderr


def test_every_company_variable_is_listed_in_env_example_and_the_readme():
    env_example = (ROOT / "deploy" / "env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for field in COMPANY_FIELDS:
        name = f"STOCKDATA_COMPANY_{field.upper()}"
        assert f"\n{name}=" in env_example, name
        assert f"`{name}`" in readme, name


# --- secret_key (issue 18): no public constant, no example key in production ------------------------


def test_secret_key_embedded_default_is_random_made_once_and_private(tmp_path):
    from stockdata.settings.base import embedded_secret_key

    path = tmp_path / "var" / "secret_key"
    key = embedded_secret_key(path)
    assert len(key) >= 50 and path.read_text().strip() == key
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert embedded_secret_key(path) == key  # the next start (and the worker) reads the same key
    assert embedded_secret_key(tmp_path / "other" / "secret_key") != key  # random, not a constant
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary file left behind
    path.write_text("short\n")
    assert len(embedded_secret_key(path)) >= 50  # an unusable file is replaced


def test_secret_key_the_embedded_default_uses_the_file_under_var_not_a_constant():
    """Replay: the embedded default signed download links with a constant anyone could read in the repo."""
    probe = "from django.conf import settings; print(settings.SECRET_KEY)"
    clean = clean_environ()
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "stockdata.settings.base"},
        capture_output=True,
        text=True,
        check=True,
    )
    key = out.stdout.strip().splitlines()[-1]
    assert key == (ROOT / "var" / "secret_key").read_text().strip()
    assert oct((ROOT / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert key not in (ROOT / "stockdata" / "settings" / "base.py").read_text()
    assert "insecure-dev-key" not in (ROOT / "stockdata" / "settings" / "base.py").read_text()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("change-me", "still the example value from deploy/env.example"),
        ("x" * 49, "is 49 characters long: use a random key of at least 50"),
    ],
)
def test_secret_key_production_refuses_the_example_and_short_keys(key, message):
    example = (ROOT / "deploy" / "env.example").read_text()
    assert "DJANGO_SECRET_KEY=change-me" in example
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_environ()
        | COMPANY_ENV
        | {
            "DJANGO_SETTINGS_MODULE": "stockdata.settings.production",
            "DJANGO_ALLOWED_HOSTS": "x",
            "DJANGO_SECRET_KEY": key,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_secret_key_issue_every_digit_check_uses_ascii_digits():
    """ "²" and "１" are digits to str.isdigit() and to \\d: every check in our code uses [0-9] or isascii()."""
    offenders = []
    for path in sorted(ROOT.glob("**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "var/")) or "/migrations/" in rel or "/tests/" in rel or rel[:6] == "tests/":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"\\d", code) and "re.ASCII" not in code:
                offenders.append(f"{rel}:{number}: {line.strip()}")
            if re.search(r"\.is(digit|decimal|numeric)\(", code) and ".isascii()" not in code:
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "digit checks that accept non-ASCII digits:\n" + "\n".join(offenders)


def test_log_redaction_production_refuses_the_console_email_backend():
    """The console backend would print consent and password-reset links into the logs."""
    result = production_check(**(COMPANY_ENV | {"EMAIL_URL": "", "EMAIL_BACKEND": ""}))
    assert result.returncode != 0
    assert "Production does not print e-mail to the console" in result.stderr
    explicit = production_check(
        **(COMPANY_ENV | {"EMAIL_URL": "", "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"})
    )
    assert explicit.returncode != 0 and "set EMAIL_URL" in explicit.stderr
    assert production_check(**COMPANY_ENV).returncode == 0  # with MAIL_ENV's SMTP server it starts
