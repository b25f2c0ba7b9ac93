"""Two-factor sign-in for staff: a TOTP authenticator app (django-otp) plus one-time backup codes.

The rule: a staff session must be verified with a code before staff pages, the staff API
and the admin open, when ``STOCKDATA_STAFF_REQUIRE_2FA`` is on, and always for staff who
have set up an authenticator. Everything that checks "is this staff?" goes through
``stockdata.accounts.permissions.user_has_role``, which asks ``staff_verification_needed``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from stockdata.errors import ApplicationError, ErrorCode

BACKUP_CODE_COUNT = 10


# --- Selectors ---------------------------------------------------------------------------------


def user_has_authenticator(user) -> bool:
    """Whether ``user`` has a confirmed authenticator app; remembered on the user object for the request."""
    cached = getattr(user, "_stockdata_has_authenticator", None)
    if cached is None:
        cached = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
        user._stockdata_has_authenticator = cached
    return cached


def second_factor_required(user) -> bool:
    """Whether signing in as ``user`` takes a code as well as the password."""
    if not (user.is_authenticated and user.is_staff):
        return False
    return settings.STOCKDATA_STAFF_REQUIRE_2FA or user_has_authenticator(user)


def staff_verification_needed(user) -> bool:
    """True for a staff account whose session still owes its second factor.

    A user that did not come through django-otp's middleware (no ``is_verified``) counts as
    unverified: the check fails closed.
    """
    if not second_factor_required(user):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified is not None and is_verified())


def verification_url(user, next_url: str) -> str:
    """Where an unverified staff member goes: the code prompt, or setup if they have no authenticator yet."""
    name = "accounts:two_factor_verify" if user_has_authenticator(user) else "accounts:two_factor_setup"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def token_counts_as_verified(user, token) -> bool:
    """An API token stands for a verified session when it was issued after the authenticator was
    confirmed: from then on the token endpoint asks such staff for a code."""
    if not second_factor_required(user):
        return True
    confirmed_at = (
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).values_list("created_at", flat=True).first()
    )
    return confirmed_at is not None and token.created >= confirmed_at


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def totp_qr_svg(device: TOTPDevice) -> SafeString:
    """The device's otpauth:// link as an inline SVG QR code, drawn here: the secret never leaves the server."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg.replace("<svg ", '<svg class="qr-code" role="img" aria-hidden="true" ', 1))


def totp_secret_for_display(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- Services -------------------------------------------------------------------------------------


def totp_device_pending(*, user) -> TOTPDevice:
    """The authenticator being set up: the same secret on every visit until it is confirmed.

    Refused when ``user`` already has a confirmed one: turn that off first.
    """
    if user_has_authenticator(user):
        raise ApplicationError(
            _("Two-factor authentication is already on. Turn it off first to move it to a new device."),
            code=ErrorCode.TWO_FACTOR_ALREADY_ON,
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def totp_device_confirm(*, user, device_id: int, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a current code; issue new backup codes, shown once.

    A wrong code is counted (django-otp slows down repeated guesses) and nothing is confirmed.
    """
    device = TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()
    if device is None:
        raise ApplicationError(_("This setup has expired. Start again."), code=ErrorCode.SETUP_EXPIRED)
    _require_allowed(device)
    if not device.verify_token(_normalise(code)):  # verify_token saves its throttle count itself
        raise ApplicationError(
            _("That code is not right. Enter the 6-digit code your app shows now."),
            code=ErrorCode.OTP_INVALID,
            field="code",
        )
    with transaction.atomic():
        device.confirmed = True
        device.created_at = timezone.now()  # in service from now: older API tokens were issued without a code
        device.save(update_fields=["confirmed", "created_at"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _backup_codes_replace(user=user)
    user._stockdata_has_authenticator = True
    return device, codes


def second_factor_verify(*, user, code: str):
    """Check a code from the authenticator app or an unused backup code; return the device that matched.

    A backup code works once. Raises ``ApplicationError`` for a wrong code.
    """
    code = _normalise(code)
    # django-otp slows down guessing: after a wrong code a device refuses even a right one for a while.
    slowed_down = [d for d in django_otp.devices_for_user(user, confirmed=True) if not d.verify_is_allowed()[0]]
    device = django_otp.match_token(user, code) if code else None
    if device is None:
        if slowed_down:
            _require_allowed(slowed_down[0])
        raise ApplicationError(
            _("That code is not right. Enter the 6-digit code your app shows now, or one of your backup codes."),
            code=ErrorCode.OTP_INVALID,
            field="code",
        )
    return device


def session_verify(*, request, code: str):
    """Verify the signed-in user's session with a code (see ``second_factor_verify``)."""
    device = second_factor_verify(user=request.user, code=code)
    session_mark_verified(request=request, device=device)
    return device


def session_mark_verified(*, request, device) -> None:
    """Record in the session that ``device`` verified it, under a new session key (the session gained rights)."""
    request.session.cycle_key()
    django_otp.login(request, device)


def two_factor_disable(*, user, code: str) -> None:
    """Turn two-factor authentication off: only with a current code, so a stolen session cannot do it."""
    second_factor_verify(user=user, code=code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    user._stockdata_has_authenticator = False


def _backup_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("Backup codes"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _normalise(code: str) -> str:
    return "".join((code or "").split()).lower()


def _require_allowed(device) -> None:
    allowed, _data = device.verify_is_allowed()
    if not allowed:
        raise ApplicationError(
            _("Too many wrong codes. Wait a minute, then try again."),
            code=ErrorCode.OTP_THROTTLED,
            status=429,
            field="code",
        )


# --- The admin --------------------------------------------------------------------------------------


class StaffAdminSite(admin.AdminSite):
    """Django's admin, closed to a staff session that still owes its second factor."""

    def has_permission(self, request):
        return super().has_permission(request) and not staff_verification_needed(request.user)

    def login(self, request, extra_context=None):
        if request.method == "GET" and staff_verification_needed(request.user):
            return redirect(verification_url(request.user, request.GET.get("next") or reverse("admin:index")))
        return super().login(request, extra_context)
