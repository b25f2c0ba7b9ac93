"""The API's one error format.

Every error, whatever raised it, reaches the client as::

    {"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from stockdata.errors import ApplicationError


def _error(code: str, message: str, http_status: int, fields: dict | None = None, **extra) -> Response:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return Response({"error": body}, status=http_status)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        fields = {exc.field: [exc.message]} if exc.field else None
        return _error(exc.code, exc.message, exc.status, fields, **exc.extra)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        return _error("not_found", _("Not found."), status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handling log it
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
            first = next(iter(fields.values()))[0] if fields else _("Invalid input.")
            message = fields.pop("non_field_errors", [None])[0] or first
            return _error("invalid", str(message), response.status_code, fields or None)
        messages = [str(m) for m in (detail if isinstance(detail, list) else [detail])]
        return _error("invalid", messages[0] if messages else _("Invalid input."), response.status_code)
    detail = getattr(exc, "detail", "")
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"error": {"code": str(code), "message": str(detail)}}
    return response
