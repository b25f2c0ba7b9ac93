"""Royalties and payouts: every write to the ledger, the payout runs and the bank account.

The ledger (``RoyaltyEntry``) is append-only; a contributor's balance is the sum of their
entries. A sale adds one entry per contributor in the version sold, a refund adds the
exact opposite entries, a payout debits the gross paid and a failed transfer credits it
back. Money arithmetic lives in ``stockdata.money``.
"""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import DatasetVersionItem
from contributors.banking import BankAccount, BankAccountError, validate_bank_account
from contributors.models import ContributorProfile, Payout, PayoutRun, RoyaltyEntry, SaleSplit
from contributors.zengin import Payer, Transfer, zengin_transfer_write
from licensing.commerce.models import DatasetRequest, MissionPhoto
from licensing.commerce.selectors import mission_progress, order_line_taxes
from stockdata.company import company
from stockdata.csv_export import csv_writer
from stockdata.errors import ApplicationError, Conflict, ErrorCode
from stockdata.money import share_of, split_largest_remainder, withholding_tax
from stockdata.royalty_terms import royalty_terms

# --- Settings (documented in stockdata/settings/base.py) --------------------------------------


def contributor_share_bp() -> int:
    return royalty_terms().share_bp


def payout_minimum() -> int:
    return royalty_terms().minimum


def payout_transfer_fee() -> int:
    return royalty_terms().transfer_fee


def non_resident_withholding_bp() -> int:
    return royalty_terms().non_resident_bp


def payout_batch_size() -> int:
    return int(getattr(settings, "STOCKDATA_PAYOUT_BATCH_SIZE", 1000))


def payout_transfer_day() -> int:
    return royalty_terms().transfer_day


TOKYO = ZoneInfo("Asia/Tokyo")
PERIOD_RE = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


# --- Profiles -----------------------------------------------------------------------------------


def contributor_profile_ensure(*, user, display_name: str) -> ContributorProfile:
    """Every contributor has exactly one profile (made when they register, kept if they register again)."""
    profile, _created = ContributorProfile.objects.get_or_create(user=user, defaults={"display_name": display_name})
    return profile


# --- Sales and refunds -------------------------------------------------------------------------


def _photo_counts(version_id: int) -> dict[int, int]:
    """Photos per contributor in a frozen version, in contributor-id order (the split's tie order)."""
    rows = (
        DatasetVersionItem.objects.filter(version_id=version_id)
        .values_list("contributor_id")
        .annotate(n=Count("id"))
        .order_by("contributor_id")
    )
    return {contributor_id: n for contributor_id, n in rows}


@transaction.atomic
def royalties_record_sale(*, line, at: datetime | None = None) -> SaleSplit:
    """Record a paid order line once: net = price − the line's share of its invoice's tax (the
    net the invoice states, so the books agree with the invoices to the yen), pool = the
    contributor share of the net, split among the version's contributors by photo count
    (largest remainder), so the parts add up to the pool and pool + platform = net."""
    existing = SaleSplit.objects.filter(order_line_id=line.pk, kind=SaleSplit.Kind.SALE).first()
    if existing is not None:
        return existing
    at = at or timezone.now()
    counts = _photo_counts(line.version_id)
    share = order_line_taxes(order_id=line.order_id)[line.pk]
    price, tax, net = share.amount, share.tax, share.net
    bp = contributor_share_bp()
    pool = share_of(net, percent_bp=bp) if counts else 0
    try:
        with transaction.atomic():
            split = SaleSplit.objects.create(
                kind=SaleSplit.Kind.SALE,
                order_line_id=line.pk,
                version_id=line.version_id,
                price=price,
                tax=tax,
                net=net,
                share_bp=bp,
                pool=pool,
                platform=net - pool,
                photo_count=sum(counts.values()),
                contributor_count=len(counts),
                created_at=at,
            )
    except IntegrityError:  # recorded by a concurrent call
        return SaleSplit.objects.get(order_line_id=line.pk, kind=SaleSplit.Kind.SALE)
    parts = split_largest_remainder(pool, counts) if counts else {}
    RoyaltyEntry.objects.bulk_create(
        [
            RoyaltyEntry(
                kind=RoyaltyEntry.Kind.SALE,
                contributor_id=contributor_id,
                order_line_id=line.pk,
                version_id=line.version_id,
                split=split,
                photo_count=counts[contributor_id],
                net_revenue=net,
                share_bp=bp,
                pool=pool,
                amount=amount,
                created_at=at,
            )
            for contributor_id, amount in parts.items()
        ],
        batch_size=2000,
    )
    return split


