"""Consent receipts: signed records the subject and buyers can check without us."""

import base64
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from licensing.consent import receipts
from licensing.consent import services as consent_services
from licensing.consent.models import ConsentReceipt
from licensing.consent.tests.factories import make_release
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory
from stockdata.append_only import AppendOnlyError

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    return make_release(ContributorFactory(), approve_by=StaffFactory())


def published_keys() -> dict:
    response = Client().get("/consent-receipts/keys.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    return response.json()


def _tamper(token: str) -> str:
    """The same receipt with one byte of its payload changed (signature kept)."""
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    at = raw.index(b'"given"')
    raw[at + 1] = ord("G")  # "given" -> "Given"
    changed = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


def test_receipt_verifies_with_the_published_key_and_fails_after_one_byte_changed(release):
    receipt = ConsentReceipt.objects.get(release=release)
    keys = published_keys()
    assert [k["kty"] for k in keys["keys"]] == ["OKP"]
    assert keys["keys"][0]["crv"] == "Ed25519" and "d" not in keys["keys"][0]
    header = json.loads(base64.urlsafe_b64decode(receipt.token.split(".")[0] + "=="))
    assert header == {"alg": "Ed25519", "kid": keys["keys"][0]["kid"], "typ": "application/consent-receipt+jws"}

    # Verified with the published JWK Set alone, as an outsider would.
    record = receipts.verify(receipt.token, keys)
    assert record["record_id"] == str(receipt.uuid)
    assert record["pii_principal_id"] == release.subject_id
    assert record["previous_record_id"] is None
    assert record["jurisdiction"] == "JP"
    assert record["lawful_basis"] == "dpv:ExplicitlyExpressedConsent"
    assert record["event"] == {"type": "given", "time": record["timestamp"], "state": "dpv:ConsentGiven"}
    assert [(p["purpose"], p["status"], p["sensitive"]) for p in record["purposes"]] == [
        ("publication", "given", False),
        ("ai_training", "given", False),
        ("generative_ai_training", "given", False),
        ("biometric", "given", True),
        ("unique_identification", "given", True),
    ]
    assert "Yamada" not in receipt.token and "hanako" not in json.dumps(record)  # no personal data
    assert receipt.sha256 == receipts.token_sha256(receipt.token)

    tampered = _tamper(receipt.token)
    assert tampered != receipt.token and len(tampered) == len(receipt.token)
    with pytest.raises(receipts.ReceiptInvalid, match="does not verify"):
        receipts.verify(tampered, keys)

    # The API endpoint, open to anyone.
    api = Client()
    ok = api.post("/api/v1/consent-receipts/verify/", {"receipt": receipt.token}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["record"]["record_id"] == str(receipt.uuid)
    assert ok.json()["sha256"] == receipt.sha256
    bad = api.post("/api/v1/consent-receipts/verify/", {"receipt": tampered}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "receipt_invalid"


def test_receipts_chain_through_scope_change_and_withdrawal(release, tmp_path):
    consent_services.consent_withdraw(release=release, scopes=["unique_identification"])
    consent_services.consent_withdraw(release=release, scopes=None)
    chain = list(ConsentReceipt.objects.filter(release=release).order_by("issued_at", "id"))
    assert [r.event for r in chain] == ["given", "changed", "withdrawn"]
    assert [r.previous_id for r in chain] == [None, chain[0].pk, chain[1].pk]
    records = [receipts.verify(r.token) for r in chain]
    assert [r["previous_record_id"] for r in records] == [None, str(chain[0].uuid), str(chain[1].uuid)]
    assert {p["purpose"]: p["status"] for p in records[1]["purposes"]}["unique_identification"] == "withdrawn"
    assert {p["status"] for p in records[2]["purposes"]} == {"withdrawn"}
    assert records[2]["event"]["state"] == "dpv:ConsentWithdrawn"
    with pytest.raises(AppendOnlyError):
        chain[0].save()

    # The subject downloads them all, and the command verifies the file and its chain.
    path = consent_services.release_withdrawal_link_issue(release=release)
    download = Client().get(path + "receipts.json")
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="consent-receipts-{release.subject_id}.json"'
    file = tmp_path / "receipts.json"
    file.write_bytes(download.content)
    out = StringIO()
    call_command("consent_receipt_verify", str(file), stdout=out)
    assert out.getvalue().count("VALID ") == 3
    assert "3 receipt(s) verified." in out.getvalue()

    # Dropping the middle receipt breaks the chain.
    body = json.loads(download.content)
    del body["receipts"][1]
    file.write_text(json.dumps(body))
    with pytest.raises(CommandError, match=r"receipt 2: names .* as previous"):
        call_command("consent_receipt_verify", str(file), stdout=StringIO())
    # One receipt alone, changed by one byte, is refused.
    single = tmp_path / "one.jws"
    single.write_text(_tamper(chain[0].token))
    with pytest.raises(CommandError, match="NOT VALID"):
        call_command("consent_receipt_verify", str(single), stdout=StringIO())


def test_receipt_of_another_key_does_not_verify(release, settings):
    token = ConsentReceipt.objects.get(release=release).token
    settings.STOCKDATA_CONSENT_RECEIPT_KEY = base64.urlsafe_b64encode(b"\x01" * 32).rstrip(b"=").decode()
    with pytest.raises(receipts.ReceiptInvalid, match="unknown key"):
        receipts.verify(token)
