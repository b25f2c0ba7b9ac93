"""The outbox: one row per e-mail the product sends, keyed so that it is sent once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    """An e-mail to send, written in the same transaction as the change it reports.

    ``key`` names what the e-mail is about (``order-paid:42``); a second request with the
    same key is the same e-mail, so a retried service or a duplicated task never sends twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RETRYING = "retrying", _("Failed, retrying")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("key"), max_length=200, unique=True)
    to = models.JSONField(_("recipients"), default=list)
    from_email = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("e-mail subject"), max_length=998)
    body = models.TextField(_("body"), blank=True)
    html = models.TextField(_("HTML body"), blank=True)
    # The body holds a private link (a withdrawal or password link): erased once it is sent.
    secret = models.BooleanField(_("secret"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["status", "created_at"], name="mail_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} → {', '.join(self.to)} ({self.status})"
