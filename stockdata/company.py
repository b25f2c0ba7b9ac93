"""The company that runs Stockdata: who issues the invoices, where buyers pay, whom to ask.

Every part reads it through :func:`company`, which wraps the ``STOCKDATA_COMPANY`` settings
group (one ``STOCKDATA_COMPANY_<FIELD>`` environment variable per field, read by
:func:`company_settings_from_env`). The embedded default is a visibly fictitious demo
company (:data:`DEMO_COMPANY`), so ``make run`` works on a fresh machine; production settings
refuse to start while a value is missing, malformed or still one of the demo values that
identify a company (its names, address, registration number, contacts, account number,
account holder and Zengin requester code). The bank and branch codes and the account type
are not refused for equalling the demo's: the demo uses a real bank and branch so that its
Zengin file is valid, and a real company may bank there too.

The bank account is the one buyers pay into and the one contributor payouts leave from
(the 振込依頼人 of the Zengin file). The account holder is stored in full, in kana as the
bank prints it (e.g. ``カ）ストックデータ``); only the Zengin file truncates it, to its
40-character field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ACCOUNT_TYPES",
    "COMPANY_FIELDS",
    "DEMO_COMPANY",
    "DEMO_REFUSED_FIELDS",
    "Company",
    "company",
    "company_problems",
    "company_settings_from_env",
]

#: Every field of the settings group, in the order deploy/env.example lists them.
COMPANY_FIELDS = (
    "name_ja",
    "name_en",
    "address_ja",
    "address_en",
    "registration_number",
    "email",
    "phone",
    "representative",
    "bank_name",
    "bank_code",
    "branch_name",
    "branch_code",
    "account_type",
    "account_number",
    "account_holder_kana",
    "zengin_requester_code",
)

#: The embedded default: a company that does not exist, and says so.
DEMO_COMPANY: dict[str, str] = {
    "name_ja": "株式会社ストックデータ（デモ）",
    "name_en": "Stockdata K.K. (demo)",
    "address_ja": "〒100-0000 東京都千代田区デモ町1-2-3（架空の住所）",
    "address_en": "1-2-3 Demo-cho, Chiyoda-ku, Tokyo 100-0000, Japan (fictitious address)",
    "registration_number": "T0000000000000",
    "email": "contact@stockdata.example",
    "phone": "03-0000-0000",
    "representative": "代表取締役 見本 太郎（架空） / Taro Mihon, CEO (fictitious)",
    "bank_name": "みずほ銀行",
    "bank_code": "0001",
    "branch_name": "東京営業部",
    "branch_code": "001",
    "account_type": "1",
    "account_number": "0000001",
    "account_holder_kana": "カ）ストックデータデモ",
    "zengin_requester_code": "0000000001",
}

#: Fields whose demo value identifies the demo company; production refuses them.
DEMO_REFUSED_FIELDS = (
    "name_ja",
    "name_en",
    "address_ja",
    "address_en",
    "registration_number",
    "email",
    "phone",
    "representative",
    "account_number",
    "account_holder_kana",
    "zengin_requester_code",
)

#: 預金種目 a company account can have (the Zengin codes).
ACCOUNT_TYPES = {"1": _("Ordinary"), "2": _("Current")}

_REGISTRATION_NUMBER = re.compile(r"T[0-9]{13}")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{8,19}")
# Katakana (full width after NFKC, with ー), latin capitals, digits and the punctuation banks print.
_HOLDER_KANA = re.compile(r"[\u30a1-\u30fa\u30fcA-Z0-9 ().,/\-]+")


def _env_name(field: str) -> str:
    return f"STOCKDATA_COMPANY_{field.upper()}"


def _field_problem(field: str, value: str) -> str | None:
    """Why *value* cannot be the company's *field*, or ``None``."""
    if not value.strip():
        return "is empty"
    if field == "registration_number" and not _REGISTRATION_NUMBER.fullmatch(value):
        return "must be T followed by 13 digits"
    if field == "email":
        try:
            validate_email(value)
        except ValidationError:
            return "must be an e-mail address"
    if field == "phone" and not (_PHONE.fullmatch(value) and sum(c in "0123456789" for c in value) >= 10):
        return "must be a telephone number (at least 10 digits)"
    if field == "bank_code" and not re.fullmatch(r"[0-9]{4}", value):
        return "must be 4 digits"
    if field == "branch_code" and not re.fullmatch(r"[0-9]{3}", value):
        return "must be 3 digits"
    if field == "account_type" and value not in ACCOUNT_TYPES:
        return "must be 1 (普通, ordinary) or 2 (当座, current)"
    if field == "account_number" and not (re.fullmatch(r"[0-9]{7}", value) and int(value)):
        return "must be the 7 digits of the account number"
    if field == "account_holder_kana" and not _HOLDER_KANA.fullmatch(unicodedata.normalize("NFKC", value)):
        return "must be the holder's name in katakana, in full, as the bank prints it"
    if field == "zengin_requester_code" and not re.fullmatch(r"[0-9]{10}", value):
        return "must be the 10-digit requester code (振込依頼人コード) the bank assigned"
    return None


