import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from stockdata.append_only import AppendOnlyModel
from stockdata.storage import public_storage


def normalise_tag(name: str) -> str:
    """Tags compare in NFKC lower case, so full-width and half-width forms are one tag."""
    return " ".join(unicodedata.normalize("NFKC", name).strip().lower().split())[:50]


class Tag(models.Model):
    """A keyword, in any language. Stored normalised (NFKC, lower case) so "Mask" and "ｍａｓｋ" are one tag."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class AgeBand(models.TextChoices):
    CHILD = "child", _("Child (0–12)")
    TEEN = "teen", _("Teen (13–19)")
    AGE_20S = "20s", _("20s")
    AGE_30S = "30s", _("30s")
    AGE_40S = "40s", _("40s")
    AGE_50S = "50s", _("50s")
    AGE_60_PLUS = "60plus", _("60 and over")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    NONBINARY = "nonbinary", _("Non-binary")
    UNDISCLOSED = "undisclosed", _("Not disclosed")


class Lighting(models.TextChoices):
    DAYLIGHT = "daylight", _("Daylight")
    INDOOR = "indoor", _("Indoor")
    NIGHT = "night", _("Night")
    STUDIO = "studio", _("Studio")


class Angle(models.TextChoices):
    FRONTAL = "frontal", _("Frontal")
    THREE_QUARTER = "three_quarter", _("Three-quarter")
    PROFILE = "profile", _("Profile")


def _original_key(photo: "Photo", filename: str) -> str:
    return f"originals/{photo.contributor_id}/{photo.uuid}.{photo.extension}"


class PhotoRejectionReason(models.TextChoices):
    """Why a reviewer sends a photo back; the label is what the contributor reads."""

    QUALITY = "quality", _("Technical quality: out of focus, noisy or badly exposed.")
    NO_RELEASE = "no_release", _("A person in the photo has no valid model release.")
    TRADEMARK = "trademark", _("Logos, trademarks or artworks are recognisable.")
    METADATA = "metadata", _("Title, keywords or subject descriptions are missing or wrong.")
    DUPLICATE = "duplicate", _("Too similar to another photo already on the platform.")
    OTHER = "other", _("Other (see the reviewer's note).")


class Photo(models.Model):
    """One uploaded image: the original (private), its derivatives, and how it is described."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Processing(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        READY = "ready", _("Ready")
        RETRYING = "retrying", _("Failed, retrying")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        JPEG = "JPEG", "JPEG"
        PNG = "PNG", "PNG"
        WEBP = "WEBP", "WebP"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="photos", verbose_name=_("contributor")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    processing = models.CharField(
        _("processing"), max_length=20, choices=Processing.choices, default=Processing.PENDING
    )
    processing_error = models.CharField(_("processing error"), max_length=500, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(default=0)

    # Files. Originals and cleaned copies are private; derivatives are public while the photo is
    # approved and consented for publication, and in the private storage otherwise
    # (catalog.photos.services.derived_publish / derived_unpublish).
    original = models.FileField(_("original"), upload_to=_original_key, max_length=300)
    cleaned = models.FileField(_("cleaned copy"), max_length=300, blank=True)
    thumbnail = models.FileField(_("thumbnail"), storage=public_storage, max_length=300, blank=True)
    preview = models.FileField(_("watermarked preview"), storage=public_storage, max_length=300, blank=True)
    # Where the thumbnail and preview are now: public (approved, and its people consent to publication)
    # or private. Names are random, never derived from the photo's ids, and new at each publication.
    derived_public = models.BooleanField(_("previews public"), default=False, editable=False)
    original_filename = models.CharField(_("file name"), max_length=255)

    # Measured facts, from the bytes.
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    width = models.PositiveIntegerField(_("width"), help_text=_("As displayed, after EXIF orientation."))
    height = models.PositiveIntegerField(_("height"), help_text=_("As displayed, after EXIF orientation."))
    orientation = models.PositiveSmallIntegerField(_("EXIF orientation"), default=1)
    byte_size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    phash = models.CharField(_("perceptual hash"), max_length=16, blank=True, db_index=True)
    near_duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("near duplicate of")
    )

    # Description, by the contributor.
    title = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    tags = models.ManyToManyField(Tag, related_name="photos", blank=True, verbose_name=_("tags"))
    shoot_date = models.DateField(_("shoot date"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="JP")
    prefecture = models.CharField(_("prefecture / region"), max_length=50, blank=True)
    lighting = models.CharField(_("lighting"), max_length=20, choices=Lighting.choices, blank=True)
    no_people = models.BooleanField(
        _("no people in this photo"), default=False, help_text=_("A photo with no people needs no model release.")
    )

    rejection_reason = models.CharField(_("rejection reason"), max_length=50, blank=True)
    rejection_note = models.TextField(_("reviewer's note"), max_length=2000, blank=True)
    # The consent scopes the photo holds now, one bit per ConsentScope (``ConsentScope.bit``),
    # so a curation query filters 200,000 photos without reading every release. Kept by
    # ``licensing.consent.services.photos_scope_masks_refresh``; ``photos_consent_scopes`` stays the rule.
    scope_mask = models.BigIntegerField(_("consent scopes held (bit mask)"), default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        indexes = [
            models.Index(fields=["contributor", "status"]),
            models.Index(fields=["status", "submitted_at"]),
            # What a curation count joins to: the photos that may enter a dataset, in id order
            # (as the tag index hands them over), with their consent mask (PostgreSQL only).
            models.Index(
                fields=["id"],
                include=["scope_mask"],
                condition=models.Q(status="approved", processing="ready"),
                name="photo_eligible",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(width__gt=0, height__gt=0), name="photo_has_size"),
        ]

    def _derived_url(self, kind: str) -> str:
        field = getattr(self, kind)
        if not field:
            return ""
        if self.derived_public:
            return field.url
        # Not approved yet, or its people withdrew consent to publication: only its contributor and
        # staff see it, through a checked view.
        from django.urls import reverse

        return reverse("photo_derived", kwargs={"uuid": self.uuid, "kind": kind})

    @property
    def thumbnail_url(self) -> str:
        return self._derived_url("thumbnail")

    @property
    def preview_url(self) -> str:
        return self._derived_url("preview")

    def __str__(self) -> str:
        if self.title_ja and (get_language() or "").startswith("ja"):
            return self.title_ja
        return self.title or self.title_ja or self.original_filename

    @property
    def has_title(self) -> bool:
        return bool(self.title.strip() or self.title_ja.strip())

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[self.format]

    @property
    def megapixels(self) -> float:
        return round(self.width * self.height / 1_000_000, 1)

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)


class PhotoSubject(models.Model):
    """A person in a photo, as self-declared; buyers filter datasets on these attributes."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="subjects")
    position = models.PositiveSmallIntegerField(_("number"), default=1)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, blank=True)
    ethnicity = models.CharField(_("ethnicity or nationality (self-declared)"), max_length=50, blank=True)
    mask = models.BooleanField(_("mask"), default=False)
    glasses = models.BooleanField(_("glasses"), default=False)
    hat = models.BooleanField(_("hat"), default=False)
    angle = models.CharField(_("angle"), max_length=20, choices=Angle.choices, blank=True)

    class Meta:
        ordering = ["photo", "position"]
        constraints = [models.UniqueConstraint(fields=["photo", "position"], name="subject_position_unique")]
        # "Masked faces" is the catalogue's headline filter: its photos without a scan of every person.
        indexes = [models.Index(fields=["photo"], condition=models.Q(mask=True), name="subject_masked")]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self) -> str:
        return f"{self.photo_id}#{self.position}"


class PhotoHashBand(models.Model):
    """One of nine bit-slices of a photo's 64-bit perceptual hash, indexed.

    Two hashes within Hamming distance 8 agree on at least one of nine disjoint
    slices (pigeonhole), so near-duplicate candidates come from an index lookup, not
    a scan of every hash.
    """

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="hash_bands")
    band = models.PositiveSmallIntegerField()
    value = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["band", "value"])]
        constraints = [models.UniqueConstraint(fields=["photo", "band"], name="hash_band_unique")]

    def __str__(self) -> str:
        return f"photo {self.photo_id}, band {self.band}"


# --- Datasets ---------------------------------------------------------------------------


# Image sizes a frozen version's statistics count photos by (megapixels).
SIZE_BUCKETS = [(0, "< 2 MP"), (2_000_000, "2–5 MP"), (5_000_000, "5–12 MP"), (12_000_000, "12+ MP")]


class Edition(models.TextChoices):
    UNEDITED = "unedited", _("Unedited")
    ANNOTATED = "annotated", _("Edited for machine learning (annotated)")


class Dataset(models.Model):
    """A curated set of photos sold in two editions; what buyers get is always a frozen version."""

    class Category(models.TextChoices):
        FACES = "faces", _("Faces")
        PEOPLE = "people", _("People")
        SCENES = "scenes", _("Scenes and places")
        AGRICULTURE = "agriculture", _("Agriculture")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    description_en = models.TextField(_("description (English)"), max_length=5000, blank=True)
    description_ja = models.TextField(_("description (Japanese)"), max_length=5000, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.FACES)
    cover = models.ForeignKey(Photo, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    required_scopes = models.JSONField(
        _("required consent scopes"),
        default=list,
        blank=True,
        help_text=_("Codes of the consent scopes every photo in the dataset must hold."),
    )
    target_size = models.PositiveIntegerField(_("target number of photos"), default=1000)
    licence = models.ForeignKey(
        "licensing.LicenceTerms",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="datasets",
        verbose_name=_("licence terms"),
    )
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_(
            "Orders need staff approval of the buyer and its declared use before payment. "
            "The default for datasets that require the unique-identification scope."
        ),
    )
    licence_summary_en = models.TextField(_("licence summary (English)"), max_length=3000, blank=True)
    licence_summary_ja = models.TextField(_("licence summary (Japanese)"), max_length=3000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    price_unedited = models.PositiveIntegerField(_("unedited edition price (yen, tax included)"), default=99_000)
    price_annotated = models.PositiveIntegerField(_("annotated edition price (yen, tax included)"), default=165_000)
    curation_query = models.JSONField(_("curation query"), default=dict, blank=True)
    photos = models.ManyToManyField(Photo, through="DatasetPhoto", related_name="datasets", blank=True)
    # Denormalised for the storefront: the version on sale and a lower-cased search text
    # (titles, descriptions and the tags of that version), refreshed when a version is frozen.
    latest_version = models.ForeignKey(
        "DatasetVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "category"]), models.Index(fields=["status", "published_at"])]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        constraints = [
            models.CheckConstraint(condition=models.Q(price_unedited__gt=0), name="dataset_price_unedited_positive"),
            models.CheckConstraint(condition=models.Q(price_annotated__gt=0), name="dataset_price_annotated_positive"),
        ]

    def __str__(self) -> str:
        return self.title_en

    def price_for(self, edition: str) -> int:
        return self.price_annotated if edition == Edition.ANNOTATED else self.price_unedited


class DatasetPhoto(models.Model):
    """The working selection a curator edits; a version freezes a copy of it."""

    class Source(models.TextChoices):
        QUERY = "query", _("From the query")
        MANUAL = "manual", _("Added by hand")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE)
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.QUERY)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "photo"], name="dataset_photo_unique")]

    def __str__(self) -> str:
        return f"photo {self.photo_id} in dataset {self.dataset_id}"


class DatasetVersion(AppendOnlyModel):
    """An immutable list of photos and their annotations; orders name one, bundles rebuild from it."""

    append_only_instead = "freeze a new version instead"

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    query = models.JSONField(_("query that made it"), default=dict)
    photo_count = models.PositiveIntegerField(_("photos"))
    subject_count = models.PositiveIntegerField(_("subjects"), default=0)
    box_count = models.PositiveIntegerField(_("annotation boxes"), default=0)
    annotated = models.BooleanField(
        _("annotated edition available"),
        default=False,
        help_text=_("Every box in it was confirmed by a person when it was frozen."),
    )
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    statistics = models.JSONField(_("statistics"), default=dict)
    changes = models.JSONField(_("changes from the previous version"), default=dict)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Not auto_now_add: the row is written once, complete, so a given time (a test's, an import's)
    # goes in with it.
    frozen_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="dataset_version_unique")]
        verbose_name = _("dataset version")
        verbose_name_plural = _("dataset versions")

    def __str__(self) -> str:
        return f"{self.dataset.slug} v{self.number}"


class DatasetVersionItem(AppendOnlyModel):
    """One photo as it was when the version was frozen: its file, facts, subjects and boxes."""

    append_only_instead = "freeze a new version instead"

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="items")
    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="version_items")
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    file_name = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Snapshots, so later edits to the photo never change what was sold.
    tags = models.JSONField(default=list)
    attributes = models.JSONField(default=dict)
    subjects = models.JSONField(default=list)
    scopes = models.JSONField(default=list)
    boxes = models.JSONField(default=list)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "photo"], name="version_item_photo_unique"),
            models.UniqueConstraint(fields=["version", "position"], name="version_item_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} (version {self.version_id})"


class BoxLabel(models.TextChoices):
    FACE = "face", _("Face")
    MASK = "mask", _("Mask")


class AnnotationBox(models.Model):
    """A box on a photo in displayed (orientation-applied) pixels; proposed by the detector, confirmed by a person."""

    class Source(models.TextChoices):
        DETECTOR = "detector", _("Face detector")
        HUMAN = "human", _("Drawn by staff")

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="boxes")
    label = models.CharField(_("label"), max_length=20, choices=BoxLabel.choices, default=BoxLabel.FACE)
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.HUMAN)
    confirmed = models.BooleanField(_("confirmed by a person"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["photo", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(w__gt=0, h__gt=0), name="box_has_size")]

    def __str__(self) -> str:
        return f"{self.label} {self.w}×{self.h} at ({self.x}, {self.y}) on photo {self.photo_id}"


class AnnotationRun(models.Model):
    """The automatic detector has looked at this photo (so it is not proposed twice)."""

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, related_name="annotation_run")
    detector = models.CharField(max_length=100)
    proposed = models.PositiveSmallIntegerField(default=0)
    ran_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.detector} on photo {self.photo_id}"


class RejectedProposal(AppendOnlyModel):
    """A detector proposal a person removed as false: kept as a record, so a version can say how many."""

    append_only_instead = "a rejection stays on record; a box drawn again is a new box"

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="rejected_proposals")
    label = models.CharField(_("label"), max_length=20, choices=BoxLabel.choices, default=BoxLabel.FACE)
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    detector = models.CharField(_("detector"), max_length=100, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rejected by")
    )
    rejected_at = models.DateTimeField(_("rejected at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["photo", "rejected_at", "id"]
        verbose_name = _("rejected detector proposal")
        verbose_name_plural = _("rejected detector proposals")

    def __str__(self) -> str:
        return f"{self.photo_id}: {self.label} {self.w}×{self.h} at ({self.x}, {self.y}) rejected"


class AnnotationCompletion(AppendOnlyModel):
    """A person declared a photo's annotation complete: every face and every mask boxed, no false box.

    ``boxes_digest`` fingerprints the boxes as they were; a later change to the boxes makes the
    photo incomplete again until someone marks it anew (a new row).
    """

    append_only_instead = "mark the photo complete again (a new row)"

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="annotation_completions")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("marked complete by")
    )
    completed_at = models.DateTimeField(_("marked complete at"), default=timezone.now, editable=False)
    boxes_digest = models.CharField(_("boxes fingerprint (SHA-256)"), max_length=64)
    face_count = models.PositiveSmallIntegerField(_("face boxes"), default=0)
    mask_count = models.PositiveSmallIntegerField(_("mask boxes"), default=0)

    class Meta:
        ordering = ["photo", "-completed_at", "-id"]
        indexes = [models.Index(fields=["photo", "-completed_at"])]
        verbose_name = _("annotation completion")
        verbose_name_plural = _("annotation completions")

    def __str__(self) -> str:
        return f"{self.photo_id}: complete ({self.face_count} faces, {self.mask_count} masks)"
