from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from knox.settings import knox_settings

from stockdata.accounts import services, tokens
from stockdata.accounts.forms import BuyerSignupForm, ContributorSignupForm, OrganisationForm, ProfileForm
from stockdata.accounts.models import ApiToken, Role
from stockdata.accounts.permissions import role_required
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


@role_required(Role.BUYER)
def organisation(request):
    org = request.user.organisation
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        services.organisation_update(organisation=org, **{f: form.cleaned_data[f] for f in form.changed_data})
        messages.success(request, _("Billing details saved. They apply to your next orders."))
        return redirect("accounts:organisation")
    return render(request, "accounts/organisation.html", {"form": form, "organisation": org})
