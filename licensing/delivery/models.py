"""Delivery: the bundles buyers download, every download, and the notices sent after a withdrawal."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.commerce.models import OrderLine
from licensing.consent.models import ConsentWithdrawal
from stockdata.append_only import AppendOnlyModel


class BundleBase(models.Model):
    """The heavy, buyer-independent part of a bundle (images, annotations, metadata), built
    once per version and edition and reused for every buyer of it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        BUILDING = "building", _("Preparing")
        RETRYING = "retrying", _("Failed, retrying")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    version = models.ForeignKey("catalog.DatasetVersion", on_delete=models.PROTECT, related_name="bundle_bases")
    edition = models.CharField(max_length=20, choices=[("unedited", _("Unedited")), ("annotated", _("Annotated"))])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    archive = models.CharField(max_length=300, blank=True, help_text=_("Private storage name of the base ZIP"))
    index = models.JSONField(default=dict, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    byte_size = models.PositiveBigIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The build lease: which bundle's task is writing the base, its last sign of life, and the
    # temporary object it writes to (deleted when a retry starts clean; never served).
    builder = models.PositiveIntegerField(null=True, blank=True, help_text=_("Id of the bundle whose task builds it"))
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    partial = models.CharField(max_length=300, blank=True, help_text=_("Temporary object being written"))
    # Items of the version left out because their photo no longer holds the dataset's required
    # scopes when the base was chosen (consent withdrawn, release ended, opted out): sorted file
    # names, and the SHA-256 of them joined by newlines ("" when nothing is left out). A base is
    # one per (version, edition, what is left out), so buyers after a withdrawal get a new one.
    excluded = models.JSONField(default=list, blank=True)
    excluded_key = models.CharField(max_length=64, default="", blank=True)
    # The SHA-256 state after the base's local records (the prefix of every buyer's archive),
    # kept so a buyer's whole-archive hash costs only their tail (archive.digest).
    prefix_sha256_state = models.JSONField(default=dict, blank=True)
    # A base whose images pass STOCKDATA_BUNDLE_PART_BYTES is built as this many self-contained
    # parts (BundleBasePart), one Celery task each; 0: one archive (``archive``).
    part_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "edition", "excluded_key"], name="bundle_base_unique_excluded")
        ]

    def __str__(self) -> str:
        return f"base of version {self.version_id} ({self.edition}, {self.status})"


class BundleBasePart(models.Model):
    """One part of a parted base: the images of a run of items with their own annotations and
    metadata, built by its own task (a killed worker's part is rebuilt alone)."""

    base = models.ForeignKey(BundleBase, on_delete=models.PROTECT, related_name="parts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=BundleBase.Status.choices, default=BundleBase.Status.PENDING)
    file_names = models.JSONField(default=list)
    archive = models.CharField(max_length=300, blank=True)
    partial = models.CharField(max_length=300, blank=True)
    index = models.JSONField(default=dict, blank=True)
    prefix_sha256_state = models.JSONField(default=dict, blank=True)
    byte_size = models.PositiveBigIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["base", "number"], name="bundle_base_part_once")]
        ordering = ["base", "number"]

    def __str__(self) -> str:
        return f"part {self.number} of base {self.base_id} ({self.status})"


