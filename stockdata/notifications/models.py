"""Messages to users: shown in their portal and e-mailed.

Every layer may notify a user, so this app sits at the bottom: apps register how each kind of
notification reads (``register_notification``) and send through ``services.notification_send``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# How each kind of notification reads: kind -> function(params) -> (title, body). The text is
# made when it is shown, so the portal speaks the reader's language, not the sender's.
NOTIFICATION_RENDERERS: dict = {}


def register_notification(kind: str):
    def decorator(render):
        NOTIFICATION_RENDERERS[kind] = render
        return render

    return decorator


class Notification(models.Model):
    """A message to a user, shown in the portal and sent by email: a review decision, a withdrawal."""

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
        # Keeps the table the contributors app created, so no rows had to move.
        db_table = "contributors_notification"
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="contributor_user_id_92d0d4_idx")]

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
