import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

invoice_registration_number_validator = RegexValidator(
    r"^T[0-9]{13}$",
    _("A qualified-invoice registration number is the letter T followed by 13 digits, e.g. T1234567890123."),
)


class Role(models.TextChoices):
    CONTRIBUTOR = "contributor", _("Contributor")
    BUYER = "buyer", _("Buyer")
    STAFF = "staff", _("Reviewer / staff")


class OrgRole(models.TextChoices):
    """What a member does for their organisation. An owner holds every role (a one-person buyer
    does everything); the others hold one part each."""

    OWNER = "owner", _("Owner")
    PURCHASER = "purchaser", _("Purchaser")
    DOWNLOADER = "downloader", _("Downloader")
    COMPLIANCE = "compliance", _("Compliance")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.STAFF)
        return self._create_user(email, password, **extra_fields)


class Organisation(models.Model):
    """A buyer: a company or a university. Orders, invoices and bundles belong to it."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        UNIVERSITY = "university", _("University / research institute")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    billing_name = models.CharField(_("billing name"), max_length=200)
    billing_address = models.TextField(_("billing address"), max_length=1000)
    country = models.CharField(_("country"), max_length=2, default="JP", help_text=_("ISO 3166 code, e.g. JP"))
    invoice_registration_number = models.CharField(
        _("qualified-invoice registration number"),
        max_length=14,
        blank=True,
        validators=[invoice_registration_number_validator],
    )
    email_domains = models.CharField(
        _("member e-mail domains"),
        max_length=300,
        blank=True,
        help_text=_("Only addresses at these domains may join, separated by spaces (e.g. kit.ac.jp). Empty: any."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("buyer organisation")
        verbose_name_plural = _("buyer organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Everyone who logs in, by email. ``role`` decides which part of the site is theirs."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.BUYER)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    # The language they chose (sign-up, the switcher, a /ja/ or /en/ address): their e-mails' language.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    # Read only through ``permissions.has_org_role`` (meaningless without an organisation). The
    # default is owner so that a buyer made the way buyers were made before roles keeps every right.
    organisation_role = models.CharField(
        _("role in the organisation"), max_length=20, choices=OrgRole.choices, default=OrgRole.OWNER
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="buyer") | models.Q(organisation__isnull=False) | models.Q(is_active=False),
                name="buyer_has_organisation",
                violation_error_message=_("A buyer belongs to an organisation."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def is_buyer(self) -> bool:
        return self.role == Role.BUYER


class TermsVersion(models.Model):
    """A version of the terms of use. The text of the version in force is the terms page
    (``templates/legal/terms_<lang>.html``, kept in the repository's history); a new row with a
    later ``effective_from`` asks everyone to accept again at their next sign-in."""

    code = models.CharField(_("version"), max_length=20, unique=True)
    effective_from = models.DateField(_("effective from"))
    changes_en = models.TextField(_("what changed (English)"), blank=True, max_length=2000)
    changes_ja = models.TextField(_("what changed (Japanese)"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("terms of use version")
        verbose_name_plural = _("terms of use versions")

    def __str__(self) -> str:
        return self.code


class TermsAcceptance(models.Model):
    """Who accepted which version of the terms of use, when and from where."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    version = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="terms_accepted_once")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.version_id}"


class ApiToken(AbstractAuthToken):
    """An API token of one device (django-rest-knox): only its SHA-512 digest is stored, it expires
    (``REST_KNOX["TOKEN_TTL"]``), and its owner can see and revoke it on the profile page."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("device"), max_length=100, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} · {self.name or self.public_id}"


class OrganisationInvitation(models.Model):
    """An owner's invitation to join the organisation in one role, for one address.

    The link carries a signed token naming the invitation; it works until ``expires_at``, once,
    and only for a signed-in account with the invited address.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=OrgRole.choices)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation_id} ({self.role})"


class MembershipEvent(models.Model):
    """Who joined, changed role or was removed, by whom and when: the organisation's member history."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("Joined")
        ROLE_CHANGED = "role_changed", _("Role changed")
        REMOVED = "removed", _("Removed")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="membership_events")
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    role = models.CharField(max_length=20, choices=OrgRole.choices, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.role}"
