"""API tokens (issue 18): the token endpoint keeps the login page's rules; tokens are hashed,
expiring, per device and revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.utils import timezone

from stockdata.accounts.models import ApiToken
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
LOGIN = "/accounts/login/"


def test_unverified_token_refused_when_verification_is_mandatory(settings, client):
    """Replay: production's mandatory verification refused the login page, but the token endpoint
    gave a working buyer token for an unconfirmed procurement@ address."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    buyer = BuyerFactory(email="procurement@real-company.example")
    address = EmailAddress.objects.create(user=buyer, email=buyer.email, primary=True, verified=False)

    page = client.post(LOGIN, {"login": buyer.email, "password": PASSWORD})
    assert page.status_code == 302 and page["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    response = client.post(TOKEN, {"email": buyer.email, "password": PASSWORD})
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "email_unverified",
            "message": "Confirm your email address first: follow the link in the email we sent you "
            "(signing in on the website sends a new one), then ask for a token again.",
        }
    }

    address.verified = True
    address.save()
    ok = client.post(TOKEN, {"email": buyer.email, "password": PASSWORD})
    assert ok.status_code == 200
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
    assert me.status_code == 200 and me.json()["email"] == buyer.email


def test_unverified_token_without_any_address_record_is_refused_too(settings, client):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    buyer = BuyerFactory()
    response = client.post(TOKEN, {"email": buyer.email, "password": PASSWORD})
    assert response.status_code == 403 and response.json()["error"]["code"] == "email_unverified"


def test_unverified_token_still_issued_when_verification_is_optional(settings, client):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    buyer = BuyerFactory()
    EmailAddress.objects.create(user=buyer, email=buyer.email, primary=True, verified=False)
    assert client.post(TOKEN, {"email": buyer.email, "password": PASSWORD}).status_code == 200


# --- token_lifecycle ---------------------------------------------------------------------------------


def issue(client, email, device=""):
    response = client.post(TOKEN, {"email": email, "password": PASSWORD, "device": device})
    assert response.status_code == 200, response.content
    return response.json()


def me(client, key):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


def test_token_lifecycle_tokens_are_hashed_per_device_and_never_the_same_key(client):
    """Replay: the key came back the same on every request and was stored in clear."""
    buyer = BuyerFactory()
    laptop = issue(client, buyer.email, "laptop")
    ci = issue(client, buyer.email, "CI runner")
    assert laptop["token"] != ci["token"] and len(laptop["token"]) == 64
    assert (laptop["device"], ci["device"]) == ("laptop", "CI runner")
    stored = list(ApiToken.objects.filter(user=buyer).values_list("digest", "token_key", "name"))
    assert len(stored) == 2
    for digest, token_key, _name in stored:
        assert digest not in (laptop["token"], ci["token"]) and len(digest) == 128
        assert laptop["token"] not in digest and len(token_key) == 15
    assert {d for d, _k, _n in stored} == {
        hashlib.sha512(t.encode()).hexdigest() for t in (laptop["token"], ci["token"])
    }
    assert me(client, laptop["token"]).status_code == 200 and me(client, ci["token"]).status_code == 200


def test_token_lifecycle_tokens_expire(client, settings):
    buyer = BuyerFactory()
    issued = issue(client, buyer.email)
    token = ApiToken.objects.get(public_id=issued["id"])
    assert abs(token.expiry - token.created - timedelta(days=30)) < timedelta(seconds=1)
    assert issued["expiry"][:16] == timezone.localtime(token.expiry).isoformat()[:16]
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    response = me(client, issued["token"])
    assert response.status_code in (401, 403) and response.json()["error"]["message"] == "Invalid token."
    assert not ApiToken.objects.filter(pk=token.pk).exists()  # an expired token is deleted on sight


