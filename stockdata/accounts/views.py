from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from knox.settings import knox_settings

from stockdata.accounts import services, tokens
from stockdata.accounts.forms import (
    BuyerSignupForm,
    ContributorSignupForm,
    InvitationForm,
    InvitedSignupForm,
    MemberRoleForm,
    OrganisationForm,
    ProfileForm,
)
from stockdata.accounts.models import ApiToken, MembershipEvent, OrganisationInvitation, User
from stockdata.accounts.permissions import MEMBERS, org_role_required
from stockdata.errors import ApplicationError
from stockdata.royalty_terms import royalty_terms


class SignupChoiceView(TemplateView):
    template_name = "accounts/signup_choice.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)


class ContributorSignupView(SignupView):
    template_name = "accounts/signup.html"
    form_class = ContributorSignupForm
    extra_context = {"signup_role": "contributor"}

    def get_context_data(self, **kwargs):
        # The terms the ledger pays on, shown before anyone signs up to them.
        return super().get_context_data(**kwargs) | {"terms": royalty_terms()}


class BuyerSignupView(SignupView):
    template_name = "accounts/signup.html"
    form_class = BuyerSignupForm
    extra_context = {"signup_role": "buyer"}


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        request.user.full_name = form.cleaned_data["full_name"]
        request.user.save(update_fields=["full_name"])
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    context = {
        "form": form,
        "api_tokens": tokens.api_tokens_of(request.user),
        "token_ttl_days": knox_settings.TOKEN_TTL.days,
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def api_token_revoke(request, public_id):
    """Revoke one of the signed-in user's API tokens; anyone else's is a 404."""
    try:
        tokens.api_token_revoke(user=request.user, public_id=public_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The API token was revoked."))
    return redirect("accounts:profile")


@login_required
@require_POST
def api_tokens_revoke_all(request):
    count = tokens.api_tokens_revoke_all(user=request.user)
    messages.success(
        request,
        ngettext("%(count)d API token was revoked.", "%(count)d API tokens were revoked.", count) % {"count": count},
    )
    return redirect("accounts:profile")


@org_role_required(*MEMBERS)
def organisation(request):
    """The owner's page: billing details, members and their roles, invitations."""
    org = request.user.organisation
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        services.organisation_update(organisation=org, **{f: form.cleaned_data[f] for f in form.changed_data})
        messages.success(request, _("Billing details saved. They apply to your next orders."))
        return redirect("accounts:organisation")
    now = timezone.now()
    context = {
        "form": form,
        "organisation": org,
        "members": User.objects.filter(organisation=org, is_active=True).order_by("email"),
        "invitations": OrganisationInvitation.objects.filter(
            organisation=org, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).select_related("invited_by"),
        "events": MembershipEvent.objects.filter(organisation=org).select_related("member", "actor")[:20],
        "invite_form": InvitationForm(),
        "role_form": MemberRoleForm(),
    }
    return render(request, "accounts/organisation.html", context)


@org_role_required(*MEMBERS)
@require_POST
def member_invite(request):
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give an e-mail address and a role."))
        return redirect("accounts:organisation")
    try:
        invitation = services.invitation_send(
            organisation=request.user.organisation,
            invited_by=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:organisation")
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    return redirect("accounts:organisation")


@org_role_required(*MEMBERS)
@require_POST
def member_role(request, pk: int):
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("accounts:organisation")
    try:
        member = services.member_role_change(
            organisation=request.user.organisation, member_id=pk, role=form.cleaned_data["role"], actor=request.user
        )
    except User.DoesNotExist:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:organisation")
    messages.success(
        request,
        _("%(email)s is now %(role)s.") % {"email": member.email, "role": member.get_organisation_role_display()},
    )
    return redirect("accounts:organisation")


@org_role_required(*MEMBERS)
@require_POST
def member_remove(request, pk: int):
    try:
        member = services.member_remove(organisation=request.user.organisation, member_id=pk, actor=request.user)
    except User.DoesNotExist:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:organisation")
    messages.success(
        request,
        _("%(email)s was removed; their sign-in, API tokens and download links no longer work.")
        % {"email": member.email},
    )
    if member.pk == request.user.pk:
        return redirect("home")
    return redirect("accounts:organisation")


def invitation(request, token: str):
    """The invitation link: who invites whom to what; a signed-in invitee accepts it (POST), anyone
    else signs in or signs up with the invited address first."""
    try:
        invitation = services.invitation_from_token(token)
    except ApplicationError as exc:
        return render(request, "accounts/invitation.html", {"error": exc.message}, status=exc.status)
    context = {"invitation": invitation, "token": token}
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.invitation_accept(token=token, user=request.user)
        except ApplicationError as exc:
            context["error"] = exc.message
            return render(request, "accounts/invitation.html", context, status=exc.status)
        messages.success(request, _("You joined %(organisation)s.") % {"organisation": invitation.organisation.name})
        return redirect("licensing:order_list")
    return render(request, "accounts/invitation.html", context)


class InvitedSignupView(SignupView):
    """Sign up at the invited address and join the organisation in one step."""

    template_name = "accounts/signup.html"
    form_class = InvitedSignupForm
    extra_context = {"signup_role": "buyer"}

    def dispatch(self, request, *args, **kwargs):
        try:
            self.invitation = services.invitation_from_token(kwargs["token"])
        except ApplicationError as exc:
            return render(request, "accounts/invitation.html", {"error": exc.message}, status=exc.status)
        if request.user.is_authenticated:
            return redirect("accounts:invitation", token=kwargs["token"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["token"] = self.kwargs["token"]
        return kwargs

    def get_initial(self):
        return super().get_initial() | {"email": self.invitation.email}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"invitation": self.invitation}
