"""Every e-mail: one base template, one subject prefix, the recipient's language, links on the
configured site URL (``settings.SITE_URL``, which ``make run`` sets to the address it prints)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from catalog.tests.factories import DatasetFactory
from licensing.commerce import services as commerce_services
from licensing.commerce.tests.test_orders import buy
from licensing.models import Order
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory
from stockdata.core.models import ContactMessage
from stockdata.mail.services import email_render, site_url
from stockdata.notifications.services import notification_send

ROOT = Path(__file__).resolve().parents[3]
SITE = "http://shop.example:8123"
FOOTER_EN = "Stockdata: photo datasets for AI, with consent you can prove"
FOOTER_JA = "Stockdata：同意を証明できる AI 向け写真データセット"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE + "/"


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s<>\"]+", text)


def assert_one_base(message, *, language: str) -> None:
    """Subject prefix, greeting and footer of the base template in text and HTML; every link on the site."""
    footer = FOOTER_JA if language == "ja" else FOOTER_EN
    assert message.subject.startswith("[Stockdata] ")
    assert message.subject.count("[") == 1 and "Stockdata] [" not in message.subject
    assert footer in message.body
    html = {mimetype: content for content, mimetype in message.alternatives}["text/html"]
    assert footer in html and f'<html lang="{language}">' in html
    for url in links(message.body):
        assert url.startswith(f"{SITE}/{language}/"), url


def test_email_template_every_template_renders_in_both_languages_with_the_base():
    names = sorted(p.name.removesuffix("_subject.txt") for p in (ROOT / "templates/mail").glob("*_subject.txt"))
    assert names == [
        "bundle_ready",
        "contact_answer",
        "contact_confirm",
        "invitation",
        "notification",
        "order_approved",
        "order_declined",
        "order_paid",
        "provision_digest",
        "release_code",
        "release_link",
        "release_request",
        "withdrawal_notice",
    ]
    for name in names:
        for language, footer in (("en", FOOTER_EN), ("ja", FOOTER_JA)):
            subject, text, html = email_render(f"mail/{name}", {"number": "SD-1", "count": 2}, language=language)
            assert subject.startswith("[Stockdata] ") and "\n" not in subject, (name, subject)
            assert text.rstrip().endswith(f"{SITE}/{language}/contact/"), (name, text)
            assert footer in text and footer in html, name
            assert f'<html lang="{language}">' in html


def test_email_template_order_paid_in_the_buyers_language_with_a_working_link(
    client, django_capture_on_commit_callbacks
):
    buyer = BuyerFactory(language="ja")
    order = buy(buyer, DatasetFactory(version__photos=2))
    with django_capture_on_commit_callbacks(execute=True):
        commerce_services.order_mark_paid(order=order, provider="bank_transfer", amount=order.total)
    message = next(m for m in mail.outbox if m.to == [buyer.email])
    assert message.subject == f"[Stockdata] 注文 {order.number} のお支払いを確認しました"
    assert_one_base(message, language="ja")
    order_link = f"{SITE}/ja/orders/{order.uuid}/"
    assert order_link in message.body
    # The link works, and opens the page in Japanese.
    client.force_login(buyer)
    page = client.get(order_link.removeprefix(SITE))
    assert page.status_code == 200 and page["Content-Language"] == "ja"


def test_email_template_declined_order_in_english_for_an_english_buyer(django_capture_on_commit_callbacks):
    buyer = BuyerFactory(language="en")
    order = buy(buyer, DatasetFactory(version__photos=2, restricted=True))
    with django_capture_on_commit_callbacks(execute=True):
        commerce_services.order_decline(order=order, by=StaffFactory(), reason="Not for surveillance.")
    message = mail.outbox[-1]
    assert message.subject == f"[Stockdata] Order {order.number} declined"
    assert f"We could not approve your order {order.number}. Reason: Not for surveillance." in message.body
    assert_one_base(message, language="en")
    assert Order.objects.get(pk=order.pk).status == Order.Status.DECLINED


def test_email_template_notification_only_in_the_recipients_language(django_capture_on_commit_callbacks):
    contributor = ContributorFactory(language="ja", full_name="山田花子")
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=contributor, kind="unknown_kind_for_test", params={}, url="/portal/")
    message = mail.outbox[-1]
    assert message.subject == "[Stockdata] unknown_kind_for_test"
    assert message.body.startswith("山田花子 様")
    assert f"{SITE}/ja/portal/" in message.body
    assert_one_base(message, language="ja")


def test_email_template_password_reset_uses_site_url_prefix_and_account_language(
    client, django_capture_on_commit_callbacks
):
    ContributorFactory(email="forgot@example.com", language="ja")
    with django_capture_on_commit_callbacks(execute=True):
        # Asked from an English page: the account's language wins.
        response = client.post("/en/accounts/password/reset/", {"email": "forgot@example.com"})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.subject == "[Stockdata] パスワードを再設定する"
    reset = [url for url in links(message.body) if "/accounts/password/reset/key/" in url]
    assert len(reset) == 1 and reset[0].startswith(f"{SITE}/en/accounts/password/reset/key/")
    assert "testserver" not in message.body and "example.com" not in message.subject
    assert FOOTER_JA in message.body
    # The link opens the form to choose a new password.
    follow = client.get(reset[0].removeprefix(SITE), follow=True)
    assert follow.status_code == 200 and 'name="password1"' in follow.content.decode()


def test_email_template_password_reset_for_an_unknown_address_in_the_pages_language(
    client, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ja/accounts/password/reset/", {"email": "nobody@example.com"})
    message = mail.outbox[-1]
    assert message.subject == "[Stockdata] このメールアドレスのアカウントはありません"
    assert f"{SITE}/ja/accounts/signup/" in message.body


def test_email_template_contact_answer_in_the_language_they_wrote_in(client, django_capture_on_commit_callbacks):
    response = client.post(
        "/ja/contact/",
        {"topic": "other", "name": "鈴木", "email": "suzuki@example.jp", "body": "請求書の宛名を変えられますか？"},
    )
    assert response.status_code == 302
    message_row = ContactMessage.objects.get()
    assert message_row.language == "ja"
    staff = StaffFactory()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:contact_message", args=[message_row.pk]), {"answer": "はい、変えられます。"})
    message = mail.outbox[-1]
    assert message.subject.startswith("[Stockdata] Re: ") and "へのお問い合わせ" in message.subject
    assert "はい、変えられます。" in message.body and "請求書の宛名を変えられますか？" in message.body
    assert_one_base(message, language="ja")


def test_email_template_site_url_replaces_a_language_prefix():
    assert site_url("/ja/orders/1/", language="en") == f"{SITE}/en/orders/1/"
    assert site_url("/orders/1/", language="ja") == f"{SITE}/ja/orders/1/"
    assert site_url("/ja/orders/1/") == f"{SITE}/ja/orders/1/"


def test_email_template_make_run_sets_the_site_url_to_the_address_it_prints():
    script = (ROOT / "scripts/run.sh").read_text()
    head = script.split("mkdir -p var/log")[0]
    out = subprocess.run(
        ["bash", "-c", head + '\necho "$STOCKDATA_SITE_URL"'],
        env={"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": "8123"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT / "scripts",
    )
    assert out.stdout.strip() == "http://127.0.0.1:8123"
    assert "Stockdata is running at $STOCKDATA_SITE_URL/" in script


def test_email_template_is_the_one_way_product_code_sends_mail():
    """Every e-mail to a person goes through ``email_send_template`` (the base, the prefix, the language);
    ``email_send`` itself is for the outbox and the e-mails to the admins."""
    callers = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "var/")) or "/tests/" in relative or relative == "stockdata/mail/services.py":
            continue
        if re.search(r"\bemail_send\(", path.read_text()):
            callers.append(relative)
    assert callers == []