def test_token_lifecycle_list_and_revoke_through_the_api(client):
    buyer, other = BuyerFactory(), BuyerFactory()
    first, second = issue(client, buyer.email, "laptop"), issue(client, buyer.email, "phone")
    theirs = issue(client, other.email, "theirs")
    listing = client.get("/api/v1/auth/tokens/", HTTP_AUTHORIZATION=f"Token {first['token']}").json()
    assert [(t["id"], t["device"], t["current"]) for t in listing] == [
        (second["id"], "phone", False),
        (first["id"], "laptop", True),
    ]
    assert all("token" not in t and "digest" not in t for t in listing)
    # Someone else's token is not ours to revoke: 404, and it still works.
    stranger = client.delete(f"/api/v1/auth/tokens/{theirs['id']}/", HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert stranger.status_code == 404 and me(client, theirs["token"]).status_code == 200
    revoked = client.delete(f"/api/v1/auth/tokens/{second['id']}/", HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert revoked.status_code == 204
    assert me(client, second["token"]).status_code in (401, 403)
    assert me(client, first["token"]).status_code == 200


def test_token_lifecycle_list_and_revoke_on_the_profile_page(client):
    buyer = BuyerFactory()
    laptop, phone, ci = (issue(client, buyer.email, d) for d in ("laptop", "phone", "CI runner"))
    page_client = Client()
    page_client.force_login(buyer)
    page = page_client.get("/accounts/profile/").content.decode()
    assert page.count('data-testid="api-token"') == 3 and "CI runner" in page
    assert laptop["token"] not in page
    response = page_client.post(f"/accounts/profile/tokens/{phone['id']}/revoke/")
    assert response.status_code == 302
    assert me(client, phone["token"]).status_code in (401, 403) and me(client, laptop["token"]).status_code == 200
    # Another member cannot revoke it.
    intruder = Client()
    intruder.force_login(BuyerFactory())
    assert intruder.post(f"/accounts/profile/tokens/{laptop['id']}/revoke/").status_code == 404
    assert me(client, laptop["token"]).status_code == 200
    page_client.post("/accounts/profile/tokens/revoke-all/")
    assert me(client, laptop["token"]).status_code in (401, 403) and me(client, ci["token"]).status_code in (401, 403)
    assert 'data-testid="no-api-tokens"' in page_client.get("/accounts/profile/").content.decode()


def test_token_lifecycle_a_password_change_revokes_every_token(client):
    """Replay: tokens survived a password change."""
    buyer = BuyerFactory()
    key = issue(client, buyer.email)["token"]
    web = Client()
    web.force_login(buyer)
    response = web.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a-new-password-8812", "password2": "a-new-password-8812"},
    )
    assert response.status_code == 302
    assert me(client, key).status_code in (401, 403)
    assert not ApiToken.objects.filter(user=buyer).exists()


def test_token_lifecycle_a_password_reset_revokes_every_token(client, mailoutbox, django_capture_on_commit_callbacks):
    """Replay: tokens survived a password reset (someone who had the password kept API access)."""
    buyer = BuyerFactory()
    key = issue(client, buyer.email)["token"]
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after the commit
        Client().post("/accounts/password/reset/", {"email": buyer.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mailoutbox[-1].body).group(1)
    reset = Client()
    form_url = reset.get(link)["Location"]
    done = reset.post(form_url, {"password1": "reset-password-7731", "password2": "reset-password-7731"})
    assert done.status_code == 302
    assert me(client, key).status_code in (401, 403)
    assert not ApiToken.objects.filter(user=buyer).exists()


def test_token_lifecycle_deactivation_revokes_every_token_but_a_rehash_does_not(client):
    buyer = BuyerFactory()
    key = issue(client, buyer.email)["token"]
    buyer.refresh_from_db()
    # Django re-hashing a password on login (a hasher upgrade) is not a password change.
    old_hash = make_password(PASSWORD, salt="short", hasher="md5")  # a weak salt: Django re-hashes it
    buyer.password = old_hash
    buyer.save(update_fields=["password"])
    assert buyer.check_password(PASSWORD)
    buyer.refresh_from_db()
    assert buyer.password != old_hash and buyer.password.startswith("md5$")
    assert me(client, key).status_code == 200
    buyer.is_active = False
    buyer.save()
    assert not ApiToken.objects.filter(user=buyer).exists()
    assert me(client, key).status_code in (401, 403)


def test_token_lifecycle_old_plain_tokens_are_dropped_by_the_migration():
    from importlib import import_module

    migration = import_module("stockdata.accounts.migrations.0003_api_tokens")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created timestamp)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', 1, NULL)")

    class Editor:  # the part of a schema editor the migration uses (SQLite's refuses inside a test transaction)
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.drop_plain_tokens(None, Editor())
    assert "authtoken_token" not in connection.introspection.table_names()
