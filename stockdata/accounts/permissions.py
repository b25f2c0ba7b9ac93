"""Who may open what: one place for role checks, for pages and for the API.

Anonymous visitors are sent to the login page; a signed-in user of another role gets
a 404, so role pages reveal nothing about what exists. A buyer is also a member of an
organisation in one of its roles (``OrgRole``): a member whose role does not cover a page
gets 403 with a page saying which role it needs (the API: 403 ``permission_denied``).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from stockdata.accounts import two_factor
from stockdata.accounts.models import OrgRole, Role


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


# --- Organisation roles ---------------------------------------------------------------------------

#: The roles that may do each kind of thing; an owner may do all of them.
MEMBERS = (OrgRole.OWNER,)
PURCHASING = (OrgRole.OWNER, OrgRole.PURCHASER)
DOWNLOADING = (OrgRole.OWNER, OrgRole.DOWNLOADER)
COMPLIANCE = (OrgRole.OWNER, OrgRole.COMPLIANCE)
ANY_MEMBER = tuple(OrgRole.values)


def has_org_role(user, organisation, role: str | OrgRole) -> bool:
    """True when ``user`` is an active buyer member of ``organisation`` (an instance or its id) whose
    role covers ``role``: an owner holds every role, anyone else only their own."""
    if not user_has_role(user, Role.BUYER) or user.is_staff:
        return False
    organisation_id = getattr(organisation, "pk", organisation)
    if organisation_id is None or user.organisation_id != organisation_id:
        return False
    return user.organisation_role == OrgRole.OWNER or user.organisation_role == role


def has_any_org_role(user, organisation, roles) -> bool:
    return any(has_org_role(user, organisation, role) for role in roles)


def org_roles_refused(request, roles):
    """The 403 page of a member whose role does not cover what they asked for."""
    labels = [OrgRole(role).label for role in roles if role != OrgRole.OWNER] or [OrgRole.OWNER.label]
    context = {"needed": labels, "current": OrgRole(request.user.organisation_role).label}
    return render(request, "accounts/org_role_refused.html", context, status=403)


def org_role_required(*roles: str):
    """A page for buyers whose role in their own organisation is one of ``roles`` (or owner)."""

    def decorator(view):
        @wraps(view)
        @role_required(Role.BUYER)
        def wrapped(request, *args, **kwargs):
            if not has_any_org_role(request.user, request.user.organisation_id, roles):
                return org_roles_refused(request, roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class OrgRoleRequiredMixin(RoleRequiredMixin):
    """``BuyerRequiredMixin`` that also asks for one of ``org_roles`` in the buyer's organisation."""

    role = Role.BUYER
    org_roles: tuple = ANY_MEMBER

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user_has_role(user, Role.BUYER) and not has_any_org_role(user, user.organisation_id, self.org_roles):
            return org_roles_refused(request, self.org_roles)
        return super().dispatch(request, *args, **kwargs)


class HasOrgRole(BasePermission):
    """API: a buyer whose role in their organisation is one of ``org_roles`` (or owner)."""

    org_roles: tuple = ANY_MEMBER
    message = _("Your role in your organisation does not allow this. Ask an owner of the organisation.")

    def has_permission(self, request, view):
        user = request.user
        return user_has_role(user, Role.BUYER) and has_any_org_role(user, user.organisation_id, self.org_roles)


class IsPurchaser(HasOrgRole):
    org_roles = PURCHASING


class IsMember(HasOrgRole):
    org_roles = ANY_MEMBER
