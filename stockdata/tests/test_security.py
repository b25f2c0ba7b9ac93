"""Security defaults: CSP, login lockouts, staff two-factor sign-in, password hashing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from stockdata.accounts.models import ApiToken as Token
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, StaffFactory, UserFactory
from stockdata.tests.production_env import COMPANY_ENV, MAIL_ENV

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARS = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME", "DJANGO_SETTINGS_MODULE"}
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
STAFF_PAGE = "/staff/"
STAFF_API = "/api/v1/curation/datasets/no-such-dataset/versions/"


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if current_code(device) != "000000" else "111111"


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


# --- Settings, resolved in a clean process ----------------------------------------------------------

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.contrib.auth.hashers import make_password
print(json.dumps({
    "hashers": settings.PASSWORD_HASHERS,
    "new_hash": make_password("a new password"),
    "csp": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "require_2fa": settings.STOCKDATA_STAFF_REQUIRE_2FA,
    "axes": [settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds(),
             settings.AXES_LOCKOUT_PARAMETERS, settings.AXES_RESET_ON_SUCCESS],
    "backends": settings.AUTHENTICATION_BACKENDS,
    "hsts": settings.SECURE_HSTS_SECONDS, "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE, "frames": settings.X_FRAME_OPTIONS,
}, default=str))
"""


def resolve(settings_module: str, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS and not k.startswith(("DJANGO_", "AWS_"))}
    clean = {k: v for k, v in clean.items() if not k.startswith(("AXES_", "STOCKDATA_STAFF"))}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": settings_module} | env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


PRODUCTION_ENV = {"DJANGO_SECRET_KEY": "s" * 60, "DJANGO_ALLOWED_HOSTS": "stockdata.example", **COMPANY_ENV, **MAIL_ENV}


def test_production_hashes_new_passwords_with_argon2_and_still_reads_pbkdf2():
    resolved = resolve("stockdata.settings.production", **PRODUCTION_ENV)
    assert resolved["hashers"][:3] == [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ]
    assert resolved["new_hash"].startswith("argon2$argon2id$")


