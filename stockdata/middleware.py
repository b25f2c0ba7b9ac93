"""Refuse requests that are too large, or that Django's own limits refuse, with a message a person can act on.

``RequestSizeLimitMiddleware`` is the first middleware. It looks at ``Content-Length`` before
anything reads the body, so a 2 GB upload is refused with 413 after its headers, not after
its last byte. Then it parses form bodies once, so that Django's own limits (too many files,
too many fields, too much form text: ``DATA_UPLOAD_MAX_*``) come back as a clear error in our
format instead of a bare "Bad Request (400)" raised from deep inside another middleware.

The web server in front (nginx ``client_max_body_size``, gunicorn's ``limit_request_*``) should
refuse the same sizes earlier still; this is the limit that holds whatever is in front.
"""

from __future__ import annotations

import contextlib
import math

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix
from django.utils import translation
from django.utils.translation import gettext as _

from stockdata.errors import ErrorCode
from stockdata.i18n import language_codes, split_language_prefix

MB = 1024 * 1024

FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def max_request_bytes() -> int:
    """The largest body of any request: one photo at the upload limit plus room for the form around it."""
    return getattr(settings, "STOCKDATA_MAX_REQUEST_BYTES", None) or settings.STOCKDATA_UPLOAD_MAX_BYTES + MB


def max_batch_request_bytes() -> int:
    """The largest body of the two requests that carry many photos at once (upload page without
    JavaScript, ``POST /api/v1/photos/batch/``)."""
    return getattr(settings, "STOCKDATA_MAX_BATCH_REQUEST_BYTES", None) or 10 * settings.STOCKDATA_UPLOAD_MAX_BYTES + MB


def _megabytes(size: int) -> str:
    """Whole megabytes, rounded up, so "at most 51 MB" never reads smaller than the real limit."""
    return f"{math.ceil(size / MB):,}"


def too_large_message(size: int, limit: int) -> str:
    return _(
        "What you sent is %(size)s MB; at most %(limit)s MB can be sent at once. "
        "Send fewer or smaller files and try again."
    ) % {"size": _megabytes(size), "limit": _megabytes(limit)}


