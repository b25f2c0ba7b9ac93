from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        verbose_name = _("contributor profile")
        verbose_name_plural = _("contributor profiles")

    def __str__(self) -> str:
        return self.display_name


# --- Notifications (added with model releases and review) -------------------------------

# How each kind of notification reads: kind -> function(params) -> (title, body). Apps
# register their kinds (licensing.notifications); the text is made when it is shown, so
# the portal speaks the reader's language, not the sender's.
NOTIFICATION_RENDERERS: dict = {}


def register_notification(kind: str):
    def decorator(render):
        NOTIFICATION_RENDERERS[kind] = render
        return render

    return decorator


class Notification(models.Model):
    """A message to a contributor, shown in the portal and sent by email: a review decision, a withdrawal."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"

    def text(self) -> tuple[str, str]:
        """(title, body) in the active language."""
        render = NOTIFICATION_RENDERERS.get(self.kind)
        if render is None:
            return self.kind, ""
        return render(self.params)

    @property
    def title(self) -> str:
        return self.text()[0]

    @property
    def body(self) -> str:
        return self.text()[1]
