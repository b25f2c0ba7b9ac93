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
