"""Structured request logs: a request id on every log line, and one line per request.

``RequestLogMiddleware`` (first in ``MIDDLEWARE``) takes the caller's ``X-Request-ID``
when it is sane (1-128 characters of ``A-Z a-z 0-9 . _ : -``), otherwise makes one, sets it
on the response, and logs one ``stockdata.request`` line per request with method, path,
status, duration_ms and user_id; consent and download secrets in paths are
redacted to their selector (``stockdata.redaction``), in every log line. ``RequestContextFilter`` (on the console handler) puts
``request_id`` on every log record, and ``task_id`` / ``task_name`` inside a Celery task.

This module is imported while logging is configured, before the apps are ready: it must
not import models.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished, request_started
from django.utils.functional import SimpleLazyObject, empty

from stockdata.redaction import redact

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("stockdata_request_id", default=None)
logger = logging.getLogger("stockdata.request")


def request_id_from(header: str | None) -> str:
    """The caller's id if it is sane, else a new one: ids end up in logs and headers."""
    if header and SANE_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def _current_task():
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return None
    task = current_task
    # current_task is a proxy; it is falsy outside a task.
    return task if task and getattr(task, "request", None) is not None and task.request.id else None


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` (or ``-``) and, inside a Celery task, ``task_id`` and ``task_name``;
    cuts consent and download secrets out of the message, its arguments and the request Django
    attaches (``stockdata.redaction``), whichever logger wrote the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        task = _current_task()
        if task is not None and not hasattr(record, "task_id"):
            record.task_id = task.request.id
            record.task_name = task.name
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
    request = getattr(record, "request", None)
    if request is not None and not isinstance(request, str):
        # django.request attaches the request; a JSON formatter would print its full path.
        record.request = redact(f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}".strip())
    for name in ("path", "referer"):
        value = getattr(record, name, None)
        if isinstance(value, str):
            setattr(record, name, redact(value))


def _user_id(request) -> int | None:
    """The user id if authentication already ran; never loads a session just to log it."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    return user.pk if getattr(user, "is_authenticated", False) else None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Not reset when this returns: Django logs "Not Found" and errors after the middleware
        # chain, still for this request. The request_started/finished signals clear it.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        status = response.status_code
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        path = redact(request.path)  # consent and download links: the selector only
        logger.log(
            level,
            "%s %s %s %.1fms",
            request.method,
            path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": _user_id(request),
            },
        )
        return response


def _clear_request_id(**kwargs) -> None:
    request_id_var.set(None)


# Between requests (and in a thread reused for the next one) no stale id leaks into logs.
request_started.connect(_clear_request_id, dispatch_uid="stockdata.request_log.started")
request_finished.connect(_clear_request_id, dispatch_uid="stockdata.request_log.finished")
