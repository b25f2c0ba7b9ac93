"""Issue 18 items 4 and 6, replayed through a real nginx in front of a real gunicorn.

* proxy_client_ip: behind nginx → gunicorn every request came from 127.0.0.1, so five wrong
  passwords from anyone locked anyone out. The client address is now taken from exactly
  ``STOCKDATA_TRUSTED_PROXIES`` hops of X-Forwarded-For, everywhere.
* log_redaction: consent and download secrets no longer reach our request log, gunicorn's
  access log or nginx's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings

from catalog.models import Edition
from catalog.tests.factories import DatasetFactory
from licensing.commerce import services as commerce_services
from licensing.models import Order
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, UserFactory
from stockdata.client_ip import client_ip
from stockdata.tests.live_stack import nginx_and_gunicorn
from stockdata.tests.production_env import COMPANY_ENV, MAIL_ENV

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "/api/v1/auth/token/"
SELECTOR = "0f" * 16
SECRET = "Zq9-cOnSeNt-SeCrEt-4711"
DOWNLOAD_SECRET = "dOwNlOaD-SeCrEt-0815"


# --- proxy_client_ip: the rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no proxy: the header is anyone's to write
        (1, "127.0.0.1", "198.51.100.7", "198.51.100.7"),  # nginx → gunicorn
        (1, "127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a forged left part is ignored
        (2, "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),  # load balancer + nginx
        (1, "203.0.113.9", "", "203.0.113.9"),  # came straight in, no header
        (2, "127.0.0.1", "6.6.6.6", "127.0.0.1"),  # fewer hops than proxies: nothing in it is trusted
        (1, "127.0.0.1", "not-an-address", "127.0.0.1"),
        (1, "127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_proxy_client_ip_trusts_exactly_the_configured_proxies(trusted, remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(STOCKDATA_TRUSTED_PROXIES=trusted):
        assert client_ip(request) == expected


def test_proxy_client_ip_defaults_are_0_embedded_and_1_in_the_deploy_docs(settings):
    from stockdata.settings import base

    assert base.env.int("STOCKDATA_TRUSTED_PROXIES", default=0) == 0 or "STOCKDATA_TRUSTED_PROXIES" in os.environ
    assert "STOCKDATA_TRUSTED_PROXIES=1" in (ROOT / "deploy" / "env.example").read_text()
    assert "`STOCKDATA_TRUSTED_PROXIES`" in (ROOT / "docs" / "DEPLOY.md").read_text()
    assert settings.AXES_CLIENT_IP_CALLABLE == "stockdata.client_ip.client_ip"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


@pytest.mark.django_db
def test_proxy_client_ip_a_completed_password_reset_lifts_the_lockout(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Replay: a completed password reset did not lift the lock."""
    settings.AXES_ENABLED = True
    user = UserFactory(email="owner@example.com")
    for _ in range(5):
        client.post(TOKEN, {"email": user.email, "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    assert client.post(TOKEN, {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9").status_code == 429
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after the commit
        Client().post("/accounts/password/reset/", {"email": user.email})
    link = mailoutbox[-1].body.split(settings.SITE_URL.rstrip("/"), 1)[1].split()[0]  # links on the site URL
    reset = Client()
    form_url = reset.get(link)["Location"]
    assert reset.post(form_url, {"password1": "new-pass-93817", "password2": "new-pass-93817"}).status_code == 302
    after = client.post(TOKEN, {"email": user.email, "password": "new-pass-93817"}, REMOTE_ADDR="10.9.9.9")
    assert after.status_code == 200, after.content


# --- Through nginx and gunicorn ------------------------------------------------------------------------


@pytest.fixture
def stack(transactional_db, tmp_path):
    with nginx_and_gunicorn(tmp_path / "stack") as running:
        yield running


def _token(stack, email, password, source):
    status, _headers, body = stack.request("POST", TOKEN, source=source, body={"email": email, "password": password})
    return status, json.loads(body or b"{}")


def test_proxy_client_ip_through_nginx_one_client_cannot_lock_out_another(stack):
    """Replay: five wrong passwords from one client locked the account for everyone behind nginx."""
    victim = BuyerFactory(email="admin@real-company.example")
    attacker, owner = "127.0.0.2", "127.0.0.3"
    for _ in range(4):
        assert _token(stack, victim.email, "guess", attacker)[0] == 400
    # A forged X-Forwarded-For does not give the attacker a fresh address: nginx appends the real one.
    status, body = _token(stack, victim.email, "guess", attacker)
    assert status == 429 and body["error"]["code"] == "locked_out"
    forged = stack.request(
        "POST",
        TOKEN,
        source=attacker,
        body={"email": victim.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "127.0.0.77"},
    )
    assert forged[0] == 429
    # The owner, elsewhere, still signs in.
    status, body = _token(stack, victim.email, PASSWORD, owner)
    assert status == 200 and body["token"]
    from axes.models import AccessAttempt

    assert list(AccessAttempt.objects.values_list("ip_address", "username")) == [(attacker, victim.email)]


def test_proxy_client_ip_through_nginx_the_licence_acceptance_records_the_client(stack):
    """Replay: the licence-acceptance log recorded the proxy's 127.0.0.1."""
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=1), edition=Edition.UNEDITED)
    _status, body = _token(stack, buyer.email, PASSWORD, "127.0.0.4")
    status, _headers, answer = stack.request(
        "POST",
        "/api/v1/orders/",
        source="127.0.0.4",
        body={"intended_use": "research", "intended_use_detail": "Benchmarking.", "accept_licence": True},
        headers={"Authorization": f"Token {body['token']}", "Idempotency-Key": "proxy-1"},
    )
    assert status == 201, answer
    order = Order.objects.get(organisation=buyer.organisation)
    assert order.licence_accepted_ip == "127.0.0.4"


