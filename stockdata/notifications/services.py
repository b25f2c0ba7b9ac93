"""Every write to notifications: send one (and queue its e-mail), mark them read."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from stockdata.mail.services import email_send
from stockdata.notifications.models import Notification


def page_url(name: str, *args) -> str:
    """The path of a page a notification links to ("" when the page is not installed)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def notification_send(*, user, kind: str, params: dict, url: str = "", email: bool = True) -> Notification:
    """Put a message in the user's portal and, with ``email``, queue it by e-mail (sent once this commits)."""
    notification = Notification.objects.create(user=user, kind=kind, params=params, url=url)
    if email:
        subject, message = notification_email_text(notification)
        email_send(key=f"notification:{notification.pk}", to=[user.email], subject=subject, body=message)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return notification


def notification_email_text(notification: Notification) -> tuple[str, str]:
    """(subject, body) of a notification's e-mail: in Japanese and English, since accounts have no language yet."""
    parts, subjects = [], []
    for language in ("ja", "en"):
        with translation.override(language):
            title, body = notification.text()
        if title not in subjects:
            subjects.append(title)
            parts.append(f"{title}\n\n{body}")
    link = settings.SITE_URL.rstrip("/") + (notification.url or reverse("notifications:list"))
    message = "\n\n----------------------------------------\n\n".join(parts) + f"\n\n{link}\n"
    return "[Stockdata] " + " / ".join(subjects), message


def notifications_mark_read(*, user) -> int:
    """Mark every unread notification of ``user`` as read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
