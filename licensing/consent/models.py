"""Consent: what each subject agreed to, who reviewed it, what they withdrew, and who received their photos."""

import base64
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import AgeBand, PhotoRejectionReason
from stockdata.append_only import AppendOnlyError, AppendOnlyModel
from stockdata.i18n import is_japanese

MAX_SCOPE_BIT = 62  # Photo.scope_mask is a signed 64-bit integer


def scope_bits_free(count: int) -> list[int]:
    """The ``count`` lowest bits no consent scope uses yet."""
    used = set(ConsentScope.objects.values_list("bit", flat=True))
    free = [b for b in range(MAX_SCOPE_BIT + 1) if b not in used][:count]
    if len(free) < count:
        raise ValidationError(_("There can be at most 63 consent scopes."))
    return free


class ConsentScope(models.Model):
    """One use a subject can consent to, as ticked on the release form.

    The list is data, not code: a new line on the form is a new row. The two flags say
    which contributor opt-outs remove the scope (see ``ContributorOptOut``).
    """

    PUBLICATION = "publication"
    AI_TRAINING = "ai_training"
    GENERATIVE_AI_TRAINING = "generative_ai_training"
    BIOMETRIC = "biometric"
    UNIQUE_IDENTIFICATION = "unique_identification"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    description_ja = models.CharField(_("description (Japanese)"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position on the form"), default=0)
    is_ai_use = models.BooleanField(
        _("AI use"), default=False, help_text=_("Removed when a contributor opts out of AI training.")
    )
    is_biometric = models.BooleanField(
        _("biometric use"), default=False, help_text=_("Removed when a contributor opts out of biometric uses.")
    )
    # A photo stores the scopes it holds as bits of a 64-bit integer (Photo.scope_mask): each
    # scope owns one bit, the lowest free one when it is created (see ``save``).
    bit = models.PositiveSmallIntegerField(_("bit in the photos' consent mask"), unique=True, editable=False)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("consent scope")
        verbose_name_plural = _("consent scopes")
        constraints = [
            models.CheckConstraint(condition=models.Q(bit__lte=MAX_SCOPE_BIT), name="consent_scope_bit_fits_mask"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.bit is None:
            self.bit = scope_bits_free(1)[0]
        super().save(*args, **kwargs)

    @property
    def mask(self) -> int:
        """This scope's bit in ``Photo.scope_mask``, as a value."""
        return 1 << self.bit

    @property
    def name(self) -> str:
        return self.name_ja if is_japanese() else self.name_en

    @property
    def description(self) -> str:
        return self.description_ja or self.description_en if is_japanese() else self.description_en


def new_subject_id() -> str:
    """A pseudonymous id for a subject: "S-" and eight base32 characters (40 random bits)."""
    return "S-" + base64.b32encode(secrets.token_bytes(5)).decode()


def token_hash(secret: str) -> str:
    """What is stored of a subject's secret link: its SHA-256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _document_key(release: "ModelRelease", filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"releases/{release.contributor_id}/{release.uuid}-{secrets.token_hex(4)}.{ext}"


class FormLanguage(models.TextChoices):
    JA = "ja", _("Japanese")
    EN = "en", _("English")
    ZH = "zh", _("Chinese")
    KO = "ko", _("Korean")
    OTHER = "other", _("Other")


class Origin(models.TextChoices):
    PAPER = "paper", _("On paper (scan uploaded by the photographer)")
    DIGITAL = "digital", _("Digitally, by the subject")


class ContactConfirmation(models.TextChoices):
    CODE = "code", _("One-time code sent to the address")
    IN_PERSON = "in_person", _("Identity checked in person by staff")


def _signature_key(release: "ModelRelease", filename: str) -> str:
    return f"releases/{release.contributor_id}/{release.uuid}-signature-{secrets.token_hex(4)}.png"


# The fields of a release its contributor fills in (the form, the API) and a reviewer compares
# with the signed document.
RELEASE_FIELDS = (
    "reference",
    "subject_name",
    "subject_contact",
    "date_of_birth",
    "age_band",
    "is_minor",
    "guardian_name",
    "guardian_signed",
    "signed_on",
    "shoot_date",
    "shoot_place",
    "photographer_name",
    "witness_name",
    "form_language",
    "expires_on",
)


class ModelRelease(models.Model):
    """A signed model release: one subject's consent, with the scan (or the PDF they signed here) as proof.

    The subject's name, contact, date of birth and the guardian's and witness's names are
    personal data, shown to staff only; everywhere else the subject is ``subject_id``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class DocumentFormat(models.TextChoices):
        PDF = "pdf", "PDF"
        JPEG = "jpg", "JPEG"
        PNG = "png", "PNG"

    Origin = Origin

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject_id = models.CharField(_("subject id"), max_length=12, unique=True, default=new_subject_id, editable=False)
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="model_releases", verbose_name=_("contributor")
    )
    reference = models.CharField(
        _("your reference"),
        max_length=100,
        blank=True,
        help_text=_("A label to find this release again, e.g. 'Shibuya shoot, model A'. Do not put names here."),
    )

    # Personal data: staff only.
    subject_name = models.CharField(_("subject's full name"), max_length=200)
    subject_contact = models.CharField(
        _("subject's contact"), max_length=300, help_text=_("Email address, phone number or postal address.")
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    guardian_name = models.CharField(_("guardian's name"), max_length=200, blank=True)
    witness_name = models.CharField(_("witness's name"), max_length=200, blank=True)

    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    is_minor = models.BooleanField(_("the subject is a minor (under 18)"), default=False)
    guardian_signed = models.BooleanField(_("a parent or guardian signed the form"), default=False)
    signed_on = models.DateField(_("date signed"))
    shoot_date = models.DateField(_("shoot date"), null=True, blank=True)
    shoot_place = models.CharField(_("place of the shoot"), max_length=200, blank=True)
    photographer_name = models.CharField(_("photographer"), max_length=200)
    form_language = models.CharField(
        _("language of the form"), max_length=5, choices=FormLanguage.choices, default=FormLanguage.JA
    )
    expires_on = models.DateField(
        _("consent expires on"), null=True, blank=True, help_text=_("Leave empty if the consent does not expire.")
    )

    document = models.FileField(_("signed document"), upload_to=_document_key, max_length=300)
    document_format = models.CharField(_("document format"), max_length=4, choices=DocumentFormat.choices)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    document_size = models.PositiveIntegerField(_("document size in bytes"))

    scopes = models.ManyToManyField(
        ConsentScope, through="ReleaseScope", related_name="releases", verbose_name=_("consent scopes")
    )

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    rejection_reason = models.CharField(_("rejection reason"), max_length=50, blank=True)
    rejection_note = models.TextField(_("reviewer's note"), max_length=2000, blank=True)

    # APPI: the subject is told by e-mail (to their confirmed contact) on each day their photos
    # were provided to a third party, unless they turned it off on their page.
    provision_digest = models.BooleanField(
        _("e-mail me when my photos are provided to a buyer"),
        default=True,
    )

    # The subject's secret link: only a SHA-256 of the token is kept.
    withdrawal_token_hash = models.CharField(max_length=64, blank=True, editable=False)

    # How the consent was given: a scan the photographer uploaded, or signed by the subject here.
    origin = models.CharField(_("signed"), max_length=10, choices=Origin.choices, default=Origin.PAPER)
    # The address the subject's private link may go to: set only once its holder confirmed it
    # (a one-time code) or staff checked the subject's identity in person (who and how below).
    contact_email = models.EmailField(_("confirmed e-mail"), blank=True)
    contact_confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    contact_confirmed_how = models.CharField(
        _("confirmed by"), max_length=10, choices=ContactConfirmation.choices, blank=True
    )
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("identity checked by"),
    )
    identity_check_method = models.CharField(_("how identity was checked"), max_length=300, blank=True)
    # A digital release: what the subject (and a minor's guardian) typed and drew.
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_full_name = models.CharField(_("full name as typed"), max_length=200, blank=True)
    signature = models.FileField(_("signature"), upload_to=_signature_key, max_length=300, blank=True)
    guardian_relation = models.CharField(_("guardian's relation"), max_length=100, blank=True)
    guardian_signature = models.FileField(
        _("guardian's signature"), upload_to=_signature_key, max_length=300, blank=True
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("model release")
        verbose_name_plural = _("model releases")
        indexes = [
            models.Index(fields=["contributor", "status"]),
            models.Index(fields=["status", "submitted_at"]),
        ]
        constraints = [
            # Defence in depth for the service rule: a minor's release is never approved without a guardian.
            models.CheckConstraint(
                condition=~models.Q(status="approved", is_minor=True)
                | (models.Q(guardian_signed=True) & ~models.Q(guardian_name="")),
                name="approved_minor_release_has_guardian",
            ),
        ]

    def __str__(self) -> str:
        return self.subject_id

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()

    @property
    def is_editable(self) -> bool:
        """The photographer may change a paper release under review; one the subject signed, never."""
        return self.origin == Origin.PAPER and self.status in (self.Status.PENDING, self.Status.REJECTED)

    @property
    def is_valid(self) -> bool:
        """Approved and not expired: only such a release gives a photo any scope."""
        return self.status == self.Status.APPROVED and not self.is_expired


class ReleaseScope(models.Model):
    """A scope ticked on a release; a withdrawal stamps it instead of deleting it."""

    release = models.ForeignKey(ModelRelease, on_delete=models.CASCADE, related_name="release_scopes")
    scope = models.ForeignKey(ConsentScope, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal = models.ForeignKey(
        "ConsentWithdrawal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["scope__position", "scope__code"]
        constraints = [models.UniqueConstraint(fields=["release", "scope"], name="release_scope_unique")]
        verbose_name = _("granted scope")
        verbose_name_plural = _("granted scopes")

    def __str__(self) -> str:
        return f"{self.release_id}:{self.scope_id}"


class ReleaseLink(models.Model):
    """Which release covers a subject of a photo. One release may cover many photos of a shoot."""

    subject = models.OneToOneField(
        "catalog.PhotoSubject", on_delete=models.CASCADE, related_name="release_link", verbose_name=_("subject")
    )
    release = models.ForeignKey(ModelRelease, on_delete=models.PROTECT, related_name="links", verbose_name=_("release"))
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("release link")
        verbose_name_plural = _("release links")

    def __str__(self) -> str:
        return f"{self.release_id} → {self.subject_id}"


class ReleaseRejectionReason(models.TextChoices):
    """Why a reviewer sends a release back; the label is what the contributor reads."""

    SIGNATURE_MISSING = "signature_missing", _("The subject's signature is missing on the form.")
    NAMES_MISMATCH = "names_mismatch", _("The names on the form do not match the details entered.")
    DATES_INCONSISTENT = "dates_inconsistent", _("The dates do not agree (date signed, shoot date or date of birth).")
    GUARDIAN_MISSING = "guardian_missing", _("The subject is a minor and the guardian's name or signature is missing.")
    SCOPES_ILLEGIBLE = "scopes_illegible", _("The consent scopes ticked on the form are not legible.")
    DOCUMENT_UNREADABLE = (
        "document_unreadable",
        _("The scan is unreadable or incomplete; upload a clear scan of every page."),
    )
    OTHER = "other", _("Other (see the reviewer's note).")


def rejection_reason_label(kind: str, reason: str) -> str:
    """The readable reason of a photo's or a release's rejection (the code itself if unknown)."""
    if not reason:
        return ""
    reasons = ReleaseRejectionReason if kind == "release" else PhotoRejectionReason
    return str(dict(reasons.choices).get(reason, reason))


class ReviewDecision(AppendOnlyModel):
    """Every review decision on a photo or a release: who, when, what and why. Append-only."""

    append_only_instead = "record a new decision instead"

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        RELEASE = "release", _("Model release")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("item"), max_length=10, choices=Kind.choices)
    # The uuid is kept even if a rejected photo is later deleted by its contributor.
    item_uuid = models.UUIDField(_("item id"))
    photo = models.ForeignKey(
        "catalog.Photo", on_delete=models.SET_NULL, null=True, blank=True, related_name="review_decisions"
    )
    release = models.ForeignKey(
        ModelRelease, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_decisions"
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=50, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_decisions", verbose_name=_("reviewer")
    )
    # What the reviewer saw: the revision (hash of fields and document) of the page they decided on,
    # and for a paper release the checklist items they ticked.
    revision = models.CharField(_("revision reviewed"), max_length=64, blank=True)
    checklist = models.JSONField(_("checklist ticked"), default=list, blank=True)
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        indexes = [models.Index(fields=["item_uuid"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.item_uuid}: {self.get_decision_display()}"

    @property
    def reason_label(self) -> str:
        return rejection_reason_label(self.kind, self.reason)


class ConsentWithdrawal(models.Model):
    """A subject took back some scopes, or the whole consent. It takes effect at once and is kept for good."""

    class Channel(models.TextChoices):
        LINK = "link", _("The subject's secret link")
        PAPER = "paper", _("On paper, recorded by staff")

    release = models.ForeignKey(
        ModelRelease, on_delete=models.PROTECT, related_name="withdrawals", verbose_name=_("release")
    )
    entire = models.BooleanField(_("whole consent withdrawn"), default=False)
    scopes = models.ManyToManyField(ConsentScope, related_name="+", verbose_name=_("scopes withdrawn"))
    channel = models.CharField(_("received through"), max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    received_on = models.DateField(_("received on"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consent withdrawal")
        verbose_name_plural = _("consent withdrawals")

    def __str__(self) -> str:
        return f"{self.release_id} {self.created_at:%Y-%m-%d}"


class ContributorOptOut(models.Model):
    """A contributor keeps all (``photo`` empty) or one of their photos out of AI uses.

    Opting out of AI training removes every scope marked ``is_ai_use``; opting out of
    biometric uses removes those marked ``is_biometric``. The stricter of the
    account-wide setting and the photo's own applies.
    """

    class Kind(models.TextChoices):
        AI_TRAINING = "ai_training", _("Exclude from all AI training")
        BIOMETRIC = "biometric", _("Exclude from biometric uses only")

    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ai_opt_outs")
    photo = models.ForeignKey(
        "catalog.Photo", on_delete=models.CASCADE, null=True, blank=True, related_name="ai_opt_outs"
    )
    kind = models.CharField(_("opt-out"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("AI opt-out")
        verbose_name_plural = _("AI opt-outs")
        constraints = [
            models.UniqueConstraint(
                fields=["contributor"], condition=models.Q(photo__isnull=True), name="opt_out_one_account_wide"
            ),
            models.UniqueConstraint(
                fields=["contributor", "photo"], condition=models.Q(photo__isnull=False), name="opt_out_one_per_photo"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contributor_id}:{self.photo_id or '*'}:{self.kind}"


class ProvisionRecordRetained(AppendOnlyError):
    """Raised when something tries to delete a provision record still within its retention."""


class ProvisionRecord(AppendOnlyModel):
    """APPI's third-party provision record: one per subject per order line, kept at least three
    years. Never changed; deleted only once its retention date has passed."""

    append_only_instead = "it stays as recorded until its retention date"

    order_line = models.ForeignKey(
        "licensing.OrderLine", on_delete=models.PROTECT, null=True, blank=True, related_name="provision_records"
    )
    # Or the free evaluation pack that provided the photos (exactly one of the two is set).
    evaluation_pack = models.ForeignKey(
        "licensing.EvaluationPack",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provision_records",
    )
    release = models.ForeignKey(
        ModelRelease, on_delete=models.PROTECT, null=True, blank=True, related_name="provisions"
    )
    subject_id = models.CharField(_("subject (pseudonymous id)"), max_length=20, db_index=True)
    provided_on = models.DateField(_("date provided"))
    recipient_name = models.CharField(_("recipient"), max_length=200)
    recipient_address = models.TextField(_("recipient address"), max_length=1000)
    dataset_title = models.CharField(_("dataset"), max_length=200)
    dataset_version = models.PositiveIntegerField(_("version"))
    items = models.JSONField(_("items provided"), help_text=_("File names and the data fields provided"))
    consent_basis = models.JSONField(_("consent basis"), help_text=_("Release id and the scopes it granted"))
    retain_until = models.DateField(_("keep until"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-provided_on", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["order_line", "subject_id"], name="provision_once_per_subject_line"),
            models.UniqueConstraint(
                fields=["evaluation_pack", "subject_id"], name="provision_once_per_subject_evaluation_pack"
            ),
            models.CheckConstraint(
                condition=models.Q(order_line__isnull=False, evaluation_pack__isnull=True)
                | models.Q(order_line__isnull=True, evaluation_pack__isnull=False),
                name="provision_by_order_line_or_evaluation_pack",
            ),
        ]
        verbose_name = _("third-party provision record")
        verbose_name_plural = _("third-party provision records")

    @property
    def reference(self) -> str:
        """The order number, or the evaluation pack's reference, the photos were provided under."""
        return self.order_line.order.number if self.order_line_id else self.evaluation_pack.reference

    @classmethod
    def append_only_check_delete(cls, queryset: models.QuerySet) -> None:
        # APPI: a record is kept until its retention ends; a delete touching one that is not
        # due yet is refused whole.
        if queryset.filter(retain_until__gt=timezone.localdate()).exists():
            raise ProvisionRecordRetained(_("Provision records cannot be deleted before their retention period ends."))

    def __str__(self) -> str:
        return f"{self.subject_id} to {self.recipient_name} on {self.provided_on}"


class ConsentReceipt(AppendOnlyModel):
    """A signed, machine-readable receipt of a consent event (ISO/IEC TS 27560 record as a compact JWS).

    Issued when a release is signed or approved, when its scopes change and when it is withdrawn;
    each names the one before it, so the subject's receipts form a chain. Never changed.
    """

    append_only_instead = "issue a new receipt instead"

    class Event(models.TextChoices):
        GIVEN = "given", _("Consent given")
        CHANGED = "changed", _("Scopes changed")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")

    uuid = models.UUIDField(_("receipt id"), default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(ModelRelease, on_delete=models.PROTECT, related_name="receipts")
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next", verbose_name=_("previous")
    )
    event = models.CharField(_("event"), max_length=10, choices=Event.choices)
    token = models.TextField(_("signed receipt (compact JWS)"))
    sha256 = models.CharField(_("SHA-256 of the signed receipt"), max_length=64)
    key_id = models.CharField(_("signing key id"), max_length=64)
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("consent receipt")
        verbose_name_plural = _("consent receipts")

    def __str__(self) -> str:
        return str(self.uuid)


class ContactCode(models.Model):
    """A one-time secret sent to an address (a six-digit code, or a link); using it proves the person
    holds that address. Only its SHA-256 is kept; it expires, allows few attempts and works once.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(ModelRelease, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    request = models.ForeignKey("ReleaseRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="codes")
    email = models.EmailField()
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        # Never the code (only its hash is kept) nor the whole address.
        for_what = f"release {self.release.subject_id}" if self.release_id else f"request {self.request_id}"
        return f"confirmation code for {for_what}"


class ReleaseRequest(models.Model):
    """A contributor asks a person to sign a release on their own device (or on the photographer's).

    Holds the person's name and e-mail (staff and the contributor only) and the people in photos it
    will cover; becomes a ``ModelRelease`` when the person signs.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the signature")
        SIGNED = "signed", _("Signed")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        REMOTE = "remote", _("Sent by e-mail")
        ON_LOCATION = "on_location", _("On this device (hand it over)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="release_requests")
    subject_name = models.CharField(_("person's full name"), max_length=200)
    email = models.EmailField(_("person's e-mail"))
    is_minor = models.BooleanField(_("the person is a minor (under 18)"), default=False)
    language = models.CharField(
        _("language"), max_length=5, choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )
    mode = models.CharField(_("how it is signed"), max_length=12, choices=Mode.choices, default=Mode.REMOTE)
    subjects = models.ManyToManyField("catalog.PhotoSubject", related_name="+", verbose_name=_("people in photos"))
    photographer_name = models.CharField(_("photographer"), max_length=200)
    shoot_date = models.DateField(_("shoot date"), null=True, blank=True)
    shoot_place = models.CharField(_("place of the shoot"), max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, editable=False)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    release = models.OneToOneField(
        ModelRelease, on_delete=models.PROTECT, null=True, blank=True, related_name="request"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("release request")
        verbose_name_plural = _("release requests")

    def __str__(self) -> str:
        return str(self.uuid)
