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

from stockdata.errors import ApplicationError, ErrorCode
from stockdata.middleware import refusal_for


def _error(code: ErrorCode, message: str, http_status: int, fields: dict | None = None, **extra) -> Response:
    body = {"code": ErrorCode(code).value, "message": message}  # a plain str: every renderer can write it
    if fields:
        body["fields"] = fields
    body.update(extra)
    return Response({"error": body}, status=http_status)


def drf_error_code(exc) -> ErrorCode:
    """The code of one of DRF's own refusals; one we do not list is reported as ``error``."""
    detail = getattr(exc, "detail", "")
    code = str(getattr(detail, "code", None) or getattr(exc, "default_code", ErrorCode.ERROR))
    try:
        return ErrorCode(code)
    except ValueError:
        return ErrorCode.ERROR


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        fields = {exc.field: [exc.message]} if exc.field else None
        return _error(exc.code, exc.message, exc.status, fields, **exc.extra)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        return _error(ErrorCode.NOT_FOUND, _("Not found."), status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # Django's body limits (too many files or fields, too much form text) and a cut-off multipart body.
    refusal = refusal_for(exc)
    if refusal is not None:
        return _error(refusal[1], refusal[2], refusal[0])
    if isinstance(exc, RecursionError) and "JSON" in str(exc):
        # json.loads gives up on deeply nested arrays with RecursionError, which DRF's parser lets through.
        return _error(ErrorCode.PARSE_ERROR, _("The JSON is nested too deeply."), status.HTTP_400_BAD_REQUEST)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handling log it
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
            first = next(iter(fields.values()))[0] if fields else _("Invalid input.")
            message = fields.pop("non_field_errors", [None])[0] or first
            return _error(ErrorCode.INVALID, str(message), response.status_code, fields or None)
        messages = [str(m) for m in (detail if isinstance(detail, list) else [detail])]
        return _error(ErrorCode.INVALID, messages[0] if messages else _("Invalid input."), response.status_code)
    detail = getattr(exc, "detail", "")
    response.data = {"error": {"code": drf_error_code(exc).value, "message": str(detail)}}
    return response


# --- The error format in the OpenAPI schema -------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error of the API, whatever its status.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "enum": [code.value for code in ErrorCode],
                    "description": "Stable and machine-readable, e.g. `not_found`.",
                },
                "message": {"type": "string", "description": "What was wrong and what to do, for a person."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "The messages of each invalid field.",
                },
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `error.fields` names each wrong field.",
    "403": "Not signed in, or not allowed for your role.",
    "404": "No such object (in the path, or named in the body), or not yours; or no such page.",
    "409": "Refused in the object's current state: `error.message` says why.",
    "413": "The request body is larger than the limit.",
    "429": "Too many wrong passwords: locked out for a while, `error.message` says how long.",
}
# Errors particular to one operation, beyond those every operation of its kind can give.
EXTRA_ERRORS = {
    ("post", "/api/v1/auth/token/"): ["403", "429"],  # staff without two-factor set up; lockout
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error responses every operation can give,
    in the one error format: 400 (always: query, body or headers), 403 unless the operation is
    open to anonymous visitors, 404 when the path names an object or the list is paged (a page
    past the end), and 404, 409 and 413 for writes (a body can name objects too)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = ["400"]
            if {} not in operation.get("security", [{}]):
                codes.append("403")
            paged = any(p.get("name") == "page" and p.get("in") == "query" for p in operation.get("parameters", []))
            if "{" in path or paged or method != "get":
                codes.append("404")
            if method != "get":
                codes += ["409", "413"]
            codes += [code for code in EXTRA_ERRORS.get((method, path), []) if code not in codes]
            responses = operation.setdefault("responses", {})
            for code in codes:
                response = responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
                response.setdefault("content", content)
    return result