@transaction.atomic
def mission_bonuses_record(*, line, at: datetime | None = None) -> list[RoyaltyEntry]:
    """Pay a mission's bonuses when the requesting organisation's line of the dataset delivered for it
    is paid: each contributor gets the request's bonus for each of their photos in the version sold
    that counts toward the mission now (approved, every person consenting), at most the number of
    photos asked for, first entered first. Once per request and contributor, entries of their own
    kind; the balance they join is withheld on at payout like any other."""
    request = (
        DatasetRequest.objects.select_for_update()
        .filter(
            dataset_id=line.dataset_id,
            organisation_id=line.order.organisation_id,
            status=DatasetRequest.Status.ACCEPTED,
            bonus_per_photo__gt=0,
        )
        .first()
    )
    if (
        request is None
        or RoyaltyEntry.objects.filter(dataset_request=request, kind=RoyaltyEntry.Kind.MISSION_BONUS).exists()
    ):
        return []
    counted = set(mission_progress(request).counted_photo_ids)
    in_version = set(DatasetVersionItem.objects.filter(version_id=line.version_id).values_list("photo_id", flat=True))
    entered = MissionPhoto.objects.filter(request=request, photo_id__in=counted & in_version).order_by("added_at", "id")
    per_contributor: dict[int, int] = {}
    for contributor_id in entered.values_list("photo__contributor_id", flat=True)[: request.photo_count]:
        per_contributor[contributor_id] = per_contributor.get(contributor_id, 0) + 1
    at = at or timezone.now()
    return RoyaltyEntry.objects.bulk_create(
        [
            RoyaltyEntry(
                kind=RoyaltyEntry.Kind.MISSION_BONUS,
                contributor_id=contributor_id,
                order_line_id=line.pk,
                version_id=line.version_id,
                dataset_request=request,
                photo_count=count,
                amount=count * request.bonus_per_photo,
                created_at=at,
            )
            for contributor_id, count in sorted(per_contributor.items())
        ]
    )


@transaction.atomic
def royalties_reverse_sale(*, line, at: datetime | None = None) -> SaleSplit | None:
    """Reverse a refunded line once: one entry per sale entry with the exact opposite amount
    (a balance may go negative; the next payout run nets it off)."""
    sale = SaleSplit.objects.filter(order_line_id=line.pk, kind=SaleSplit.Kind.SALE).first()
    if sale is None:
        return None
    existing = SaleSplit.objects.filter(order_line_id=line.pk, kind=SaleSplit.Kind.REFUND).first()
    if existing is not None:
        return existing
    at = at or timezone.now()
    try:
        with transaction.atomic():
            split = SaleSplit.objects.create(
                kind=SaleSplit.Kind.REFUND,
                order_line_id=line.pk,
                version_id=sale.version_id,
                price=-sale.price,
                tax=-sale.tax,
                net=-sale.net,
                share_bp=sale.share_bp,
                pool=-sale.pool,
                platform=-sale.platform,
                photo_count=sale.photo_count,
                contributor_count=sale.contributor_count,
                created_at=at,
            )
    except IntegrityError:
        return SaleSplit.objects.get(order_line_id=line.pk, kind=SaleSplit.Kind.REFUND)
    RoyaltyEntry.objects.bulk_create(
        [
            RoyaltyEntry(
                kind=RoyaltyEntry.Kind.REFUND,
                contributor_id=e.contributor_id,
                order_line_id=line.pk,
                version_id=e.version_id,
                split=split,
                photo_count=e.photo_count,
                net_revenue=-e.net_revenue,
                share_bp=e.share_bp,
                pool=-e.pool,
                amount=-e.amount,
                created_at=at,
            )
            for e in sale.entries.filter(kind=RoyaltyEntry.Kind.SALE).order_by("id").iterator(chunk_size=2000)
        ],
        batch_size=2000,
    )
    return split


