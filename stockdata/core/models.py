from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """Written by a Celery worker on request: proves a real worker is consuming the queue."""

    token = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.hostname} {self.token}"


class ContactMessage(models.Model):
    """A message sent through the contact page, kept until staff answer it (and after)."""

    class Topic(models.TextChoices):
        BUYING = "buying", _("Buying datasets, quotations and invoices")
        CONTRIBUTING = "contributing", _("Contributing photos and royalties")
        PERSONAL_DATA = "personal_data", _("My personal data (disclosure, correction, deletion, consent)")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ANSWERED = "answered", _("Answered")

    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    name = models.CharField(_("your name"), max_length=150)
    email = models.EmailField(_("your e-mail address"), max_length=254)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    body = models.TextField(_("message"), max_length=5000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    answer = models.TextField(_("answer"), max_length=5000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The language they wrote in: the answer's e-mail is in it.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")
        indexes = [models.Index(fields=["ip", "created_at"]), models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.email}"
