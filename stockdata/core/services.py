import socket

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from stockdata.company import company
from stockdata.core.models import ContactMessage, WorkerHeartbeat
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.i18n import language_or_default
from stockdata.mail.services import email_send_template


@transaction.atomic
def worker_heartbeat_record(*, token: str) -> WorkerHeartbeat:
    """Idempotent per token: a redelivered heartbeat task writes one row."""
    beat, _ = WorkerHeartbeat.objects.get_or_create(token=token, defaults={"hostname": socket.gethostname()})
    return beat


def worker_heartbeat_prune(*, keep) -> int:
    """Delete heartbeats older than ``keep`` (a timedelta); returns how many went."""
    deleted, _ = WorkerHeartbeat.objects.filter(created_at__lt=timezone.now() - keep).delete()
    return deleted


@transaction.atomic
def contact_submit(*, topic: str, name: str, email: str, organisation: str, body: str, user=None, ip=None):
    """Store a message from the contact page for staff to answer. One client (IP address) may
    send ``STOCKDATA_CONTACT_RATE_LIMIT`` messages per ``STOCKDATA_CONTACT_RATE_WINDOW``; a flood beyond that is
    refused with when to try again and the e-mail address to write to instead."""
    limit, window = settings.STOCKDATA_CONTACT_RATE_LIMIT, settings.STOCKDATA_CONTACT_RATE_WINDOW
    if ip:
        since = timezone.now() - window
        recent = ContactMessage.objects.filter(ip=ip, created_at__gte=since).order_by("created_at")
        if recent.count() >= limit:
            retry = recent.first().created_at + window - timezone.now()
            minutes = max(1, int(retry.total_seconds() // 60) + 1)
            raise ApplicationError(
                _(
                    "You have sent %(limit)s messages in the last %(window)s minutes, the most we accept. "
                    "Try again in %(minutes)s minutes, or write to %(email)s."
                )
                % {
                    "limit": limit,
                    "window": int(window.total_seconds() // 60),
                    "minutes": minutes,
                    "email": company().email,
                },
                code=ErrorCode.CONTACT_RATE_LIMITED,
                status=429,
            )
    message = ContactMessage(
        topic=topic,
        name=name.strip(),
        email=email.strip(),
        organisation=(organisation or "").strip(),
        body=body.strip(),
        user=user if getattr(user, "is_authenticated", False) else None,
        ip=ip or None,
        language=language_or_default(get_language()),
    )
    message.full_clean()
    message.save()
    return message


@transaction.atomic
def contact_answer(*, message: ContactMessage, answer: str, by) -> ContactMessage:
    """Staff answer a message: the answer is kept with it and e-mailed to the sender (the outbox
    sends it once, after commit)."""
    if not (answer or "").strip():
        raise ApplicationError(_("Write the answer first."), code=ErrorCode.ANSWER_REQUIRED, field="answer")
    message = ContactMessage.objects.select_for_update().get(pk=message.pk)
    message.answer = answer.strip()
    message.answered_by = by
    message.answered_at = timezone.now()
    message.status = ContactMessage.Status.ANSWERED
    message.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    language = language_or_default(message.language)  # the language they wrote to us in
    with translation.override(language):
        company_name = company().name
    email_send_template(
        key=f"contact-answer:{message.pk}:{message.answered_at.isoformat()}",
        to=[message.email],
        template="mail/contact_answer",
        context={
            "company": company_name,
            "answer": message.answer,
            "question": message.body,
            "recipient_name": message.name,
        },
        language=language,
    )
    return message
