"""The outbox: every e-mail is written once, sent once, retried on SMTP errors, and failures show."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction

from stockdata.mail import tasks
from stockdata.mail.models import OutgoingEmail
from stockdata.mail.services import SECRET_ERASED, email_requeue, email_send, email_send_to_admins
from stockdata.mail.tests.smtp_server import SMTPServer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def retrying():
    """Eager tasks retry the way a worker does: Celery retries eagerly only when errors don't propagate."""
    from stockdata.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


@pytest.fixture
def smtp(settings, retrying):
    """Django's real SMTP backend, talking to a local SMTP server that stands in for the provider."""

    def start(fail_next: int = 0) -> SMTPServer:
        server = SMTPServer(fail_next=fail_next).__enter__()
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        return server

    servers: list[SMTPServer] = []
    yield start
    for server in servers:
        server.__exit__(None, None, None)


def test_email_send_queues_a_row_and_sends_it_once_the_change_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = email_send(key="test:1", to=["buyer@example.com"], subject="Hello", body="Body text")
        assert mail.outbox == []  # nothing leaves before the change it reports is committed
    assert len(callbacks) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.error) == (OutgoingEmail.Status.SENT, 1, "")
    assert email.sent_at is not None
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["buyer@example.com"], "Hello", "Body text")]


def test_email_send_twice_with_the_same_key_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = email_send(key="order-paid:7", to=["buyer@example.com"], subject="Paid", body="Thanks")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = email_send(key="order-paid:7", to=["buyer@example.com"], subject="Paid", body="Thanks")
    assert second.pk == first.pk
    assert callbacks == []
    assert OutgoingEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_duplicated_delivery_task_never_sends_twice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(key="test:dup", to=["a@example.com"], subject="S", body="B")
    tasks.email_deliver_task.delay(email.pk)  # the broker delivers the same task again
    tasks.email_deliver_task.delay(email.pk)
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        email_send(key="test:rollback", to=["a@example.com"], subject="S", body="B")
        raise RuntimeError("the change fails")
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_smtp_email_is_delivered_to_the_server(smtp, django_capture_on_commit_callbacks):
    server = smtp()
    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(
            key="test:smtp", to=["buyer@example.com"], subject="ご注文", body="Text part", html="<p>HTML part</p>"
        )
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    (message,) = server.messages
    assert message["To"] == "buyer@example.com"
    assert message["Subject"] == "ご注文"
    assert message.get_body(("plain",)).get_content().strip() == "Text part"
    assert message.get_body(("html",)).get_content().strip() == "<p>HTML part</p>"


def test_a_failing_smtp_send_is_retried_and_then_sent(smtp, django_capture_on_commit_callbacks):
    server = smtp(fail_next=2)
    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(key="test:retry", to=["buyer@example.com"], subject="S", body="B")
    email.refresh_from_db()
    assert server.refused == 2
    assert len(server.messages) == 1
    assert (email.status, email.attempts, email.error) == (OutgoingEmail.Status.SENT, 3, "")