# --- Bank account and tax status -----------------------------------------------------------------


@transaction.atomic
def contributor_payout_details_set(
    *,
    profile: ContributorProfile,
    entity_type: str,
    tax_residency: str,
    bank_code: str,
    branch_code: str,
    account_type: str | int,
    account_number: str,
    holder_name: str,
) -> ContributorProfile:
    """Save a contributor's payout account (checked against the Zengin bank and branch list,
    holder name in kana) and how they are taxed."""
    if entity_type not in ContributorProfile.EntityType.values:
        raise ApplicationError(_("Choose individual or corporation."), field="entity_type")
    if tax_residency not in ContributorProfile.TaxResidency.values:
        raise ApplicationError(_("Choose whether you are resident in Japan."), field="tax_residency")
    try:
        account = validate_bank_account(bank_code, branch_code, account_type, account_number, holder_name)
    except BankAccountError as exc:
        field = "holder_name" if exc.field == "holder_name" else exc.field
        raise ApplicationError(exc.message, code=ErrorCode.BANK_ACCOUNT_INVALID, field=field) from None
    profile.entity_type = entity_type
    profile.tax_residency = tax_residency
    profile.bank_code = account.bank_code
    profile.bank_name_kana = account.bank_name_kana
    profile.branch_code = account.branch_code
    profile.branch_name_kana = account.branch_name_kana
    profile.account_type = int(account.account_type)
    profile.account_number = account.account_number
    profile.account_holder_kana = account.holder_kana
    profile.bank_updated_at = timezone.now()
    profile.save(
        update_fields=[
            "entity_type",
            "tax_residency",
            "bank_code",
            "bank_name_kana",
            "branch_code",
            "branch_name_kana",
            "account_type",
            "account_number",
            "account_holder_kana",
            "bank_updated_at",
        ]
    )
    return profile


def withholding_kind_for(*, entity_type: str, tax_residency: str) -> str:
    """Residents: individuals 10.21 %/20.42 %, corporations nothing; non-residents the flat rate."""
    if tax_residency != ContributorProfile.TaxResidency.JAPAN:
        return "non_resident"
    if entity_type == ContributorProfile.EntityType.CORPORATION:
        return "corporation"
    return "individual_resident"


@dataclass(frozen=True)
class PayoutAmounts:
    gross: int
    withholding: int
    fee: int
    net: int
    kind: str


def payout_amounts(*, gross: int, entity_type: str, tax_residency: str) -> PayoutAmounts:
    """gross = withholding + fee + net; tax is withheld on the gross, the fee taken after."""
    kind = withholding_kind_for(entity_type=entity_type, tax_residency=tax_residency)
    tax = withholding_tax(gross, kind=kind, rate_bp=non_resident_withholding_bp())
    fee = payout_transfer_fee()
    return PayoutAmounts(gross=gross, withholding=tax, fee=fee, net=gross - tax - fee, kind=kind)