def refusal_for(exc: Exception) -> tuple[int, ErrorCode, str] | None:
    """(HTTP status, error code, message) for the errors Django raises while reading a request body."""
    if isinstance(exc, TooManyFilesSent):
        return (
            400,
            ErrorCode.TOO_MANY_FILES,
            _("Too many files in one request: at most %(max)s. Upload them in smaller groups.")
            % {"max": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
        )
    if isinstance(exc, TooManyFieldsSent):
        return (
            400,
            ErrorCode.TOO_MANY_FIELDS,
            _("Too many form fields in one request: at most %(max)s.")
            % {"max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
        )
    if isinstance(exc, RequestDataTooBig):
        return (
            413,
            ErrorCode.REQUEST_TOO_LARGE,
            _(
                "The text in the form is too long: at most %(limit)s MB in all, not counting files. "
                "Shorten it and try again."
            )
            % {"limit": _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},
        )
    if isinstance(exc, MultiPartParserError):
        return (
            400,
            ErrorCode.MALFORMED_BODY,
            _("The form could not be read: the upload was cut off or is not valid multipart data. Try again."),
        )
    return None


class RequestSizeLimitMiddleware:
    """413 for bodies over the limit, before reading them; clear errors for Django's body limits."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._batch_paths: frozenset[str] | None = None

    def batch_paths(self) -> frozenset[str]:
        if self._batch_paths is None:
            paths = set()
            for name in ("contributors:upload", "api:photo-batch"):
                with contextlib.suppress(NoReverseMatch):  # an app not mounted in this URLconf
                    paths.add(reverse(name))
            self._batch_paths = frozenset(paths)
        return self._batch_paths

    def limit_for(self, request) -> int:
        if request.content_type != "multipart/form-data":
            # JSON, form-encoded and anything else is read into memory whole: Django's memory limit.
            return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if split_language_prefix(request.path_info)[1] in self.batch_paths():
            return max_batch_request_bytes()
        return max_request_bytes()

    def __call__(self, request):
        # Refusals are worded in the visitor's language: this runs before LocaleMiddleware.
        with translation.override(translation.get_language_from_request(request)):
            refusal = self.check(request)
        return refusal or self.get_response(request)

    def check(self, request) -> HttpResponse | None:
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if raw_length:
            try:
                length = int(raw_length)
                if length < 0:
                    raise ValueError
            except ValueError:
                return self.refuse(
                    request, 400, ErrorCode.INVALID_CONTENT_LENGTH, _("The Content-Length header is not a number.")
                )
            limit = self.limit_for(request)
            if length > limit:
                return self.refuse(
                    request, 413, ErrorCode.REQUEST_TOO_LARGE, too_large_message(length, limit), limit=limit
                )
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            # Django reads only Content-Length bytes: a chunked body would silently arrive empty.
            return self.refuse(
                request,
                411,
                ErrorCode.LENGTH_REQUIRED,
                _("Send the request with a Content-Length header; bodies of unknown length are refused."),
            )
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            try:
                request.POST  # noqa: B018 - parse now, so Django's limits are reported here
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError) as exc:
                status, code, message = refusal_for(exc)
                return self.refuse(request, status, code, message)
        return None

    def refuse(self, request, status: int, code: ErrorCode, message: str, **extra) -> HttpResponse:
        """Our error format: JSON under /api/ (see stockdata.api), a translated page elsewhere."""
        if request.path_info.startswith("/api/"):
            body = {"code": code.value, "message": message}
            body.update(extra)
            response = JsonResponse({"error": body}, status=status)
        else:
            response = HttpResponse(
                render_to_string(
                    "413.html",
                    {"status": status, "code": code, "message": message, "LANGUAGE_CODE": translation.get_language()},
                ),
                status=status,
            )
        response["X-Content-Type-Options"] = "nosniff"
        # The inner middleware that would add it never runs. With a length the client can read the
        # answer while the server drops the unread body, instead of waiting for the connection to close.
        response["Content-Length"] = str(len(response.content))
        return response


class LanguagePrefixMiddleware:
    """``/ja/<page>`` and ``/en/<page>``: the page in that language, at an address one can share.

    For a path under a language prefix it removes the prefix from ``path_info`` (so the URL
    patterns stay unprefixed), activates that language and makes ``/<lang>/`` the script
    prefix for the request, so every ``reverse()`` and ``{% url %}`` on the page keeps it
    (``request.path`` keeps it too, so ``next`` links do). The language is also remembered in
    the language cookie and, for a signed-in user, as their language (their e-mails' language),
    as choosing it with the switcher does. A path without a prefix is left alone: the language
    comes from the cookie or ``Accept-Language`` as before. Sits right after ``LocaleMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language, rest = split_language_prefix(request.path_info)
        if language is None:
            response = self.get_response(request)
            self.remember_switch(request, response)
            return response
        if rest == "/" and not request.path_info.endswith("/"):  # /ja → /ja/
            return HttpResponsePermanentRedirect(request.get_full_path().replace(f"/{language}", f"/{language}/", 1))
        previous = get_script_prefix()
        request.path_info = rest
        request.LANGUAGE_CODE = language
        translation.activate(language)
        set_script_prefix(previous.rstrip("/") + f"/{language}/")
        try:
            response = self.get_response(request)
        finally:
            # The script prefix is per thread: the next request (or test) must not inherit it.
            set_script_prefix(previous)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        self.user_language_save(request, language)
        return response

    def remember_switch(self, request, response) -> None:
        """The switcher's form (Django's ``set_language``) also sets a signed-in user's language."""
        if (
            request.method == "POST"
            and response.status_code in (301, 302)
            and request.path_info == _set_language_path()
        ):
            language = request.POST.get("language")
            if language in language_codes():
                self.user_language_save(request, language)

    @staticmethod
    def user_language_save(request, language: str) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", language) != language:
            get_user_model().objects.filter(pk=user.pk).update(language=language)
            user.language = language


def _set_language_path() -> str:
    try:
        return reverse("set_language")
    except NoReverseMatch:
        return ""
