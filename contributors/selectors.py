"""Reads for royalties and payouts. Every contributor read takes the contributor as a filter."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.utils import timezone

from catalog.models import Dataset
from contributors.models import Payout, PayoutRun, RoyaltyEntry, SaleSplit
from contributors.services import TOKYO


def royalty_balance(*, contributor_id: int, at: datetime | None = None) -> int:
    """The balance is the sum of the contributor's ledger entries (never a stored counter)."""
    qs = RoyaltyEntry.objects.filter(contributor_id=contributor_id)
    if at is not None:
        qs = qs.filter(created_at__lte=at)
    return int(qs.aggregate(total=Coalesce(Sum("amount"), 0))["total"])


def royalty_ledger(*, contributor_id: int):
    """The contributor's entries, newest first, with the dataset and the order line."""
    return (
        RoyaltyEntry.objects.filter(contributor_id=contributor_id)
        .select_related("version__dataset", "order_line", "payout__run")
        .order_by("-created_at", "-id")
    )


def earnings_by_month(*, contributor_id: int, months: int = 12, today: date | None = None) -> list[dict]:
    """Sales minus refunds per calendar month (Japan time), the last ``months`` months, oldest first."""
    today = today or timezone.localtime(timezone.now(), TOKYO).date()
    keys = []
    y, m = today.year, today.month
    for _ in range(months):
        keys.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    keys.reverse()
    start = datetime(keys[0][0], keys[0][1], 1, tzinfo=TOKYO)
    rows = (
        RoyaltyEntry.objects.filter(
            contributor_id=contributor_id,
            created_at__gte=start,
            kind__in=[RoyaltyEntry.Kind.SALE, RoyaltyEntry.Kind.REFUND, RoyaltyEntry.Kind.MISSION_BONUS],
        )
        .annotate(month=TruncMonth("created_at", tzinfo=TOKYO))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by("month")
    )
    totals = {(r["month"].year, r["month"].month): int(r["total"]) for r in rows}
    series = [{"year": y, "month": m, "label": f"{y}-{m:02d}", "amount": totals.get((y, m), 0)} for y, m in keys]
    top = max([abs(s["amount"]) for s in series] + [1])
    for s in series:
        s["percent"] = round(max(s["amount"], 0) * 100 / top)
    return series


def payouts_for(*, contributor_id: int):
    return Payout.objects.filter(contributor_id=contributor_id).select_related("run").order_by("-created_at", "-id")


def payout_statement_entries(*, payout: Payout):
    """The ledger lines a payout pays: the contributor's sales, refunds and returned payouts
    after the cut-off of their previous payout, up to this run's cut-off (a balance under the
    minimum carries over, so its sales appear on the statement that finally pays them).
    Together they add up to the payout's gross."""
    previous_cutoff = (
        Payout.objects.filter(contributor_id=payout.contributor_id, run__cutoff__lt=payout.run.cutoff)
        .order_by("-run__cutoff")
        .values_list("run__cutoff", flat=True)
        .first()
    )
    entries = RoyaltyEntry.objects.filter(contributor_id=payout.contributor_id, created_at__lte=payout.run.cutoff)
    if previous_cutoff is not None:
        entries = entries.filter(created_at__gt=previous_cutoff)
    return (
        entries.exclude(kind=RoyaltyEntry.Kind.PAYOUT)
        .select_related("version__dataset", "order_line")
        .order_by("created_at", "id")
    )


def withholding_summary(*, contributor_id: int) -> list[dict]:
    """Per calendar year of payment: gross paid, tax withheld, fees, net (paid payouts only)."""
    rows = (
        Payout.objects.filter(contributor_id=contributor_id, status=Payout.Status.PAID)
        .annotate(year=ExtractYear("paid_at", tzinfo=TOKYO))
        .values("year")
        .annotate(count=Count("id"), gross=Sum("gross"), withholding=Sum("withholding"), fee=Sum("fee"), net=Sum("net"))
        .order_by("-year")
    )
    return [dict(r) for r in rows]


def payout_run_totals(*, run: PayoutRun) -> dict:
    totals = Payout.objects.filter(run=run).aggregate(
        count=Count("id"),
        gross=Coalesce(Sum("gross"), 0),
        withholding=Coalesce(Sum("withholding"), 0),
        fee=Coalesce(Sum("fee"), 0),
        net=Coalesce(Sum("net"), 0),
        paid=Count("id", filter=Q(status=Payout.Status.PAID)),
        failed=Count("id", filter=Q(status=Payout.Status.FAILED)),
    )
    return totals


def platform_revenue_by_month() -> list[dict]:
    """Per month (Japan time): gross sales, tax, net, contributor pool, mission bonuses, platform share
    after the bonuses it pays (refunds subtract), payouts sent and withholding to remit (by month paid)."""
    months: OrderedDict = OrderedDict()

    def row(month):
        key = (month.year, month.month)
        if key not in months:
            months[key] = {
                "label": f"{month.year}-{month.month:02d}",
                "gross": 0,
                "tax": 0,
                "net": 0,
                "pool": 0,
                "platform": 0,
                "bonuses": 0,
                "payouts_net": 0,
                "withholding": 0,
                "fees": 0,
            }
        return months[key]

    sales = (
        SaleSplit.objects.annotate(month=TruncMonth("created_at", tzinfo=TOKYO))
        .values("month")
        .annotate(gross=Sum("price"), tax=Sum("tax"), net=Sum("net"), pool=Sum("pool"), platform=Sum("platform"))
        .order_by("month")
    )
    for s in sales:
        r = row(s["month"])
        for k in ("gross", "tax", "net", "pool", "platform"):
            r[k] = int(s[k])
    bonuses = (
        RoyaltyEntry.objects.filter(kind=RoyaltyEntry.Kind.MISSION_BONUS)
        .annotate(month=TruncMonth("created_at", tzinfo=TOKYO))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by("month")
    )
    for b in bonuses:
        r = row(b["month"])
        r["bonuses"] = int(b["total"])
        r["platform"] -= r["bonuses"]  # the platform pays the bonuses out of its share
    paid = (
        Payout.objects.filter(status=Payout.Status.PAID)
        .annotate(month=TruncMonth("paid_at", tzinfo=TOKYO))
        .values("month")
        .annotate(net=Sum("net"), withholding=Sum("withholding"), fees=Sum("fee"))
        .order_by("month")
    )
    for p in paid:
        r = row(p["month"])
        r["payouts_net"], r["withholding"], r["fees"] = int(p["net"]), int(p["withholding"]), int(p["fees"])
    return [months[k] for k in sorted(months, reverse=True)]


def earnings_this_month(*, contributor_id: int, today: date | None = None) -> int:
    """Sales minus refunds credited this calendar month (Japan time), in yen: the month's bar of the chart."""
    return earnings_by_month(contributor_id=contributor_id, months=1, today=today)[0]["amount"]


def contributor_datasets(*, contributor_id: int):
    """Published datasets whose version on sale contains the contributor's photos, with how many
    (``your_photos``), newest first."""
    mine = Q(latest_version__items__contributor_id=contributor_id)
    return (
        Dataset.objects.filter(mine, status=Dataset.Status.PUBLISHED)
        .annotate(your_photos=Count("latest_version__items", filter=mine, distinct=True))
        .order_by("-published_at", "-id")
    )
