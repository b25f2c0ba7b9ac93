"""Every e-mail the product sends goes through :func:`email_send`.

Write a new e-mail as two templates and one call::

    templates/mail/order_paid_subject.txt   one line, no prefix: "Order {{ number }} paid"
    templates/mail/order_paid_message.txt   the text: {% load i18n %}{% blocktranslate %}...{% endblocktranslate %}
                                            links as {{ site_url }}{% url 'licensing:order_detail' uuid %}

    email_send_template(
        key=f"order-paid:{order.pk}", to=[user.email], template="mail/order_paid",
        context={"number": order.number, "uuid": order.uuid}, language=language_of(user),
    )

:func:`email_send_template` renders both inside ``translation.override(language)`` (pass the
recipient's language: ``stockdata.i18n.language_of(user)`` for an account, the language they
chose for anyone else) and with ``/<language>/`` as the script prefix, so ``{% url %}`` links
open the page in the recipient's language. ``{{ site_url }}`` is ``settings.SITE_URL`` (the
address the site runs on: ``STOCKDATA_SITE_URL``, which ``make run`` sets). The message is
wrapped in the one base template (``mail/base.txt`` and ``mail/base.html``: greeting, the
message, the footer) and the subject gets the one prefix (``settings.EMAIL_SUBJECT_PREFIX``).
allauth's e-mails (``account/email/*_subject.txt`` / ``*_message.txt``) use the same call.

It writes an :class:`OutgoingEmail` row in the caller's transaction (so a rolled-back change
sends nothing) and queues :func:`stockdata.mail.tasks.email_deliver_task` once it commits.
The task sends under a row lock and records the result on the row: sent, failed and retrying
with backoff, or failed for good (logged). The row's ``key`` makes the whole path idempotent.
Nothing else in the code base imports ``django.core.mail`` (``stockdata/mail/tests`` check it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone, translation

from stockdata.i18n import language_or_default, split_language_prefix
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
        transaction.on_commit(lambda: email_enqueue(email.pk))
    return email


def site_url(path: str = "/", *, language: str | None = None) -> str:
    """The absolute address of ``path`` on the configured site (``settings.SITE_URL``), under
    ``/<language>/`` when ``language`` is given (a prefix ``path`` already has is replaced)."""
    if language is not None:
        path = f"/{language_or_default(language)}" + split_language_prefix(path)[1]
    return settings.SITE_URL.rstrip("/") + path


def email_render(template: str, context: dict, *, language: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of ``<template>_subject.txt`` + ``<template>_message.txt`` in ``language``,
    wrapped in the base templates (``mail/base.txt``, ``mail/base.html``) with the subject prefix."""
    language = language_or_default(language)
    previous = get_script_prefix()
    set_script_prefix(f"/{language}/")
    try:
        with translation.override(language):
            ctx = {"site_url": settings.SITE_URL.rstrip("/"), "language": language, **context}
            subject = " ".join(render_to_string(f"{template}_subject.txt", ctx).split())
            message = render_to_string(f"{template}_message.txt", ctx).strip()
            ctx |= {"subject": subject, "message": message}
            text = render_to_string("mail/base.txt", ctx).strip() + "\n"
            html = render_to_string("mail/base.html", ctx)
    finally:
        set_script_prefix(previous)
    return settings.EMAIL_SUBJECT_PREFIX + subject, text, html


def email_send_template(
    *,
    key: str,
    to: Sequence[str],
    template: str,
    context: dict,
    language: str,
    secret: bool = False,
    from_email: str = "",
) -> OutgoingEmail:
    """Render ``template`` in the recipient's ``language`` (:func:`email_render`) and queue it (:func:`email_send`)."""
    subject, text, html = email_render(template, context, language=language)
    return email_send(key=key, to=to, subject=subject, body=text, html=html, from_email=from_email, secret=secret)


def email_enqueue(email_id: int) -> bool:
    """Queue one e-mail's delivery task. If the broker cannot be reached the row stays 'queued' (the
    change it reports is committed, nothing is lost): ``emails_requeue_stalled`` queues it later."""
    from kombu.exceptions import OperationalError

    from stockdata.mail.tasks import email_deliver_task  # the task module imports this one

    try:
        email_deliver_task.delay(email_id)
    except OperationalError as exc:
        logger.warning("e-mail %s not queued (broker unreachable), the sweeper will queue it: %s", email_id, exc)
        return False
    return True


def emails_requeue_stalled(*, older_than_seconds: int | None = None, max_attempts: int | None = None) -> int:
    """Queue again every e-mail whose task never ran or was lost: still 'queued', or 'retrying' with no
    attempt left to come, after ``older_than_seconds``. Delivery is idempotent (under a row lock, sent
    once). An e-mail that used up its attempts is recorded as failed for good. Returns how many were queued."""
    from stockdata.mail.tasks import MAX_RETRIES

    if older_than_seconds is None:
        older_than_seconds = int(getattr(settings, "STOCKDATA_EMAIL_REQUEUE_AFTER_SECONDS", 15 * 60))
    max_attempts = max_attempts if max_attempts is not None else MAX_RETRIES + 1
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stalled = OutgoingEmail.objects.filter(
        status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.RETRYING], created_at__lte=cutoff
    ).order_by("pk")
    queued = 0
    for pk, attempts in stalled.values_list("pk", "attempts")[:1000]:
        if attempts >= max_attempts:
            email_failed(email_id=pk, error="no attempt left (its retries were lost)", final=True)
            continue
        queued += email_enqueue(pk)
    return queued


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

        transaction.on_commit(lambda: email_enqueue(email.pk))
    return True
