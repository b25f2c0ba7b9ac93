"""Every e-mail the product sends goes through :func:`email_send`.

It writes an :class:`OutgoingEmail` row in the caller's transaction (so a rolled-back change
sends nothing) and queues :func:`stockdata.mail.tasks.email_deliver_task` once it commits.
The task sends under a row lock and records the result on the row: sent, failed and retrying
with backoff, or failed for good (logged). The row's ``key`` makes the whole path idempotent.
Nothing else in the code base imports ``django.core.mail`` (``stockdata/mail/tests`` check it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from stockdata.mail.models import OutgoingEmail

logger = logging.getLogger(__name__)

#: What a secret body reads once the e-mail is sent or has failed for good.
SECRET_ERASED = "(erased: this e-mail held a private link)"


def email_send(
    *,
    key: str,
    to: Sequence[str],
    subject: str,
    body: str,
    html: str = "",
    from_email: str = "",
    secret: bool = False,
) -> OutgoingEmail:
    """Queue one e-mail, identified by ``key``: the same key again returns the first row, unsent again.

    Recipients without an address are dropped; with none left nothing is queued.
    """
    from stockdata.mail.tasks import email_deliver_task  # the task module imports this one

    recipients = [address for address in to if address]
    email, created = OutgoingEmail.objects.get_or_create(
        key=key[:200],
        defaults={
            "to": recipients,
            "subject": " ".join(str(subject).splitlines())[:998],
            "body": str(body),
            "html": str(html),
            "from_email": from_email,
            "secret": secret,
            "status": OutgoingEmail.Status.QUEUED if recipients else OutgoingEmail.Status.FAILED,
            "error": "" if recipients else "no recipient address",
        },
    )
    if created and recipients:
        email_deliver_task.delay_on_commit(email.pk)
    return email


def email_send_to_admins(*, key: str, subject: str, body: str) -> OutgoingEmail | None:
    """Queue an e-mail to ``settings.ADMINS`` (none configured: nothing is sent, as with Django)."""
    recipients = [address for _name, address in settings.ADMINS]
    if not recipients:
        return None
    return email_send(
        key=key,
        to=recipients,
        subject=settings.EMAIL_SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.SERVER_EMAIL,
    )


def email_deliver(*, email_id: int) -> bool:
    """Send a queued e-mail once, under a row lock; True when it went out now.

    An SMTP error propagates (the transaction rolls back and the task records it).
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status in (OutgoingEmail.Status.SENT, OutgoingEmail.Status.FAILED):
            return False
        message = EmailMultiAlternatives(email.subject, email.body, email.from_email or None, email.to)
        if email.html:
            if email.body:
                message.attach_alternative(email.html, "text/html")
            else:
                message.body = email.html
                message.content_subtype = "html"
        message.send()
        email.status = OutgoingEmail.Status.SENT
        email.sent_at = timezone.now()
        email.attempts += 1
        email.error = ""
        fields = ["status", "sent_at", "attempts", "error"]
        if email.secret:
            email.body, email.html = SECRET_ERASED, ""
            fields += ["body", "html"]
        email.save(update_fields=fields)
    return True


def email_failed(*, email_id: int, error: str, final: bool) -> None:
    """Record a failed attempt: 'retrying', or 'failed' for good (logged as an error)."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status == OutgoingEmail.Status.SENT:
            return
        email.attempts += 1
        email.error = error[:2000]
        email.status = OutgoingEmail.Status.FAILED if final else OutgoingEmail.Status.RETRYING
        fields = ["attempts", "error", "status"]
        if final and email.secret:
            email.body, email.html = SECRET_ERASED, ""
            fields += ["body", "html"]
        email.save(update_fields=fields)
    if final:
        logger.error("e-mail %s (%s) failed for good after %s attempts: %s", email_id, email.key, email.attempts, error)
    else:
        logger.warning("e-mail %s (%s) failed, will retry: %s", email_id, email.key, error)


def email_requeue(*, email_id: int) -> bool:
    """Staff send a failed e-mail again (not a secret one: its body is gone; issue a new link)."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != OutgoingEmail.Status.FAILED or email.secret or not email.to:
            return False
        email.status = OutgoingEmail.Status.QUEUED
        email.save(update_fields=["status"])
        from stockdata.mail.tasks import email_deliver_task  # the task module imports this one

        email_deliver_task.delay_on_commit(email.pk)
    return True
