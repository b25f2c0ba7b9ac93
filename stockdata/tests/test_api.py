import pytest
from rest_framework.test import APIClient

from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory

pytestmark = pytest.mark.django_db


def test_token_auth_then_me():
    buyer = BuyerFactory()
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"email": buyer.email, "password": PASSWORD}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/").json()
    assert me["email"] == buyer.email
    assert me["role"] == "buyer"
    assert me["organisation"]["name"] == buyer.organisation.name


def test_errors_share_one_format():
    api = APIClient()
    assert api.get("/api/v1/me/").json() == {
        "error": {"code": "not_authenticated", "message": "Authentication credentials were not provided."}
    }
    assert api.post("/api/v1/auth/token/", {"email": "nobody@example.com", "password": "x"}, format="json").json() == {
        "error": {"code": "authentication_failed", "message": "Email or password is wrong."}
    }
    body = api.post("/api/v1/auth/token/", {"email": "not-an-email"}, format="json").json()
    assert body["error"]["code"] == "invalid"
    assert body["error"]["fields"] == {
        "email": ["Enter a valid email address."],
        "password": ["This field is required."],
    }


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()
