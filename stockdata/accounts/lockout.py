"""Login rate limiting (django-axes): who is trying, and what a locked-out person sees.

Five wrong passwords for one email from one address lock that pair out for
``AXES_COOLOFF_TIME``; see the ``AXES_*`` settings.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from stockdata.errors import ErrorCode


def login_email(request, credentials: dict | None) -> str | None:
    """The email a login attempt is for, whichever form sent it (allauth, the admin, the token API)."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login") or request.POST.get("username") or request.POST.get("email")
    return str(value).strip().lower() if value else None


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message() -> str:
    minutes = lockout_minutes()
    return ngettext(
        "Too many failed login attempts. Wait %(minutes)d minute and try again, or reset your password.",
        "Too many failed login attempts. Wait %(minutes)d minutes and try again, or reset your password.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page for people, the API's error format for the API (HTTP 429 either way)."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": {"code": ErrorCode.LOCKED_OUT.value, "message": lockout_message()}}, status=429
        )
    else:
        response = render(
            request, "accounts/lockout.html", {"message": lockout_message(), "minutes": lockout_minutes()}, status=429
        )
    response["Retry-After"] = retry_after
    return response
