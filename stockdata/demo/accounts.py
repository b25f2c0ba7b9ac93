"""Demo accounts: a contributor pair, two buyer organisations (one with a member in each role), a reviewer,
an annotator and an admin."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from stockdata.accounts import services as account_services
from stockdata.accounts.models import Organisation, OrgRole, User

DEMO_PASSWORD = "stockdata-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: str  # contributor | buyer | reviewer | admin
    organisation: str = ""
    language: str = ""  # their e-mails' language (User.language); "" reads English
    organisation_role: str = OrgRole.OWNER


ACCOUNTS = [
    DemoAccount("admin@demo.stockdata.jp", "Admin Sato", "admin"),
    DemoAccount("reviewer@demo.stockdata.jp", "Reviewer Suzuki", "reviewer"),
    DemoAccount("annotator@demo.stockdata.jp", "Annotator Kimura", "reviewer"),
    DemoAccount("contributor@demo.stockdata.jp", "Hanako Yamada", "contributor", language="ja"),
    DemoAccount("contributor2@demo.stockdata.jp", "Kenji Takahashi", "contributor", language="en"),
    DemoAccount("buyer@demo.stockdata.jp", "Taro Tanaka", "buyer", "Tokyo Vision Labs K.K.", language="ja"),
    DemoAccount("buyer2@demo.stockdata.jp", "Prof. Yuki Ito", "buyer", "Kansai Institute of Technology", language="en"),
    # Tokyo Vision Labs' colleagues, one in each of the other roles (Taro Tanaka is its owner).
    DemoAccount(
        "purchaser@demo.stockdata.jp",
        "Mika Kobayashi",
        "buyer",
        "Tokyo Vision Labs K.K.",
        language="ja",
        organisation_role=OrgRole.PURCHASER,
    ),
    DemoAccount(
        "downloader@demo.stockdata.jp",
        "Sho Watanabe",
        "buyer",
        "Tokyo Vision Labs K.K.",
        language="en",
        organisation_role=OrgRole.DOWNLOADER,
    ),
    DemoAccount(
        "compliance@demo.stockdata.jp",
        "Aya Nakamura",
        "buyer",
        "Tokyo Vision Labs K.K.",
        language="ja",
        organisation_role=OrgRole.COMPLIANCE,
    ),
]

ORGANISATIONS = {
    "Tokyo Vision Labs K.K.": dict(
        kind=Organisation.Kind.COMPANY,
        billing_name="東京ビジョンラボ株式会社",
        billing_address="東京都千代田区丸の内1-1-1\n100-0005",
        country="JP",
        invoice_registration_number="T9010001234567",
    ),
    "Kansai Institute of Technology": dict(
        kind=Organisation.Kind.UNIVERSITY,
        billing_name="関西工業大学 情報学研究科",
        billing_address="大阪府吹田市山田丘2-1\n565-0871",
        country="JP",
    ),
}


def _account(spec: DemoAccount) -> tuple[User, bool]:
    user = User.objects.filter(email=spec.email).first()
    if user is not None:
        return user, False
    user = User(email=spec.email, full_name=spec.full_name, language=spec.language)
    user.set_password(DEMO_PASSWORD)
    if spec.role == "contributor":
        account_services.contributor_register(user=user, display_name=spec.full_name)
    elif spec.role == "buyer":
        org = Organisation.objects.filter(name=spec.organisation).first()
        if org is None:
            account_services.buyer_register(user=user, name=spec.organisation, **ORGANISATIONS[spec.organisation])
        else:
            account_services.buyer_register(user=user, organisation=org, organisation_role=spec.organisation_role)
    else:
        account_services.staff_register(user=user, superuser=spec.role == "admin")
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    # Like everyone who signs up, the demo accounts accepted the terms of use in force.
    version = account_services.terms_current()
    if version is not None:
        account_services.terms_accept(user=user, version=version, ip="127.0.0.1")
    return user, True


@transaction.atomic
def seed_accounts(out) -> None:
    for spec in ACCOUNTS:
        _, created = _account(spec)
        out(f"  {'created' if created else 'exists '} {spec.role:<12} {spec.email}")
