"""Pages for staff two-factor sign-in: overview, set up, verify this session, turn off."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from stockdata.accounts import two_factor
from stockdata.accounts.two_factor_forms import CodeForm, SetupForm
from stockdata.errors import ApplicationError


def _staff_account(view):
    """Signed-in staff only, verified or not (these pages are how they verify); anyone else gets a 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("core:staff_dashboard")


@_staff_account
@require_http_methods(["GET"])
def overview(request):
    user = request.user
    return render(
        request,
        "accounts/two_factor.html",
        {
            "has_authenticator": two_factor.user_has_authenticator(user),
            "session_verified": not two_factor.staff_verification_needed(user)
            and two_factor.second_factor_required(user),
            "backup_codes_left": two_factor.backup_codes_left(user),
            "required": two_factor.second_factor_required(user),
            "disable_form": CodeForm(),
        },
    )


@_staff_account
@require_http_methods(["GET", "POST"])
def setup(request):
    if two_factor.user_has_authenticator(request.user):
        messages.info(request, _("Two-factor authentication is already on."))
        return redirect("accounts:two_factor")
    device = two_factor.totp_device_pending(user=request.user)
    form = SetupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.totp_device_confirm(
                user=request.user, device_id=device.pk, code=form.cleaned_data["code"]
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            two_factor.session_mark_verified(request=request, device=device)
            return render(
                request, "accounts/two_factor_backup_codes.html", {"codes": codes, "next": _next_url(request)}
            )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.totp_qr_svg(device),
            "secret": two_factor.totp_secret_for_display(device),
            "next": _next_url(request),
        },
    )


@_staff_account
@require_http_methods(["GET", "POST"])
def verify(request):
    next_url = _next_url(request)
    if not two_factor.user_has_authenticator(request.user):
        return redirect(f"{reverse('accounts:two_factor_setup')}?{urlencode({'next': next_url})}")
    if not two_factor.staff_verification_needed(request.user):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.session_verify(request=request, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            return redirect(next_url)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@_staff_account
@require_http_methods(["POST"])
def disable(request):
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.two_factor_disable(user=request.user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Two-factor authentication is off."))
    else:
        messages.error(request, _("Enter a code to turn two-factor authentication off."))
    return redirect("accounts:two_factor")