def test_production_is_hardened_and_requires_staff_two_factor():
    resolved = resolve("stockdata.settings.production", **PRODUCTION_ENV)
    assert resolved["require_2fa"] is True
    assert resolved["axes"] == [True, 5, 900.0, [["username", "ip_address"]], True]
    assert resolved["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert resolved["hsts"] == 31536000
    assert resolved["session_secure"] is resolved["csrf_secure"] is True
    assert resolved["frames"] == "DENY"
    assert resolved["csp"] == {
        "default-src": ["'self'"],
        "script-src": ["'self'", "csp.constants.NONCE"],
        "style-src": ["'self'", "csp.constants.NONCE"],
        "img-src": ["'self'", "data:"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
        "frame-ancestors": ["'none'"],
    }


def test_the_embedded_default_lets_demo_staff_in_without_a_second_factor():
    assert resolve("stockdata.settings.base")["require_2fa"] is False


def test_with_s3_the_policy_allows_images_and_downloads_from_the_buckets():
    resolved = resolve(
        "stockdata.settings.production",
        **PRODUCTION_ENV,
        AWS_STORAGE_BUCKET_NAME="sd-private",
        AWS_PUBLIC_BUCKET_NAME="sd-public",
        AWS_S3_ENDPOINT_URL="https://s3.example.net:9000",
    )
    origins = [
        "https://s3.example.net:9000",
        "https://sd-private.s3.example.net:9000",
        "https://sd-public.s3.example.net:9000",
    ]
    assert resolved["csp"]["img-src"] == ["'self'", "data:", *origins]
    assert resolved["csp"]["form-action"] == ["'self'", *origins, "https://checkout.stripe.com"]


def test_aws_without_an_endpoint_means_amazon_s3_in_the_region():
    resolved = resolve("stockdata.settings.base", AWS_STORAGE_BUCKET_NAME="sd", AWS_S3_REGION_NAME="ap-northeast-1")
    assert resolved["csp"]["img-src"] == [
        "'self'",
        "data:",
        "https://s3.ap-northeast-1.amazonaws.com",
        "https://sd.s3.ap-northeast-1.amazonaws.com",
    ]


@pytest.mark.django_db
def test_a_new_users_password_is_hashed_with_argon2_under_the_real_hashers(settings):
    # The suite itself uses MD5 for speed; this puts the production list back.
    settings.PASSWORD_HASHERS = resolve("stockdata.settings.base")["hashers"]
    user = UserFactory()
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


# --- Content Security Policy -------------------------------------------------------------------------


def test_every_page_gets_the_strict_policy(client):
    header = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in header.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no nonce used on this page, so none offered
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self' https://checkout.stripe.com"
    assert "unsafe" not in header


def test_a_view_django_lets_our_pages_frame_may_be_framed_by_ourselves_only():
    from stockdata.csp import CSPMiddleware

    @xframe_options_sameorigin
    def document(request):
        return HttpResponse("%PDF-")

    response = CSPMiddleware(document)(RequestFactory().get("/document/"))
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    plain = CSPMiddleware(lambda request: HttpResponse("x"))(RequestFactory().get("/"))
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]


def test_api_docs_load_their_script_as_a_file_and_their_one_style_with_the_nonce(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    assert "<script>" not in html
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


INLINE = [
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"),
        "inline <script>",
    ),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE), "inline event handler"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE), "inline <style>"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def test_no_template_has_inline_script_or_style_the_policy_would_block():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.parent == ROOT / "templates" / "mail":
            continue  # e-mail bodies: never served as a page, and mail clients need inline styles
        text = path.read_text()
        found += [f"{path.relative_to(ROOT)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []


# --- Login rate limiting (django-axes) --------------------------------------------------------------


@pytest.fixture
def lockouts(settings):
    settings.AXES_ENABLED = True


def login_page(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_login_then_even_the_right_one_is_refused(client, lockouts):
    user = UserFactory(email="ken@example.com")
    for _ in range(4):
        assert login_page(client, "ken@example.com", "wrong").status_code == 200
    fifth = login_page(client, "ken@example.com", "wrong")
    assert fifth.status_code == 429
    response = login_page(client, "ken@example.com", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert 'data-testid="lockout"' in html
    assert "Too many failed login attempts. Wait 15 minutes and try again, or reset your password." in html
    assert SESSION_KEY not in client.session
    # The same email from another address, and another email from this one, still log in.
    assert login_page(Client(), "ken@example.com", PASSWORD, ip="10.0.0.2").status_code == 302
    UserFactory(email="aiko@example.com")
    other = Client()
    assert login_page(other, "aiko@example.com", PASSWORD).status_code == 302
    assert int(other.session[SESSION_KEY]) != user.pk


@pytest.mark.django_db
def test_a_successful_login_clears_the_count(client, lockouts):
    UserFactory(email="ken@example.com")
    for _ in range(4):
        login_page(client, "ken@example.com", "wrong")
    assert login_page(client, "ken@example.com", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert login_page(client, "ken@example.com", "wrong").status_code == 200
    assert login_page(client, "ken@example.com", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_token_endpoint_locks_out_with_the_api_error_format(client, lockouts):
    UserFactory(email="ken@example.com")
    for _ in range(4):
        response = client.post(TOKEN, {"email": "ken@example.com", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "authentication_failed"
    for password in ("wrong", PASSWORD):
        response = client.post(TOKEN, {"email": "ken@example.com", "password": password}, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 429
        assert response.json() == {
            "error": {
                "code": "locked_out",
                "message": "Too many failed login attempts. Wait 15 minutes and try again, or reset your password.",
            }
        }
    assert not Token.objects.exists()
    elsewhere = client.post(TOKEN, {"email": "ken@example.com", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2")
    assert elsewhere.status_code == 200 and elsewhere.json()["token"]


@pytest.mark.django_db
def test_the_lockout_page_is_in_japanese_for_japanese_visitors(client, lockouts):
    UserFactory(email="ken@example.com")
    client.cookies["django_language"] = "ja"
    for _ in range(5):
        response = login_page(client, "ken@example.com", "wrong")
    assert response.status_code == 429
    assert '<html lang="ja">' in response.content.decode()


# --- Staff two-factor sign-in (django-otp) ------------------------------------------------------------


@pytest.fixture
def staff(db):
    return StaffFactory(email="reviewer@example.com")


@pytest.fixture
def staff_client(staff):
    c = Client()
    c.force_login(staff)
    return c


def test_setup_shows_a_qr_code_drawn_here_and_confirms_with_a_real_code(staff, staff_client):
    page = staff_client.get(reverse("accounts:two_factor_setup") + "?next=/staff/")
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert '<svg class="qr-code"' in html and "<path d=" in html
    assert "http" not in re.search(r"<svg class=\"qr-code\".*?</svg>", html, re.DOTALL).group(0).replace(
        "http://www.w3.org/2000/svg", ""
    )
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # A second visit shows the same secret: nothing to re-scan.
    staff_client.get(reverse("accounts:two_factor_setup"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1

    done = staff_client.post(
        reverse("accounts:two_factor_setup"), {"password": PASSWORD, "code": current_code(device), "next": "/staff/"}
    )
    assert done.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert sorted(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == sorted(codes)
    assert staff_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert staff_client.get(STAFF_PAGE).status_code == 200


def test_setup_refuses_a_wrong_code(staff, staff_client):
    staff_client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff)
    response = staff_client.post(
        reverse("accounts:two_factor_setup"), {"password": PASSWORD, "code": wrong_code(device)}
    )
    assert response.status_code == 200
    assert "That code is not right. Enter the 6-digit code your app shows now." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1
    assert not StaticDevice.objects.exists()


def test_setup_asks_for_the_password_again(staff, staff_client):
    """Replay (issue 18): enrolment needed only an open session; someone at an unlocked screen could
    bind their own authenticator to the account."""
    staff_client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff)
    for password in ("", "not-the-password"):
        response = staff_client.post(
            reverse("accounts:two_factor_setup"), {"password": password, "code": current_code(device)}
        )
        assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and not StaticDevice.objects.exists()


def test_staff_sessions_end_after_12_hours_others_keep_the_default(client, settings):
    from stockdata.accounts.middleware import STAFF_SIGNED_IN_AT

    assert settings.STOCKDATA_STAFF_SESSION_SECONDS == 12 * 60 * 60
    staff = StaffFactory()
    assert client.post(LOGIN, {"login": staff.email, "password": PASSWORD}).status_code == 302
    assert client.get(STAFF_PAGE).status_code == 200
    session = client.session
    session[STAFF_SIGNED_IN_AT] -= 12 * 60 * 60 - 60  # 11 h 59 min ago: still in
    session.save()
    assert client.get(STAFF_PAGE).status_code == 200
    session[STAFF_SIGNED_IN_AT] -= 120  # 12 h 1 min ago: signed out
    session.save()
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert SESSION_KEY not in client.session
    # A buyer's session is not cut short.
    buyer = BuyerFactory()
    other = Client()
    assert other.post(LOGIN, {"login": buyer.email, "password": PASSWORD}).status_code == 302
    session = other.session
    session[STAFF_SIGNED_IN_AT] = 0
    session.save()
    assert other.get("/accounts/profile/").status_code == 200


def test_setting_off_staff_without_a_device_go_straight_in(settings, staff_client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = False
    assert staff_client.get(STAFF_PAGE).status_code == 200
    assert staff_client.get("/admin/").status_code == 200
    assert staff_client.get(STAFF_API).status_code == 404  # past the staff check: the dataset does not exist


def test_setting_off_staff_with_a_device_are_still_asked_for_a_code(settings, staff, staff_client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = False
    device = confirmed_device(staff)
    verify = reverse("accounts:two_factor_verify")
    response = staff_client.get(STAFF_PAGE)
    assert response.status_code == 302 and response["Location"] == f"{verify}?next=%2Fstaff%2F"
    assert staff_client.get(STAFF_API).status_code == 403
    # The admin sends the session to the same prompt.
    admin = staff_client.get("/admin/", follow=True)
    assert admin.redirect_chain[-1][0] == f"{verify}?next=%2Fadmin%2F"

    wrong = staff_client.post(verify, {"code": wrong_code(device), "next": "/staff/"})
    assert wrong.status_code == 200
    assert "That code is not right." in wrong.content.decode()
    assert staff_client.get(STAFF_PAGE).status_code == 302
    device.throttle_reset()

    before = staff_client.session.session_key
    right = staff_client.post(verify, {"code": current_code(device), "next": "/staff/"})
    assert right.status_code == 302 and right["Location"] == "/staff/"
    assert staff_client.session.session_key != before  # the session gained rights: a new key
    assert staff_client.get(STAFF_PAGE).status_code == 200
    assert staff_client.get("/admin/").status_code == 200
    assert staff_client.get(STAFF_API).status_code == 404
    # A new session (a new login) owes the code again.
    fresh = Client()
    fresh.force_login(staff)
    assert fresh.get(STAFF_PAGE).status_code == 302


def test_setting_on_staff_without_a_device_are_sent_to_set_one_up(settings, staff_client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    response = staff_client.get(STAFF_PAGE)
    assert response["Location"] == f"{reverse('accounts:two_factor_setup')}?next=%2Fstaff%2F"
    assert staff_client.get("/admin/", follow=True).redirect_chain[-1][0] == (
        f"{reverse('accounts:two_factor_setup')}?next=%2Fadmin%2F"
    )
    assert staff_client.get(STAFF_API).status_code == 403


def test_setting_on_other_roles_are_unaffected(settings, client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    buyer = BuyerFactory()
    client.force_login(buyer)
    assert client.get(reverse("licensing:order_list")).status_code == 200
    assert client.get(STAFF_PAGE).status_code == 404
    assert client.get(reverse("accounts:two_factor")).status_code == 404
    assert client.get(reverse("accounts:two_factor_setup")).status_code == 404


def test_a_backup_code_verifies_once(settings, staff, staff_client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    confirmed_device(staff)
    backup = StaticDevice.objects.create(user=staff, name="backup", confirmed=True)
    backup.token_set.create(token="abcd2345")
    verify = reverse("accounts:two_factor_verify")
    assert staff_client.post(verify, {"code": "ABCD 2345", "next": "/staff/"})["Location"] == "/staff/"
    assert staff_client.get(STAFF_PAGE).status_code == 200
    again = Client()
    again.force_login(staff)
    assert again.post(verify, {"code": "abcd2345"}).status_code == 200
    assert again.get(STAFF_PAGE).status_code == 302


def test_staff_with_a_device_are_sent_to_the_code_prompt_right_after_login(settings, staff, client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = False
    confirmed_device(staff)
    response = client.post(LOGIN, {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    # ... and from there to the staff home, where staff start the day.
    assert response["Location"] == f"{reverse('accounts:two_factor_verify')}?next=%2Fstaff%2F"


def test_turning_it_off_takes_a_current_code(settings, staff, staff_client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = False
    device = confirmed_device(staff)
    StaticDevice.objects.create(user=staff, name="backup", confirmed=True)
    staff_client.post(reverse("accounts:two_factor_disable"), {"code": wrong_code(device)})
    assert TOTPDevice.objects.filter(user=staff).exists()
    device.throttle_reset()
    response = staff_client.post(reverse("accounts:two_factor_disable"), {"code": current_code(device)})
    assert response["Location"] == reverse("accounts:two_factor")
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert staff_client.get(STAFF_PAGE).status_code == 200


def test_staff_api_token_needs_the_code_when_two_factor_applies(settings, staff, client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    credentials = {"email": staff.email, "password": PASSWORD}
    no_device = client.post(TOKEN, credentials)
    assert no_device.status_code == 403
    assert no_device.json()["error"]["code"] == "two_factor_setup_required"

    device = confirmed_device(staff)
    missing = client.post(TOKEN, credentials)
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "code": "otp_required",
        "message": "Enter the current code from your authenticator app in the otp field.",
        "fields": {"otp": ["Enter the current code from your authenticator app in the otp field."]},
    }
    wrong = client.post(TOKEN, credentials | {"otp": wrong_code(device)})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "otp_invalid"
    assert not Token.objects.exists()
    device.throttle_reset()

    ok = client.post(TOKEN, credentials | {"otp": current_code(device)})
    assert ok.status_code == 200
    key = ok.json()["token"]
    # A token was issued only after the code, so requests made with it count as verified.
    assert client.get(STAFF_API, HTTP_AUTHORIZATION=f"Token {key}").status_code == 404


def test_non_staff_tokens_never_need_a_code(settings, client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    buyer = BuyerFactory()
    response = client.post(TOKEN, {"email": buyer.email, "password": PASSWORD})
    assert response.status_code == 200


def test_health_endpoints_need_no_login_or_second_factor(settings, client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    assert client.get("/healthz/").status_code == 200


def test_after_a_wrong_code_guessing_is_slowed_down_with_a_clear_error(settings, staff, client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600  # the wait after one failure: far longer than this test
    device = confirmed_device(staff)
    credentials = {"email": staff.email, "password": PASSWORD}
    assert client.post(TOKEN, credentials | {"otp": wrong_code(device)}).json()["error"]["code"] == "otp_invalid"
    # Straight away even the right code is refused: django-otp makes the device wait after a failure.
    slowed = client.post(TOKEN, credentials | {"otp": current_code(device)})
    assert slowed.status_code == 429
    assert slowed.json()["error"] == {
        "code": "otp_throttled",
        "message": "Too many wrong codes. Wait a minute, then try again.",
        "fields": {"otp": ["Too many wrong codes. Wait a minute, then try again."]},
    }
    assert not Token.objects.exists()


def test_a_staff_token_from_before_the_authenticator_no_longer_opens_staff_api(settings, staff, client):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = False
    old = client.post(TOKEN, {"email": staff.email, "password": PASSWORD}).json()["token"]
    assert client.get(STAFF_API, HTTP_AUTHORIZATION=f"Token {old}").status_code == 404  # no 2FA yet: works

    staff_client = Client()
    staff_client.force_login(staff)
    staff_client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff)
    done = staff_client.post(reverse("accounts:two_factor_setup"), {"password": PASSWORD, "code": current_code(device)})
    backup_code = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())[0]
    # The old token was issued without a code: it is no longer good enough for staff endpoints.
    assert client.get(STAFF_API, HTTP_AUTHORIZATION=f"Token {old}").status_code == 403
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {old}").status_code == 200

    # Asking again with a code (here a backup code) gives a new one that is; the old one stays unverified.
    new = client.post(TOKEN, {"email": staff.email, "password": PASSWORD, "otp": backup_code})
    assert new.status_code == 200
    key = new.json()["token"]
    assert key != old and Token.objects.filter(user=staff).count() == 2
    assert client.get(STAFF_API, HTTP_AUTHORIZATION=f"Token {old}").status_code == 403
    assert client.get(STAFF_API, HTTP_AUTHORIZATION=f"Token {key}").status_code == 404
