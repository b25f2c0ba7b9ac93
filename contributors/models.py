from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stockdata.append_only import AppendOnlyModel


class ContributorProfile(models.Model):
    """A photographer's account details beyond the login: how they appear and how they are taxed."""

    class EntityType(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATION = "corporation", _("Corporation")

    class TaxResidency(models.TextChoices):
        JAPAN = "jp", _("Resident in Japan")
        OTHER = "other", _("Non-resident")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contributor_profile")
    display_name = models.CharField(_("display name"), max_length=80)
    entity_type = models.CharField(
        _("entity type"), max_length=20, choices=EntityType.choices, default=EntityType.INDIVIDUAL
    )
    tax_residency = models.CharField(
        _("tax residency"), max_length=10, choices=TaxResidency.choices, default=TaxResidency.JAPAN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Payout account (validated with contributors.banking; texts stored in Zengin half-width form).
    bank_code = models.CharField(_("bank code"), max_length=4, blank=True)
    bank_name_kana = models.CharField(_("bank name (kana)"), max_length=30, blank=True)
    branch_code = models.CharField(_("branch code"), max_length=3, blank=True)
    branch_name_kana = models.CharField(_("branch name (kana)"), max_length=30, blank=True)
    account_type = models.PositiveSmallIntegerField(_("account type"), null=True, blank=True)
    account_number = models.CharField(_("account number"), max_length=7, blank=True)
    account_holder_kana = models.CharField(_("account holder (kana)"), max_length=60, blank=True)
    bank_updated_at = models.DateTimeField(_("bank account updated"), null=True, blank=True)

    class Meta:
        verbose_name = _("contributor profile")
        verbose_name_plural = _("contributor profiles")

    def __str__(self) -> str:
        return self.display_name

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_code and self.branch_code and self.account_number and self.account_holder_kana)


# --- Royalties and payouts -------------------------------------------------------------------
#
# The ledger is append-only: a sale, a refund, a payout and a failed transfer each add
# rows; nothing is ever changed or removed, so a balance is always the sum of the rows.


class SaleSplit(AppendOnlyModel):
    """How one paid (or refunded) order line's net revenue was divided: pool + platform = net, to the yen."""

    append_only_instead = "write a reversing entry instead"

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    order_line = models.ForeignKey(
        "licensing.OrderLine", on_delete=models.PROTECT, related_name="royalty_splits", verbose_name=_("order line")
    )
    version = models.ForeignKey("catalog.DatasetVersion", on_delete=models.PROTECT, related_name="+")
    price = models.BigIntegerField(_("price (yen, tax included)"))
    tax = models.BigIntegerField(_("consumption tax (yen)"))
    net = models.BigIntegerField(_("net revenue (yen)"))
    share_bp = models.PositiveSmallIntegerField(_("contributor share (basis points)"))
    pool = models.BigIntegerField(_("contributor pool (yen)"))
    platform = models.BigIntegerField(_("platform share (yen)"))
    photo_count = models.PositiveIntegerField(_("photos"))
    contributor_count = models.PositiveIntegerField(_("contributors"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("sale split")
        verbose_name_plural = _("sale splits")
        constraints = [
            models.UniqueConstraint(fields=["order_line", "kind"], name="sale_split_once_per_line_kind"),
            models.CheckConstraint(
                condition=models.Q(pool__exact=models.F("net") - models.F("platform")),
                name="sale_split_pool_plus_platform_is_net",
            ),
            models.CheckConstraint(
                condition=models.Q(net__exact=models.F("price") - models.F("tax")),
                name="sale_split_net_is_price_minus_tax",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of order line {self.order_line_id}: pool ¥{self.pool:,}"


class PayoutRun(models.Model):
    """One payout period (e.g. 2026-11): every contributor above the minimum paid once, up to a cut-off."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        PREPARED = "prepared", _("Prepared")
        EXPORTED = "exported", _("Exported")
        CLOSED = "closed", _("Closed")

    period = models.CharField(_("period"), max_length=7, unique=True, help_text=_("YYYY-MM"))
    cutoff = models.DateTimeField(_("entries up to"))
    transfer_date = models.DateField(_("transfer date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREPARING)
    minimum = models.PositiveIntegerField(_("minimum balance (yen)"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    prepared_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    zengin_file = models.FileField(max_length=300, blank=True)
    csv_file = models.FileField(max_length=300, blank=True)

    class Meta:
        ordering = ["-period"]
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")

    def __str__(self) -> str:
        return self.period


class Payout(models.Model):
    """One contributor's payment in a run: gross = withholding + fee + net, bank details as sent."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        EXPORTED = "exported", _("Exported")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREPARED)
    gross = models.BigIntegerField(_("gross (yen)"))
    withholding = models.BigIntegerField(_("income tax withheld (yen)"))
    withholding_kind = models.CharField(_("withholding"), max_length=30)
    fee = models.BigIntegerField(_("transfer fee (yen)"))
    net = models.BigIntegerField(_("paid (yen)"))
    # The account as it was when the run was prepared.
    bank_code = models.CharField(max_length=4)
    bank_name_kana = models.CharField(max_length=30, blank=True)
    branch_code = models.CharField(max_length=3)
    branch_name_kana = models.CharField(max_length=30, blank=True)
    account_type = models.PositiveSmallIntegerField()
    account_number = models.CharField(max_length=7)
    holder_kana = models.CharField(max_length=60)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.UniqueConstraint(fields=["run", "contributor"], name="payout_once_per_run"),
            models.CheckConstraint(
                condition=models.Q(gross__gt=0, withholding__gte=0, fee__gte=0, net__gt=0),
                name="payout_amounts_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(gross__exact=models.F("withholding") + models.F("fee") + models.F("net")),
                name="payout_gross_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["contributor", "-created_at"])]

    def __str__(self) -> str:
        return f"payout to contributor {self.contributor_id} in run {self.run_id}: ¥{self.net:,} ({self.status})"


class RoyaltyEntry(AppendOnlyModel):
    """One signed amount on a contributor's ledger; the balance is the sum of them."""

    append_only_instead = "write a reversing entry instead"

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")
        PAYOUT = "payout", _("Payout")
        PAYOUT_REVERSAL = "payout_reversal", _("Payout returned")
        MISSION_BONUS = "mission_bonus", _("Mission bonus")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="royalty_entries",
        verbose_name=_("contributor"),
    )
    order_line = models.ForeignKey(
        "licensing.OrderLine", on_delete=models.PROTECT, null=True, blank=True, related_name="royalty_entries"
    )
    version = models.ForeignKey(
        "catalog.DatasetVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    split = models.ForeignKey(SaleSplit, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    # A mission bonus: the dataset request whose order paid it (``order_line`` is that order's line).
    dataset_request = models.ForeignKey(
        "licensing.DatasetRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    photo_count = models.PositiveIntegerField(_("your photos"), default=0)
    net_revenue = models.BigIntegerField(_("net revenue of the line (yen)"), default=0)
    share_bp = models.PositiveSmallIntegerField(_("contributor share (basis points)"), default=0)
    pool = models.BigIntegerField(_("contributor pool (yen)"), default=0)
    amount = models.BigIntegerField(_("amount (yen)"))
    # No index of its own: a lone created_at index tempts the planner into scanning the whole
    # ledger for one batch of contributors; (contributor, created_at) below serves every read.
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("royalty entry")
        verbose_name_plural = _("royalty entries")
        constraints = [
            models.UniqueConstraint(
                fields=["order_line", "contributor", "kind"],
                condition=models.Q(kind__in=["sale", "refund"]),
                name="royalty_entry_once_per_line",
            ),
            models.UniqueConstraint(
                fields=["dataset_request", "contributor"],
                condition=models.Q(kind="mission_bonus"),
                name="royalty_mission_bonus_once",
            ),
            models.UniqueConstraint(
                fields=["payout", "kind"],
                condition=models.Q(kind__in=["payout", "payout_reversal"]),
                name="royalty_entry_once_per_payout",
            ),
        ]
        indexes = [models.Index(fields=["contributor", "created_at"])]

    def __str__(self) -> str:
        return f"{self.contributor_id} {self.kind} {self.amount}"
