"""Every write to notifications: send one (and queue its e-mail), mark them read."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from stockdata.i18n import language_of, split_language_prefix
from stockdata.mail.services import email_send_template, site_url
from stockdata.notifications.models import Notification


def page_url(name: str, *args) -> str:
    """The path of a page a notification links to, without a language prefix ("" when the page is not installed)."""
    try:
        return split_language_prefix(reverse(name, args=args))[1]
    except NoReverseMatch:
        return ""


def notification_send(*, user, kind: str, params: dict, url: str = "", email: bool = True) -> Notification:
    """Put a message in the user's portal and, with ``email``, queue it by e-mail in the user's
    language (sent once this commits)."""
    notification = Notification.objects.create(user=user, kind=kind, params=params, url=url)
    if email:
        language = language_of(user)
        with translation.override(language):
            title, body = notification.text()
        email_send_template(
            key=f"notification:{notification.pk}",
            to=[user.email],
            template="mail/notification",
            context={
                "title": title,
                "body": body,
                "link": site_url(notification.url or page_url("notifications:list"), language=language),
                "recipient_name": user.full_name,
            },
            language=language,
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return notification


def notifications_mark_read(*, user) -> int:
    """Mark every unread notification of ``user`` as read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