def test_a_failing_smtp_send_is_retried_then_recorded_as_failed(smtp, django_capture_on_commit_callbacks, caplog):
    server = smtp(fail_next=100)
    with (
        caplog.at_level(logging.WARNING, logger="stockdata.mail.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        email = email_send(key="test:fail", to=["buyer@example.com"], subject="S", body="B")
    email.refresh_from_db()
    assert server.refused == tasks.MAX_RETRIES + 1
    assert server.messages == []
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == tasks.MAX_RETRIES + 1
    assert email.error.startswith("SMTPDataError: (451, b'Try again later')")
    levels = [r.levelname for r in caplog.records]
    assert levels == ["WARNING"] * tasks.MAX_RETRIES + ["ERROR"]
    assert "failed for good after 6 attempts" in caplog.records[-1].getMessage()

    # A failed e-mail stays failed: another delivery does nothing; staff can queue it again.
    server.fail_next = 0
    tasks.email_deliver_task.delay(email.pk)
    assert server.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        assert email_requeue(email_id=email.pk) is True
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert len(server.messages) == 1


def test_an_unreachable_smtp_server_is_retried_then_recorded_as_failed(
    settings, retrying, django_capture_on_commit_callbacks
):
    with SMTPServer() as server:
        port = server.port  # a port nobody listens on once this server is closed
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(key="test:unreachable", to=["a@example.com"], subject="S", body="B")
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.FAILED, tasks.MAX_RETRIES + 1)
    assert email.error.startswith("ConnectionRefusedError")


def test_retries_back_off():
    assert [tasks.backoff(n) for n in range(7)] == [30, 60, 120, 240, 480, 600, 600]


def test_a_secret_body_is_erased_once_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_send(key="test:secret", to=["a@example.com"], subject="S", body="link /c/abc", secret=True)
    email.refresh_from_db()
    assert mail.outbox[0].body == "link /c/abc"
    assert (email.body, email.html) == (SECRET_ERASED, "")
    assert email_requeue(email_id=email.pk) is False


def test_an_email_without_an_address_is_recorded_as_failed_and_not_queued(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = email_send(key="test:none", to=[""], subject="S", body="B")
    assert callbacks == []
    assert (email.status, email.error) == (OutgoingEmail.Status.FAILED, "no recipient address")


def test_admin_emails_go_to_the_admins_through_the_outbox(settings, django_capture_on_commit_callbacks):
    settings.ADMINS = []
    assert email_send_to_admins(key="admins:0", subject="S", body="B") is None
    settings.ADMINS = [("Ops", "ops@example.com")]
    with django_capture_on_commit_callbacks(execute=True):
        email_send_to_admins(key="admins:1", subject="Bundle failed", body="B")
    assert [(m.to, m.subject) for m in mail.outbox] == [(["ops@example.com"], "[Stockdata] Bundle failed")]


def test_email_with_a_real_worker_is_sent_through_the_broker(transactional_db, settings):
    """The task goes through the real broker to a worker process, which talks to the SMTP server."""
    from conftest import start_worker, stop_worker, wait_until
    from stockdata.celery import app

    with SMTPServer(fail_next=1) as server:
        app.conf.task_always_eager = False
        settings.CELERY_TASK_ALWAYS_EAGER = False
        worker = start_worker(extra_env={"STOCKDATA_TEST_EMAIL_URL": f"smtp://127.0.0.1:{server.port}"})
        try:
            email = email_send(key="test:worker", to=["buyer@example.com"], subject="Worker", body="B")
            # The first attempt is refused (451); the retry comes 30 s later by the backoff.
            wait_until(lambda: server.messages, timeout=90, message="the worker's retried send")
        finally:
            stop_worker(worker)
            app.conf.task_always_eager = True
    email.refresh_from_db()
    assert (email.status, email.attempts, server.refused) == (OutgoingEmail.Status.SENT, 2, 1)
    assert server.messages[0]["Subject"] == "Worker"


# --- Nothing else sends e-mail ---------------------------------------------------------------------

#: Where the product's code lives; tests and migrations are not the product.
SOURCE_DIRS = ("catalog", "licensing", "contributors", "stockdata")
#: Calls that send mail without the outbox (Django's helpers, a connection's batch send).
MAIL_CALLS = {"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "send_messages"}


def direct_mail_sends(source: str) -> list[str]:
    """What in ``source`` sends e-mail other than through ``stockdata.mail`` (empty when nothing)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith(("django.core.mail", "smtplib"))]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(("django.core.mail", "smtplib")) or (
                node.module == "django.core" and any(a.name == "mail" for a in node.names)
            ):
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in MAIL_CALLS:
                found.append(f"{name}(...) on line {node.lineno}")
    return found


def product_modules():
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts) or relative.parts[:2] == ("stockdata", "mail"):
                continue
            yield relative, path.read_text()


def test_direct_mail_sends_finds_each_way_around_the_outbox():
    assert direct_mail_sends("from django.core.mail import send_mail") == ["from django.core.mail import ..."]
    assert direct_mail_sends("from django.core import mail") == ["from django.core import ..."]
    assert direct_mail_sends("import smtplib") == ["import smtplib"]
    assert direct_mail_sends("x = 1\nmail_admins('s', 'b')") == ["mail_admins(...) on line 2"]
    assert direct_mail_sends("conn.send_messages([m])") == ["send_messages(...) on line 1"]
    assert direct_mail_sends("line_paid.send(sender=None)\nemail_send(key='k', to=[], subject='', body='')") == []


def test_every_email_path_goes_through_the_outbox():
    modules = list(product_modules())
    assert len(modules) > 100  # the walk really reads the code base
    offenders = {str(path): found for path, source in modules if (found := direct_mail_sends(source))}
    assert offenders == {}