# --- Payout runs -------------------------------------------------------------------------------------


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM period in Japan time."""
    m = PERIOD_RE.match(period or "")
    if not m:
        raise ApplicationError(_("A payout period is written YYYY-MM, e.g. 2026-11."), field="period")
    year, month = int(m.group(1)), int(m.group(2))
    start = datetime(year, month, 1, tzinfo=TOKYO)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=TOKYO)
    return start, end


def previous_period(now: datetime | None = None) -> str:
    local = timezone.localtime(now or timezone.now(), TOKYO)
    first = local.date().replace(day=1)
    last_month = first - timedelta(days=1)
    return f"{last_month.year:04d}-{last_month.month:02d}"


def current_period(now: datetime | None = None) -> str:
    local = timezone.localtime(now or timezone.now(), TOKYO)
    return f"{local.year:04d}-{local.month:02d}"


def transfer_date_for(period: str) -> date:
    """A month's sales are transferred on the terms' day of the following month."""
    _start, end = period_bounds(period)
    return date(end.year, end.month, payout_transfer_day())


def next_payout_period(now: datetime | None = None, *, contributor_id: int | None = None) -> str:
    """The month whose run pays next: the month just ended until its run exists, then the
    current month. For a contributor, the month just ended only if their balance at its end
    reaches the minimum (that run would pay them); otherwise their next payout is this month's."""
    period = previous_period(now)
    if PayoutRun.objects.filter(period=period).exists():
        return current_period(now)
    if contributor_id is not None:
        _start, end = period_bounds(period)
        balance = RoyaltyEntry.objects.filter(contributor_id=contributor_id, created_at__lt=end).aggregate(
            total=Coalesce(Sum("amount"), 0)
        )["total"]
        if balance < payout_minimum():
            return current_period(now)
    return period


def next_payout_date(now: datetime | None = None, *, contributor_id: int | None = None) -> date:
    """The transfer date of the run that pays next, the same date that run will carry."""
    return transfer_date_for(next_payout_period(now, contributor_id=contributor_id))