def test_log_redaction_through_nginx_and_gunicorn(stack):
    """Replay: consent links and download tokens appeared whole in the request and access logs."""
    consent = f"/consent/{SELECTOR}.{SECRET}/"
    download = f"/downloads/{SELECTOR}.{DOWNLOAD_SECRET}/"
    referer = f"http://127.0.0.1:{stack.port}{consent}"
    assert stack.request("GET", consent, source="127.0.0.5")[0] == 404
    assert stack.request("GET", download, source="127.0.0.5", headers={"Referer": referer})[0] == 404
    stack.request("GET", "/healthz/", source="127.0.0.5")  # a last line, so the others are flushed

    # Each gunicorn worker writes its own lines when it flushes: under load a line can come after a
    # later request's. Wait (at most 15 s) until every request's access line is in the output.
    deadline = time.monotonic() + 15
    while True:
        access = stack.nginx_access_log()
        output = stack.gunicorn_output()
        if output.count('"logger": "gunicorn.access"') >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    leaks = [line for line in output.splitlines() if SECRET in line or DOWNLOAD_SECRET in line]
    assert not leaks, leaks
    for log in (access, output):
        assert SECRET not in log and DOWNLOAD_SECRET not in log
    assert f"GET /consent/{SELECTOR}.[redacted]/ HTTP/1.1" in access
    assert f"GET /downloads/{SELECTOR}.[redacted]/ HTTP/1.1" in access
    assert f'"http://127.0.0.1:{stack.port}/consent/{SELECTOR}.[redacted]/"' in access
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("logger") == "stockdata.request"]
    access_lines = [line for line in lines if line.get("logger") == "gunicorn.access"]
    assert f"/consent/{SELECTOR}.[redacted]/" in [line["path"] for line in ours]
    assert f"/downloads/{SELECTOR}.[redacted]/" in [line["path"] for line in access_lines]
    assert any(
        line["referer"] == f"{referer.rsplit('/consent/', 1)[0]}/consent/{SELECTOR}.[redacted]/"
        for line in access_lines
    )


def test_log_redaction_in_the_production_logging_config(tmp_path):
    """Our request line and Django's own "Not Found" line, under production's JSON logging."""
    script = (
        "import django; django.setup()\n"
        "from pathlib import Path; from django.conf import settings\n"
        "Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)\n"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from django.test import Client, override_settings\n"
        # Pages use {% static %}: production's manifest storage needs collectstatic, not what this tests.
        "plain = {**settings.STORAGES, 'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "with override_settings(STORAGES=plain):\n"
        f"    print(Client().get('/consent/{SELECTOR}.{SECRET}/').status_code)\n"
        f"    print(Client().get('/downloads/{DOWNLOAD_SECRET}/').status_code)\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.production",
        "DJANGO_SECRET_KEY": "test-only-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STOCKDATA_MEDIA_ROOT": str(tmp_path / "media"),
        **COMPANY_ENV,
        **MAIL_ENV,
    }
    for name in ("LOG_FORMAT", "REDIS_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["404", "404"]
    assert SECRET not in result.stderr and DOWNLOAD_SECRET not in result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    paths = [line.get("path") for line in lines if line["logger"] == "stockdata.request"]
    assert paths == [f"/consent/{SELECTOR}.[redacted]/", "/downloads/[redacted]/"]
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found and all("[redacted]" in line["message"] for line in not_found)