class Bundle(models.Model):
    """What one order line's buyer downloads: the base plus their licence and manifest."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        BUILDING = "building", _("Preparing")
        RETRYING = "retrying", _("Failed, retrying")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed, our team has been told")

    order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="bundle")
    base = models.ForeignKey(BundleBase, on_delete=models.PROTECT, null=True, blank=True, related_name="bundles")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    archive = models.CharField(max_length=300, blank=True)
    # A buyer costs kilobytes: ``archive`` may hold only the buyer's tail, served after the first
    # ``base_prefix`` bytes of ``base.archive`` (0: ``archive`` is the whole file).
    base_prefix = models.PositiveBigIntegerField(
        default=0, help_text=_("Bytes of the base archive served before the stored archive (0: whole file)")
    )
    file_name = models.CharField(max_length=200, blank=True)
    byte_size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    download_limit = models.PositiveIntegerField(null=True, blank=True, help_text=_("Empty: unlimited"))
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    partial = models.CharField(max_length=300, blank=True, help_text=_("Temporary object being written"))
    revoked_at = models.DateTimeField(null=True, blank=True, help_text=_("Downloads refused from then on"))
    # No provision after a withdrawal: a ready bundle holding a photo that may no longer be delivered
    # is rebuilt without it when its buyer next asks for it (``services.bundle_refresh_after_withdrawal``).
    withdrawn_files = models.JSONField(
        default=list, blank=True, help_text=_("Files taken out of this bundle since it was first delivered")
    )
    rebuilt_at = models.DateTimeField(null=True, blank=True, help_text=_("Last rebuilt after a withdrawal"))

    @property
    def progress(self) -> tuple[int, int]:
        """(files done, files total) as the buyer sees it: the shared base's progress while it is built."""
        if self.status == self.Status.READY:
            return self.files_total, self.files_total
        base = self.base
        if base is not None and base.status != BundleBase.Status.READY and base.files_total:
            return base.files_done, base.files_total + 2  # + LICENSE.txt and MANIFEST.sha256
        return self.files_done, self.files_total

    @property
    def percent(self) -> int:
        done, total = self.progress
        return int(done * 100 / total) if total else 0

    def __str__(self) -> str:
        return f"bundle of order line {self.order_line_id} ({self.status})"


class BundlePart(models.Model):
    """One downloadable part of a parted buyer's bundle: the base part's prefix + the buyer's tail
    (``number`` >= 1), or the small index part (``number`` 0, one whole file)."""

    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="parts")
    number = models.PositiveSmallIntegerField()
    base_part = models.ForeignKey(BundleBasePart, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    archive = models.CharField(max_length=300)
    base_prefix = models.PositiveBigIntegerField(default=0)
    byte_size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bundle", "number"], name="bundle_part_once")]
        ordering = ["bundle", "number"]

    def __str__(self) -> str:
        return self.file_name


class DownloadLink(models.Model):
    """One link to a bundle's archive, issued to one member of the buying organisation; the issue
    itself is the log entry (who asked, when, from where, until when).

    Local disk: the link is ``/downloads/<selector>.<secret>/``, opaque (no order, no path; only
    the secret's SHA-256 is stored) and opens only for the member who asked for it, signed in.
    S3: a presigned URL of ``STOCKDATA_DOWNLOAD_URL_MAX_AGE`` seconds (we never see its fetches,
    so issuing it counts as the download).
    """

    class Kind(models.TextChoices):
        LOCAL = "local", _("Link on this site")
        PRESIGNED = "presigned", _("Presigned storage link")

    selector = models.CharField(max_length=32, unique=True)
    secret_hash = models.CharField(max_length=64, blank=True)
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    part = models.ForeignKey(BundlePart, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} link {self.selector} for bundle {self.bundle_id}"


class DownloadEvent(models.Model):
    """Every fetch of a bundle: who, when, from where, through which link. A fetch that resumes an
    interrupted download (an HTTP Range from a later byte) is logged but is the same download:
    download limits count the fetches that start at byte 0 (``resumed=False``)."""

    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    link = models.ForeignKey(DownloadLink, on_delete=models.PROTECT, related_name="fetches", null=True, blank=True)
    range_start = models.BigIntegerField(default=0)
    resumed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"bundle {self.bundle_id} by user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


#: The licence gives a recipient this many days to delete what a withdrawal names.
DELETION_DAYS = 30
#: Reminders of an unconfirmed notice, this many days after it was sent.
REMINDER_DAYS = (7, 21)


class WithdrawalNotice(models.Model):
    """Tells a buyer that a person in a delivered bundle (or an evaluation pack) withdrew consent, which
    files to delete (the tombstone: names and SHA-256 as delivered) and by when; closed by the buyer's
    deletion confirmation."""

    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawal_notices"
    )
    evaluation_pack = models.ForeignKey(
        "licensing.EvaluationPack", on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawal_notices"
    )
    withdrawal = models.ForeignKey(ConsentWithdrawal, on_delete=models.PROTECT, related_name="buyer_notices")
    file_names = models.JSONField()
    # [{"file": "images/x.jpg", "sha256": "..."}] of every delivered file of the person (image, labels).
    tombstone = models.JSONField(default=list, blank=True)
    # The subject's provision record for this line or pack (None: delivered before records were kept).
    provision_record = models.ForeignKey(
        "licensing.ProvisionRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawal_notices"
    )
    created_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    reminded_7_at = models.DateTimeField(null=True, blank=True)
    reminded_21_at = models.DateTimeField(null=True, blank=True)
    overdue_reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_line", "withdrawal"], name="withdrawal_notice_once"),
            models.UniqueConstraint(fields=["evaluation_pack", "withdrawal"], name="withdrawal_notice_once_per_pack"),
            models.CheckConstraint(
                condition=models.Q(order_line__isnull=False, evaluation_pack__isnull=True)
                | models.Q(order_line__isnull=True, evaluation_pack__isnull=False),
                name="withdrawal_notice_for_line_or_pack",
            ),
        ]

    def __str__(self) -> str:
        return f"withdrawal {self.withdrawal_id} to order line {self.order_line_id}"

    @property
    def confirmation_or_none(self):
        try:
            return self.confirmation
        except DeletionConfirmation.DoesNotExist:
            return None

    def status_at(self, today) -> str:
        """ "confirmed", "overdue" (past ``due_on`` unconfirmed) or "notified"."""
        if self.confirmation_or_none is not None:
            return "confirmed"
        if self.due_on is not None and today > self.due_on:
            return "overdue"
        return "notified"


