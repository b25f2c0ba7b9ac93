"""Every write to accounts and organisations."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from stockdata.accounts.models import (
    MembershipEvent,
    Organisation,
    OrganisationInvitation,
    OrgRole,
    Role,
    TermsAcceptance,
    TermsVersion,
    User,
)
from stockdata.accounts.signals import contributor_registered, member_removed
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.i18n import language_of
from stockdata.mail.services import email_send_template, site_url


@transaction.atomic
def contributor_register(*, user: User, display_name: str = "") -> User:
    """Make ``user`` a contributor with a profile; contributors never belong to a buyer organisation."""
    user.role = Role.CONTRIBUTOR
    user.organisation = None
    user.save()
    contributor_registered.send(sender=User, user=user, display_name=display_name or user.get_short_name())
    return user


@transaction.atomic
def buyer_register(
    *,
    user: User,
    organisation: Organisation | None = None,
    organisation_role: str = OrgRole.OWNER,
    **organisation_fields,
) -> User:
    """Make ``user`` a buyer, a member of ``organisation`` or of a new one made from the fields (whose
    first member is its owner)."""
    if organisation is None:
        organisation = Organisation(**organisation_fields)
        organisation.full_clean()
        organisation.save()
    user.role = Role.BUYER
    user.organisation = organisation
    user.organisation_role = organisation_role
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


# --- Organisation members -------------------------------------------------------------------------

INVITATION_VALID_FOR = timedelta(days=7)
INVITATION_SALT = "stockdata.accounts.invitation"


def email_domain_allowed(*, organisation: Organisation, email: str) -> bool:
    """An organisation with ``email_domains`` admits only addresses at one of them (or a subdomain)."""
    domains = [d.strip().lower().lstrip("@") for d in organisation.email_domains.split() if d.strip()]
    if not domains:
        return True
    host = email.rsplit("@", 1)[-1].lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def _domain_refused(organisation: Organisation) -> ApplicationError:
    return ApplicationError(
        _("%(organisation)s admits only addresses at %(domains)s. Use an address at one of them.")
        % {"organisation": organisation.name, "domains": ", ".join(organisation.email_domains.split())},
        code=ErrorCode.EMAIL_DOMAIN,
        field="email",
    )


def invitation_token(invitation: OrganisationInvitation) -> str:
    """The signed token of the invitation link (it names the invitation; the row says whether it still works)."""
    return signing.dumps(str(invitation.uuid), salt=INVITATION_SALT, compress=True)


@transaction.atomic
def invitation_send(*, organisation: Organisation, invited_by: User, email: str, role: str) -> OrganisationInvitation:
    """An owner invites an address to join in ``role``: a signed link, valid for seven days, for that address only."""
    email = User.objects.normalize_email(email).strip().lower()
    if role not in OrgRole.values:
        raise ApplicationError(_("Choose a role."), code=ErrorCode.INVALID, field="role")
    if not email_domain_allowed(organisation=organisation, email=email):
        raise _domain_refused(organisation)
    if User.objects.filter(email=email, organisation=organisation, is_active=True).exists():
        raise ApplicationError(
            _("%(email)s is already a member.") % {"email": email}, code=ErrorCode.ALREADY_MEMBER, field="email"
        )
    invitation = OrganisationInvitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    # The invitee has no language yet: the inviter's (colleagues usually share one).
    language = language_of(invited_by)
    path = reverse("accounts:invitation", kwargs={"token": invitation_token(invitation)})
    with translation.override(language):
        role_label = str(OrgRole(role).label)
    email_send_template(
        key=f"invitation:{invitation.uuid}",
        to=[email],
        template="mail/invitation",
        context={
            "name": invited_by.get_full_name(),
            "organisation": organisation.name,
            "role": role_label,
            "email": email,
            "url": site_url(path, language=language),
            "days": INVITATION_VALID_FOR.days,
        },
        language=language,
        secret=True,
    )
    return invitation


def invitation_from_token(token: str) -> OrganisationInvitation:
    """The invitation a link names, or ``ApplicationError`` when the link is not one of ours, was
    used, revoked or expired (said apart, so the person knows what to ask the owner for)."""
    try:
        invitation_uuid = signing.loads(token, salt=INVITATION_SALT)
        invitation = OrganisationInvitation.objects.select_related("organisation").get(uuid=invitation_uuid)
    except (signing.BadSignature, OrganisationInvitation.DoesNotExist, ValueError, ValidationError):
        raise ApplicationError(
            _("This invitation link is not valid. Ask the organisation's owner for a new one."),
            code=ErrorCode.INVITATION_INVALID,
            status=404,
        ) from None
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ApplicationError(
            _("This invitation was already used or withdrawn. Ask the organisation's owner for a new one."),
            code=ErrorCode.INVITATION_USED,
            status=410,
        )
    if timezone.now() >= invitation.expires_at:
        raise ApplicationError(
            _("This invitation has expired. Ask the organisation's owner for a new one."),
            code=ErrorCode.INVITATION_EXPIRED,
            status=410,
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> User:
    """``user`` (signed in, or being signed up: not saved yet) joins with the invitation's role: only
    with the invited address, once, before it expires, and only as a buyer of no other organisation."""
    invitation = invitation_from_token(token)
    invitation = OrganisationInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:  # accepted meanwhile, in another tab
        raise ApplicationError(
            _("This invitation was already used or withdrawn. Ask the organisation's owner for a new one."),
            code=ErrorCode.INVITATION_USED,
            status=410,
        )
    if (user.email or "").lower() != invitation.email.lower():
        raise ApplicationError(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email},
            code=ErrorCode.INVITATION_WRONG_ADDRESS,
            field="email",
            status=403,
        )
    organisation = invitation.organisation
    if not email_domain_allowed(organisation=organisation, email=user.email):
        raise _domain_refused(organisation)
    existing = user.pk is not None
    if existing and (user.is_staff or user.role == Role.CONTRIBUTOR):
        raise ApplicationError(
            _("A contributor or staff account cannot join a buyer organisation. Sign up with another address."),
            code=ErrorCode.NOT_A_BUYER,
            status=403,
        )
    if existing and user.organisation_id is not None:
        raise ApplicationError(
            _("You already belong to an organisation. Ask its owner to remove you first."),
            code=ErrorCode.ALREADY_MEMBER,
            status=409,
        )
    user.role = Role.BUYER
    user.organisation = organisation
    user.organisation_role = invitation.role
    if existing:
        user.save(update_fields=["role", "organisation", "organisation_role"])
    else:
        user.save()
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    MembershipEvent.objects.create(
        organisation=organisation,
        member=user,
        actor=invitation.invited_by,
        kind=MembershipEvent.Kind.JOINED,
        role=invitation.role,
    )
    return user


def _other_owners(organisation: Organisation, member: User) -> bool:
    return (
        User.objects.filter(organisation=organisation, organisation_role=OrgRole.OWNER, is_active=True)
        .exclude(pk=member.pk)
        .exists()
    )


def _member_of(organisation: Organisation, member_id: int) -> User:
    return User.objects.select_for_update().get(pk=member_id, organisation=organisation, is_active=True)


@transaction.atomic
def member_role_change(*, organisation: Organisation, member_id: int, role: str, actor: User) -> User:
    """An owner gives a member another role; the last owner stays an owner (someone must manage members)."""
    member = _member_of(organisation, member_id)
    if role not in OrgRole.values:
        raise ApplicationError(_("Choose a role."), code=ErrorCode.INVALID, field="role")
    if member.organisation_role == OrgRole.OWNER and role != OrgRole.OWNER and not _other_owners(organisation, member):
        raise ApplicationError(
            _("Every organisation keeps at least one owner. Make another member an owner first."),
            code=ErrorCode.LAST_OWNER,
            status=409,
        )
    member.organisation_role = role
    member.save(update_fields=["organisation_role"])
    MembershipEvent.objects.create(
        organisation=organisation, member=member, actor=actor, kind=MembershipEvent.Kind.ROLE_CHANGED, role=role
    )
    return member


@transaction.atomic
def member_remove(*, organisation: Organisation, member_id: int, actor: User) -> User:
    """Remove a member: the account is closed at once (sessions, API tokens, download links stop
    working), the history of what they did stays. The last owner cannot be removed."""
    member = _member_of(organisation, member_id)
    if member.organisation_role == OrgRole.OWNER and not _other_owners(organisation, member):
        raise ApplicationError(
            _("Every organisation keeps at least one owner. Make another member an owner first."),
            code=ErrorCode.LAST_OWNER,
            status=409,
        )
    role = member.organisation_role
    # A buyer exists only inside an organisation (``buyer_has_organisation``): leaving it closes the
    # account; an inactive account has no session and no API token (``receivers``).
    member.is_active = False
    member.organisation = None
    member.save(update_fields=["is_active", "organisation"])
    MembershipEvent.objects.create(
        organisation=organisation, member=member, actor=actor, kind=MembershipEvent.Kind.REMOVED, role=role
    )
    member_removed.send(sender=User, user=member, organisation=organisation)
    return member
