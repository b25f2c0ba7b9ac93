"""Every write to accounts and organisations."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from stockdata.accounts.models import Organisation, Role, TermsAcceptance, TermsVersion, User
from stockdata.accounts.signals import contributor_registered


@transaction.atomic
def contributor_register(*, user: User, display_name: str = "") -> User:
    """Make ``user`` a contributor with a profile; contributors never belong to a buyer organisation."""
    user.role = Role.CONTRIBUTOR
    user.organisation = None
    user.save()
    contributor_registered.send(sender=User, user=user, display_name=display_name or user.get_short_name())
    return user


@transaction.atomic
def buyer_register(*, user: User, organisation: Organisation | None = None, **organisation_fields) -> User:
    """Make ``user`` a buyer, a member of ``organisation`` or of a new one made from the fields."""
    if organisation is None:
        organisation = Organisation(**organisation_fields)
        organisation.full_clean()
        organisation.save()
    user.role = Role.BUYER
    user.organisation = organisation
    user.save()
    return user


@transaction.atomic
def staff_register(*, user: User, superuser: bool = False) -> User:
    """Reviewers and admins are staff; only they see the review queue and the admin."""
    user.role = Role.STAFF
    user.organisation = None
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    return user


@transaction.atomic
def organisation_update(*, organisation: Organisation, **fields) -> Organisation:
    """Billing details change for future orders only; orders copy them when placed."""
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save(update_fields=list(fields))
    return organisation


def terms_current() -> TermsVersion | None:
    """The terms of use in force today: the version with the latest ``effective_from`` not in the future."""
    return TermsVersion.objects.filter(effective_from__lte=timezone.localdate()).order_by("-effective_from").first()


def terms_to_accept(user: User) -> TermsVersion | None:
    """The version *user* still has to accept (``None`` once they accepted the one in force)."""
    current = terms_current()
    if current is None or not user.is_authenticated:
        return None
    if TermsAcceptance.objects.filter(user=user, version=current).exists():
        return None
    return current


@transaction.atomic
def terms_accept(*, user: User, version: TermsVersion, ip: str | None = None) -> TermsAcceptance:
    """Record that *user* accepted *version* (once; accepting again keeps the first record)."""
    acceptance, _created = TermsAcceptance.objects.get_or_create(user=user, version=version, defaults={"ip": ip})
    return acceptance
