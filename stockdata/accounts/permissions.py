"""Who may open what: one place for role checks, for pages and for the API.

Anonymous visitors are sent to the login page; a signed-in user of another role gets
a 404, so role pages reveal nothing about what exists.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from rest_framework.permissions import BasePermission

from stockdata.accounts import two_factor
from stockdata.accounts.models import Role


def user_has_role(user, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if role == Role.STAFF:
        # A staff session that owes its second factor is not staff yet (see two_factor).
        return user.is_staff and not two_factor.staff_verification_needed(user)
    return user.role == role


def role_required(role: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if role == Role.STAFF and two_factor.staff_verification_needed(request.user):
                return redirect(two_factor.verification_url(request.user, request.get_full_path()))
            if not user_has_role(request.user, role):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RoleRequiredMixin(AccessMixin):
    role: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.role == Role.STAFF and two_factor.staff_verification_needed(request.user):
            return redirect(two_factor.verification_url(request.user, request.get_full_path()))
        if not user_has_role(request.user, self.role):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ContributorRequiredMixin(RoleRequiredMixin):
    role = Role.CONTRIBUTOR


class BuyerRequiredMixin(RoleRequiredMixin):
    role = Role.BUYER


class StaffRequiredMixin(RoleRequiredMixin):
    role = Role.STAFF


class _HasRole(BasePermission):
    role = ""

    def has_permission(self, request, view):
        return user_has_role(request.user, self.role)


class IsContributor(_HasRole):
    role = Role.CONTRIBUTOR


class IsBuyer(_HasRole):
    role = Role.BUYER


class IsStaff(_HasRole):
    role = Role.STAFF