class DeletionConfirmation(AppendOnlyModel):
    """A named person at the recipient confirms they deleted what a withdrawal notice names, from all
    copies, and excluded it from new training runs. Written once; it closes the notice."""

    append_only_instead = "it stays as confirmed"

    notice = models.OneToOneField(WithdrawalNotice, on_delete=models.PROTECT, related_name="confirmation")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200)
    deleted_on = models.DateField(_("deleted on"))
    statement = models.BooleanField(
        _("deleted from all copies and excluded from new training runs"),
        help_text=_("Deleted from all copies and excluded from new training runs."),
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("deletion confirmation")
        verbose_name_plural = _("deletion confirmations")

    def __str__(self) -> str:
        return f"{self.name} ({self.role}) on {self.deleted_on}"


class EvaluationPack(AppendOnlyModel):
    """A free evaluation pack a buyer downloaded: which samples, under which evaluation licence,
    accepted when, by whom, from where (recorded like a purchase licence). Each subject in it gets
    a third-party provision record, as for a sale."""

    append_only_instead = "a new download is a new pack"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluation_packs", verbose_name=_("buyer")
    )
    recipient_name = models.CharField(_("recipient"), max_length=200)
    recipient_address = models.TextField(_("recipient address"), max_length=1000, blank=True)
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.PROTECT, related_name="evaluation_packs")
    version = models.ForeignKey("catalog.DatasetVersion", on_delete=models.PROTECT, related_name="evaluation_packs")
    licence = models.ForeignKey(
        "licensing.LicenceTerms", on_delete=models.PROTECT, related_name="evaluation_packs", verbose_name=_("licence")
    )
    licence_accepted_at = models.DateTimeField(_("licence accepted at"))
    licence_accepted_ip = models.GenericIPAddressField(_("licence accepted from"), null=True, blank=True)
    file_names = models.JSONField(_("files provided"), default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("evaluation pack")
        verbose_name_plural = _("evaluation packs")

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"EVAL-{self.uuid.hex[:12].upper()}"
