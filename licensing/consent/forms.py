from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import PhotoRejectionReason
from licensing.consent.models import (
    ConsentScope,
    ConsentWithdrawal,
    ContributorOptOut,
    ModelRelease,
    ReleaseRejectionReason,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ScopeChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", ConsentScope.objects.all())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return obj.name


class ReleaseForm(forms.ModelForm):
    """The release as the contributor types it from the paper form. On an existing release the
    personal fields start empty (contributors do not see them again) and stay unchanged when left empty."""

    PERSONAL = ("subject_name", "subject_contact", "date_of_birth", "guardian_name", "witness_name")

    scopes = ScopeChoiceField(
        label=_("Consent scopes ticked on the form"),
        help_text=_("Tick exactly what the subject ticked. Photos can only be sold for these uses."),
    )
    document = forms.FileField(
        label=_("Signed form (PDF, JPEG or PNG)"),
        help_text=_("A scan or a clear photo of every page, with the signatures legible. At most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    class Meta:
        model = ModelRelease
        fields = [
            "reference",
            "subject_name",
            "subject_contact",
            "date_of_birth",
            "age_band",
            "is_minor",
            "guardian_name",
            "guardian_signed",
            "signed_on",
            "shoot_date",
            "shoot_place",
            "photographer_name",
            "witness_name",
            "form_language",
            "expires_on",
        ]
        widgets = {
            "date_of_birth": DATE,
            "signed_on": DATE,
            "shoot_date": DATE,
            "expires_on": DATE,
        }

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        self.editing = instance is not None and instance.pk is not None
        if self.editing:
            for name in self.PERSONAL:
                self.initial[name] = None
                self.fields[name].required = False
                self.fields[name].help_text = _("Not shown again, for privacy. Leave empty to keep what you entered.")
            self.fields["document"].required = False
            self.fields["document"].help_text = _("Leave empty to keep the document you uploaded.")
            self.initial["scopes"] = [rs.scope.code for rs in instance.release_scopes.all() if rs.withdrawn_at is None]

    def _post_clean(self):
        # The service validates the release as a whole; the form does not save the model.
        pass

    def release_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.editing:
            for name in self.PERSONAL:
                if data[name] in ("", None):
                    data.pop(name)
        return data


def reject_reason_choices(*, photo: bool, release: bool):
    groups = []
    if photo:
        groups.append(
            (
                _("The photo"),
                [(f"photo:{k}", v) for k, v in PhotoRejectionReason.choices if k != PhotoRejectionReason.NO_RELEASE],
            )
        )
    if release:
        groups.append((_("The model release"), [(f"release:{k}", v) for k, v in ReleaseRejectionReason.choices]))
    return [("", _("Choose a reason…")), *groups]


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(
        label=_("Note to the contributor"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say what to fix. Required for “Other”."),
    )

    def __init__(self, *args, photo: bool, release: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reject_reason_choices(photo=photo, release=release)


class WithdrawForm(forms.Form):
    """What the subject takes back: ticked scopes, or everything."""

    scopes = forms.MultipleChoiceField(
        label=_("Withdraw only these uses"), required=False, widget=forms.CheckboxSelectMultiple
    )
    everything = forms.BooleanField(label=_("Or withdraw my whole consent"), required=False)

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(s.code, s.name) for s in scopes]

    def clean(self):
        data = super().clean()
        if not data.get("everything") and not data.get("scopes"):
            raise forms.ValidationError(_("Tick the uses to withdraw, or withdraw the whole consent."))
        return data

    def chosen(self):
        return None if self.cleaned_data["everything"] else self.cleaned_data["scopes"]


class PaperWithdrawalForm(WithdrawForm):
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].label = _("Uses withdrawn")
        self.fields["everything"].label = _("Or the whole consent is withdrawn")


class OptOutForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("For all my photos"),
        choices=[("", _("Offer my photos for every use their releases allow")), *list(ContributorOptOut.Kind.choices)],
        required=False,
        widget=forms.RadioSelect,
    )


CHANNELS = ConsentWithdrawal.Channel


class LinkResendForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("The address you confirmed when you signed or confirmed your model release."),
    )
