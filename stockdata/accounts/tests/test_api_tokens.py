"""API tokens (issue 18): the token endpoint keeps the login page's rules; tokens are hashed,
expiring, per device and revocable."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

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
