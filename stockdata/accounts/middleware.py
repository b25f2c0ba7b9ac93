"""Staff sessions are short: signed out ``STOCKDATA_STAFF_SESSION_SECONDS`` (12 hours) after sign-in."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

#: Session key: when a staff member signed in (seconds since the epoch), set at login.
STAFF_SIGNED_IN_AT = "stockdata_staff_signed_in_at"


class StaffSessionAgeMiddleware:
    """After ``AuthenticationMiddleware``: a staff session older than the limit (or from before the
    limit existed) is ended; the request goes on as anonymous, so the page asks to sign in again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            signed_in_at = request.session.get(STAFF_SIGNED_IN_AT)
            if signed_in_at is None or time.time() - signed_in_at > settings.STOCKDATA_STAFF_SESSION_SECONDS:
                logout(request)
        return self.get_response(request)
