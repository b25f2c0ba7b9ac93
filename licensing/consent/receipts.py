"""Consent receipts: an ISO/IEC TS 27560 consent record, signed by the platform as a compact JWS.

The signature is Ed25519 (RFC 8032) with the fully-specified JOSE algorithm name ``Ed25519``
(RFC 9864, which deprecates the polymorphic ``EdDSA`` of RFC 8037); the key id in the header is
the key's RFC 7638 thumbprint, and the public keys are published as a JWK Set at a stable URL
(``licensing:consent_receipt_keys``), so anyone can check a receipt without asking us.

JOSE is done by joserfc (one maintained library for JWS/JWK/JWK Set, built on ``cryptography``'s
Ed25519). This module is Django-light: the payload is built by the service that issues a receipt.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

ALGORITHM = "Ed25519"
MEDIA_TYPE = "application/consent-receipt+jws"  # the JWS "typ" (RFC 7515 4.1.9)
SCHEMA = "stockdata-consent-receipt/1; ISO/IEC TS 27560:2023"  # our profile of the standard


class ReceiptInvalid(Exception):
    """The receipt does not verify: malformed, unknown key, or a signature that does not match."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4)
def _private_key(seed: str) -> OKPKey:
    raw = _b64decode(seed.strip())
    if len(raw) != 32:
        raise ValueError("STOCKDATA_CONSENT_RECEIPT_KEY must be 32 bytes, URL-safe base64 encoded")
    return OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(raw))


def signing_key() -> OKPKey:
    """The current private key (from ``settings.STOCKDATA_CONSENT_RECEIPT_KEY``)."""
    return _private_key(settings.STOCKDATA_CONSENT_RECEIPT_KEY)


def _public_key(x: str) -> OKPKey:
    return OKPKey.import_key(Ed25519PublicKey.from_public_bytes(_b64decode(x)))


def public_keys() -> list[OKPKey]:
    """The current public key first, then retired ones still published so old receipts verify."""
    current = OKPKey.import_key(signing_key().as_dict(private=False))
    retired = [_public_key(x) for x in settings.STOCKDATA_CONSENT_RECEIPT_RETIRED_PUBLIC_KEYS]
    return [current, *retired]


def jwks() -> dict[str, Any]:
    """The JWK Set (RFC 7517) to publish: public halves only, each with its ``kid``, ``alg`` and ``use``."""
    keys = []
    for key in public_keys():
        entry = key.as_dict(private=False)
        keys.append({**entry, "kid": key.thumbprint(), "alg": ALGORITHM, "use": "sig"})
    return {"keys": keys}


def canonical_json(payload: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same record always signs the same bytes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(payload: dict[str, Any]) -> tuple[str, str]:
    """The compact JWS of ``payload`` and the id of the key that signed it."""
    key = signing_key()
    kid = key.thumbprint()
    token = jws.serialize_compact(
        {"alg": ALGORITHM, "kid": kid, "typ": MEDIA_TYPE}, canonical_json(payload), key, algorithms=[ALGORITHM]
    )
    return token, kid


def token_sha256(token: str) -> str:
    """What a bundle carries for a receipt: the SHA-256 of the compact JWS text, hex."""
    return hashlib.sha256(token.strip().encode("ascii")).hexdigest()


def verify(token: str, keys: dict[str, Any] | None = None) -> dict[str, Any]:
    """The receipt's record if ``token`` is a compact JWS signed by one of the published keys.

    ``keys`` is a JWK Set to check against (default: ours). Raises :class:`ReceiptInvalid` otherwise.
    """
    token = token.strip()
    if token.count(".") != 2:
        raise ReceiptInvalid("not a compact JWS (three base64url parts separated by dots)")
    try:
        key_set = KeySet.import_key_set(keys or jwks())
        header = json.loads(_b64decode(token.split(".", 1)[0]))
        if header.get("alg") != ALGORITHM:
            raise ReceiptInvalid(f"unexpected algorithm {header.get('alg')!r}; receipts are signed with {ALGORITHM}")
        if not any(k.kid == header.get("kid") for k in key_set.keys):
            raise ReceiptInvalid(f"signed with an unknown key {header.get('kid')!r}")
        obj = jws.deserialize_compact(token, key_set, algorithms=[ALGORITHM])
        return json.loads(obj.payload)
    except ReceiptInvalid:
        raise
    except (JoseError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ReceiptInvalid(f"the signature does not verify ({exc.__class__.__name__})") from exc


def verify_chain(text: str, keys: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Verify a file as the subject downloads it (``{"receipts": [...]}``) or one bare compact JWS.

    Every receipt must verify, carry the SHA-256 and id it is listed with, and name the one before
    it as its previous receipt (the first names none). Returns the records, oldest first.
    """
    text = text.strip()
    if not text.startswith("{"):
        return [verify(text, keys)]
    try:
        entries = json.loads(text)["receipts"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ReceiptInvalid('not a compact JWS nor a receipts file ({"receipts": [...]})') from exc
    records: list[dict[str, Any]] = []
    for n, entry in enumerate(entries, start=1):
        token = str(entry.get("jws", ""))
        try:
            record = verify(token, keys)
        except ReceiptInvalid as exc:
            raise ReceiptInvalid(f"receipt {n}: {exc}") from exc
        if entry.get("sha256") and entry["sha256"] != token_sha256(token):
            raise ReceiptInvalid(f"receipt {n}: its listed SHA-256 does not match")
        if entry.get("id") and entry["id"] != record.get("record_id"):
            raise ReceiptInvalid(f"receipt {n}: listed as {entry['id']} but records {record.get('record_id')}")
        expected = records[-1]["record_id"] if records else None
        if record.get("previous_record_id") != expected:
            raise ReceiptInvalid(
                f"receipt {n}: names {record.get('previous_record_id')} as previous, expected {expected}"
            )
        records.append(record)
    return records
