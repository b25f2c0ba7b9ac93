"""Every write to notifications: send one, e-mail it once, mark them read."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from stockdata.notifications.models import Notification


def page_url(name: str, *args) -> str:
    """The path of a page a notification links to ("" when the page is not installed)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def notification_send(*, user, kind: str, params: dict, url: str = "", email: bool = True) -> Notification:
    """Put a message in the user's portal and, with ``email``, mail it once this commits."""
    from stockdata.notifications.tasks import notification_email_task  # tasks import this module

    notification = Notification.objects.create(user=user, kind=kind, params=params, url=url)
    if email:
        notification_email_task.delay_on_commit(notification.pk)
    return notification


def notification_email_send(*, notification_id: int) -> None:
    """Email a notification once: in Japanese and English, since accounts have no language yet."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        )
        if notification is None or notification.emailed_at is not None:
            return
        parts, subjects = [], []
        for language in ("ja", "en"):
            with translation.override(language):
                title, body = notification.text()
            if title not in subjects:
                subjects.append(title)
                parts.append(f"{title}\n\n{body}")
        link = settings.SITE_URL.rstrip("/") + (notification.url or reverse("notifications:list"))
        message = "\n\n----------------------------------------\n\n".join(parts) + f"\n\n{link}\n"
        send_mail("[Stockdata] " + " / ".join(subjects), message, None, [notification.user.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])


def notifications_mark_read(*, user) -> int:
    """Mark every unread notification of ``user`` as read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