def company_problems(values: Mapping[str, str], *, allow_demo: bool) -> list[str]:
    """Every reason these settings cannot describe the company, one line per variable."""
    problems = []
    for field in COMPANY_FIELDS:
        value = values.get(field)
        if value is None:
            problems.append(f"{_env_name(field)} is not set")
            continue
        problem = _field_problem(field, value)
        if problem:
            problems.append(f"{_env_name(field)} {problem} (got {value!r})")
        elif not allow_demo and field in DEMO_REFUSED_FIELDS and value == DEMO_COMPANY[field]:
            problems.append(f"{_env_name(field)} is the demo value {value!r}; set the company's real one")
    return problems


def company_settings_from_env(environ: Mapping[str, str], *, allow_demo: bool) -> dict[str, str]:
    """The ``STOCKDATA_COMPANY`` settings group from ``STOCKDATA_COMPANY_*`` variables.

    With *allow_demo* (the embedded default) a variable that is not set takes its demo value;
    without it (production) every variable must be set to a real value. Either way a malformed
    value stops the process with every problem listed, as a missing secret key does.
    """
    values = {}
    for field in COMPANY_FIELDS:
        value = environ.get(_env_name(field))
        if value is None and allow_demo:
            value = DEMO_COMPANY[field]
        if value is not None:
            values[field] = value.strip()
    problems = company_problems(values, allow_demo=allow_demo)
    if problems:
        raise ImproperlyConfigured(
            "The company's details (STOCKDATA_COMPANY_*, see deploy/env.example) are not usable:\n  "
            + "\n  ".join(problems)
        )
    return values


@dataclass(frozen=True)
class Company:
    """The company's identity as the settings give it."""

    name_ja: str
    name_en: str
    address_ja: str
    address_en: str
    registration_number: str
    email: str
    phone: str
    representative: str
    bank_name: str
    bank_code: str
    branch_name: str
    branch_code: str
    account_type: str
    account_number: str
    account_holder_kana: str
    zengin_requester_code: str

    @property
    def is_demo(self) -> bool:
        """True while any identifying detail is still the demo company's."""
        return any(getattr(self, field) == DEMO_COMPANY[field] for field in DEMO_REFUSED_FIELDS)

    @property
    def name(self) -> str:
        """Both names, as the bilingual documents print them."""
        return f"{self.name_ja} / {self.name_en}"

    @property
    def account_type_label(self) -> str:
        return str(ACCOUNT_TYPES[self.account_type])

    def issuer_snapshot(self) -> dict[str, str]:
        """What an invoice keeps of its issuer, so it reads the same after the company moves."""
        return {
            "name_ja": self.name_ja,
            "name_en": self.name_en,
            "address_ja": self.address_ja,
            "address_en": self.address_en,
            "email": self.email,
            "phone": self.phone,
        }


def company() -> Company:
    """The company, from ``settings.STOCKDATA_COMPANY`` (read at each call, so tests can override it)."""
    return Company(**{field: settings.STOCKDATA_COMPANY[field] for field in COMPANY_FIELDS})