def _contributor_id_batches(batch_size: int):
    """Contributor ids in ascending batches (keyset), so memory never holds all of them."""
    last = 0
    while True:
        ids = list(
            ContributorProfile.objects.filter(user_id__gt=last)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _prepare_batch(run: PayoutRun, ids: list[int]) -> int:
    """Pay the contributors of one batch whose balance at the cut-off reaches the minimum.

    Their profile rows are locked first, so two runs (or a resumed run) never pay the same
    person twice; a sale committed after the balances were read is simply still on the
    ledger for the next run: never lost, never paid twice.
    """
    with transaction.atomic():
        profiles = list(
            ContributorProfile.objects.select_for_update()
            .filter(user_id__in=ids)
            .order_by("user_id")
            .values(
                "user_id",
                "entity_type",
                "tax_residency",
                "bank_code",
                "bank_name_kana",
                "branch_code",
                "branch_name_kana",
                "account_type",
                "account_number",
                "account_holder_kana",
            )
        )
        done = set(Payout.objects.filter(run=run, contributor_id__in=ids).values_list("contributor_id", flat=True))
        balances = dict(
            RoyaltyEntry.objects.filter(contributor_id__in=ids, created_at__lte=run.cutoff)
            .values_list("contributor_id")
            .annotate(total=Sum("amount"))
            .filter(total__gte=run.minimum)
            .order_by()
        )
        now = timezone.now()
        payouts = []
        for p in profiles:
            gross = balances.get(p["user_id"])
            if gross is None or p["user_id"] in done or not p["account_number"] or not p["account_holder_kana"]:
                continue
            gross = int(gross)
            amounts = payout_amounts(gross=gross, entity_type=p["entity_type"], tax_residency=p["tax_residency"])
            if amounts.net <= 0:
                continue
            payouts.append(
                Payout(
                    run=run,
                    contributor_id=p["user_id"],
                    gross=gross,
                    withholding=amounts.withholding,
                    withholding_kind=amounts.kind,
                    fee=amounts.fee,
                    net=amounts.net,
                    bank_code=p["bank_code"],
                    bank_name_kana=p["bank_name_kana"],
                    branch_code=p["branch_code"],
                    branch_name_kana=p["branch_name_kana"],
                    account_type=p["account_type"] or 1,
                    account_number=p["account_number"],
                    holder_kana=p["account_holder_kana"],
                    created_at=now,
                )
            )
        if not payouts:
            return 0
        Payout.objects.bulk_create(payouts)
        RoyaltyEntry.objects.bulk_create(
            [
                RoyaltyEntry(
                    kind=RoyaltyEntry.Kind.PAYOUT,
                    contributor_id=p.contributor_id,
                    payout=p,
                    amount=-p.gross,
                    created_at=now,
                )
                for p in payouts
            ]
        )
        return len(payouts)


def payout_run_start(*, period: str, by=None, now: datetime | None = None, batch_size: int | None = None) -> PayoutRun:
    """Prepare the payouts of one period, once: the period is unique, so starting it again
    (the monthly schedule and a member of staff, or a retry after a crash) finishes the same
    run and pays nobody twice. Contributors are read in batches of ids, so memory does not
    grow with their number. Balances count entries up to the cut-off (the end of the period,
    or now if earlier)."""
    start, end = period_bounds(period)
    now = now or timezone.now()
    if now < start:
        raise ApplicationError(_("This period has not started yet."), field="period")
    run, _created = PayoutRun.objects.get_or_create(
        period=period,
        defaults={
            "cutoff": min(now, end),
            "transfer_date": transfer_date_for(period),
            "minimum": payout_minimum(),
            "started_by": by,
        },
    )
    if run.status != PayoutRun.Status.PREPARING:
        return run
    for ids in _contributor_id_batches(batch_size or payout_batch_size()):
        _prepare_batch(run, ids)
    PayoutRun.objects.filter(pk=run.pk, status=PayoutRun.Status.PREPARING).update(
        status=PayoutRun.Status.PREPARED, prepared_at=timezone.now()
    )
    run.refresh_from_db()
    return run


# --- Export, paid, failed ---------------------------------------------------------------------------


def payer_from_settings() -> Payer:
    """The company's own account, the one the transfers leave from (stockdata.company); the
    holder's full kana name is the 振込依頼人名 (the file truncates it to 40 characters)."""
    payer = company()
    account = validate_bank_account(
        payer.bank_code,
        payer.branch_code,
        payer.account_type,
        payer.account_number,
        payer.account_holder_kana,
    )
    return Payer(requester_code=payer.zengin_requester_code, name_kana=account.holder_kana, account=account)


def _transfer(p: Payout) -> Transfer:
    account = BankAccount(
        bank_code=p.bank_code,
        bank_name_kana=p.bank_name_kana,
        branch_code=p.branch_code,
        branch_name_kana=p.branch_name_kana,
        account_type=p.account_type,
        account_number=p.account_number,
        holder_kana=p.holder_kana,
    )
    return Transfer(account=account, amount=int(p.net), customer_code=str(p.pk))


CSV_HEADER = [
    "payout_id",
    "contributor_id",
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "holder_kana",
    "gross",
    "withholding",
    "fee",
    "net",
]


def _payouts_to_send(run: PayoutRun):
    return Payout.objects.filter(run=run, status__in=[Payout.Status.PREPARED, Payout.Status.EXPORTED]).order_by("id")


def payout_run_files_write(run: PayoutRun, csv_out: BinaryIO, zengin_out: BinaryIO) -> int:
    """Write a run's payouts that are to be sent (prepared or exported) as CSV and Zengin, one
    row at a time as they are read (memory stays flat whatever the run's size); the count."""
    text = io.TextIOWrapper(csv_out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv_writer(text)
    writer.writerow(CSV_HEADER)

    def transfers():
        for p in _payouts_to_send(run).iterator(chunk_size=2000):
            writer.writerow(
                [
                    p.pk,
                    p.contributor_id,
                    p.bank_code,
                    p.branch_code,
                    p.account_type,
                    p.account_number,
                    p.holder_kana,
                    p.gross,
                    p.withholding,
                    p.fee,
                    p.net,
                ]
            )
            yield _transfer(p)

    if not _payouts_to_send(run).exists():
        raise ApplicationError(_("This run has no payouts to send."), code=ErrorCode.PAYOUT_RUN_EMPTY)
    count = zengin_transfer_write(zengin_out, payer_from_settings(), transfers(), transfer_date=run.transfer_date)
    text.flush()
    text.detach()  # csv_out stays open for the caller
    return count


def payout_run_files(run: PayoutRun) -> tuple[bytes, bytes]:
    """(CSV, Zengin) bytes of a run's payouts that are to be sent (prepared or exported)."""
    csv_out, zengin_out = io.BytesIO(), io.BytesIO()
    payout_run_files_write(run, csv_out, zengin_out)
    return csv_out.getvalue(), zengin_out.getvalue()


@transaction.atomic
def payout_run_export(*, run: PayoutRun, by=None) -> PayoutRun:
    """Write the run's bank transfer files (CSV and Zengin) to private storage and mark its
    payouts exported. Exporting again rewrites the same files."""
    run = PayoutRun.objects.select_for_update().get(pk=run.pk)
    if run.status not in (PayoutRun.Status.PREPARED, PayoutRun.Status.EXPORTED):
        raise Conflict(_("Only a prepared run can be exported."), code=ErrorCode.PAYOUT_RUN_NOT_PREPARED)
    base = f"payouts/{run.period}"
    # Streamed through temporary files on disk into the storage: no file is ever held in memory.
    with tempfile.TemporaryFile() as csv_tmp, tempfile.TemporaryFile() as zengin_tmp:
        payout_run_files_write(run, csv_tmp, zengin_tmp)
        for field, name, tmp in (
            ("csv_file", f"{base}/transfers-{run.period}.csv", csv_tmp),
            ("zengin_file", f"{base}/zengin-{run.period}.txt", zengin_tmp),
        ):
            if default_storage.exists(name):
                default_storage.delete(name)
            tmp.seek(0)
            getattr(run, field).name = default_storage.save(name, File(tmp, name=name))
    run.status = PayoutRun.Status.EXPORTED
    run.exported_at = timezone.now()
    run.save(update_fields=["csv_file", "zengin_file", "status", "exported_at"])
    Payout.objects.filter(run=run, status=Payout.Status.PREPARED).update(status=Payout.Status.EXPORTED)
    return run


def _close_if_done(run_id: int) -> None:
    if not Payout.objects.filter(run_id=run_id, status__in=[Payout.Status.PREPARED, Payout.Status.EXPORTED]).exists():
        PayoutRun.objects.filter(pk=run_id, status=PayoutRun.Status.EXPORTED).update(status=PayoutRun.Status.CLOSED)


@transaction.atomic
def payout_mark_paid(*, payout: Payout, by=None) -> Payout:
    """The bank confirmed the transfer. Only an exported payout can be paid; twice is a no-op."""
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status == Payout.Status.PAID:
        return payout
    if payout.status != Payout.Status.EXPORTED:
        raise Conflict(_("Only an exported payout can be marked paid."), code=ErrorCode.PAYOUT_NOT_EXPORTED)
    payout.status = Payout.Status.PAID
    payout.paid_at = timezone.now()
    payout.save(update_fields=["status", "paid_at"])
    _close_if_done(payout.run_id)
    return payout


@transaction.atomic
def payout_run_mark_paid(*, run: PayoutRun, by=None) -> int:
    """Every exported payout of the run was transferred."""
    ids = list(Payout.objects.filter(run=run, status=Payout.Status.EXPORTED).values_list("id", flat=True))
    for pk in ids:
        payout_mark_paid(payout=Payout(pk=pk), by=by)
    return len(ids)


@transaction.atomic
def payout_mark_failed(*, payout: Payout, reason: str, by=None) -> Payout:
    """The transfer bounced (closed account, wrong name): the gross goes back on the ledger
    with a payout_reversal entry, to be paid by a later run. Twice is a no-op."""
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status == Payout.Status.FAILED:
        return payout
    if payout.status not in (Payout.Status.PREPARED, Payout.Status.EXPORTED):
        raise Conflict(_("A paid payout cannot be marked failed."), code=ErrorCode.PAYOUT_ALREADY_PAID)
    payout.status = Payout.Status.FAILED
    payout.failed_at = timezone.now()
    payout.failure_reason = (reason or "")[:300]
    payout.save(update_fields=["status", "failed_at", "failure_reason"])
    RoyaltyEntry.objects.create(
        kind=RoyaltyEntry.Kind.PAYOUT_REVERSAL,
        contributor_id=payout.contributor_id,
        payout=payout,
        amount=payout.gross,
        created_at=payout.failed_at,
    )
    _close_if_done(payout.run_id)
    return payout
