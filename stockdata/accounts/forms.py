from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from stockdata.accounts import services
from stockdata.accounts.models import Organisation, OrgRole
from stockdata.errors import ApplicationError


def _email_widget(field) -> None:
    field.label = _("E-mail address")
    field.widget.attrs.update(
        {"autocomplete": "email", "inputmode": "email", "autocapitalize": "none", "spellcheck": "false"}
    )
    field.widget.attrs.pop("placeholder", None)


class LoginForm(AllauthLoginForm):
    """allauth's login with our labels (sentence case, both languages) and the right autocomplete."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _email_widget(self.fields["login"])
        self.fields["password"].label = _("Password")
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.fields["password"].widget.attrs.pop("placeholder", None)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me logged in on this device")


class ResetPasswordForm(AllauthResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _email_widget(self.fields["email"])


class SignupFieldsMixin:
    """Sign-up fields as password managers and phones expect them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _email_widget(self.fields["email"])
        for name, label in (("password1", _("Password")), ("password2", _("Password (again)"))):
            if name in self.fields:
                self.fields[name].label = label
                self.fields[name].widget.attrs.update({"autocomplete": "new-password"})
                self.fields[name].widget.attrs.pop("placeholder", None)
        if "full_name" in self.fields:
            self.fields["full_name"].widget.attrs.update({"autocomplete": "name"})


class TermsAcceptanceMixin(forms.Form):
    """Sign-up asks everyone to accept the terms of use in force; the adapter records it."""

    accept_terms = forms.BooleanField(
        label=_("I have read and accept the terms of use and the privacy policy."),
        error_messages={"required": _("Accept the terms of use to create an account.")},
    )


class ContributorSignupForm(SignupFieldsMixin, TermsAcceptanceMixin, SignupForm):
    """Photographers: an email, a password and the name buyers never see but we pay."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    display_name = forms.CharField(
        label=_("Display name"), max_length=80, required=False, help_text=_("Shown on your portal.")
    )

    def register(self, user):
        user.full_name = self.cleaned_data["full_name"]
        return services.contributor_register(user=user, display_name=self.cleaned_data.get("display_name", ""))


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "billing_name",
            "billing_address",
            "country",
            "invoice_registration_number",
            "email_domains",
        ]
        widgets = {"billing_address": forms.Textarea(attrs={"rows": 3})}


class BuyerSignupForm(SignupFieldsMixin, TermsAcceptanceMixin, SignupForm):
    """Companies and universities: the person and the organisation they buy for."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_form = OrganisationForm(data=self.data or None, prefix="org")
        del self.organisation_form.fields["email_domains"]  # set later by the owner, once there are members
        for name, field in self.organisation_form.fields.items():
            self.fields[f"org-{name}"] = field
        self.fields["org-name"].label = _("Organisation name")
        self.fields["accept_terms"] = self.fields.pop("accept_terms")  # last, after the organisation

    def clean(self):
        cleaned = super().clean()
        if not self.organisation_form.is_valid():
            for name, errors in self.organisation_form.errors.items():
                key = f"org-{name}" if name != "__all__" else None
                if key in self.errors:
                    continue  # the shared field already reported it
                for error in errors:
                    self.add_error(key, error)
        return cleaned

    def register(self, user):
        user.full_name = self.cleaned_data["full_name"]
        return services.buyer_register(user=user, **self.organisation_form.cleaned_data)


class TermsAcceptForm(forms.Form):
    accept_terms = forms.BooleanField(
        label=_("I have read and accept these terms of use."),
        error_messages={"required": _("Accept the terms of use to go on using the site.")},
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=OrgRole.choices, initial=OrgRole.PURCHASER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=OrgRole.choices)


class InvitedSignupForm(TermsAcceptanceMixin, SignupForm):
    """Someone invited to an organisation: an account at the invited address that joins it."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)

    def __init__(self, *args, token: str = "", **kwargs):
        self.token = token
        super().__init__(*args, **kwargs)
        self.fields["accept_terms"] = self.fields.pop("accept_terms")

    def clean(self):
        cleaned = super().clean()
        try:
            invitation = services.invitation_from_token(self.token)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        email = (cleaned.get("email") or "").lower()
        if email and email != invitation.email.lower():
            self.add_error("email", _("This invitation is for %(email)s.") % {"email": invitation.email})
        return cleaned

    def register(self, user):
        user.full_name = self.cleaned_data["full_name"]
        return services.invitation_accept(token=self.token, user=user)
