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


class ReleaseRequestForm(forms.Form):
    """A contributor asks a person to sign: who, their e-mail, and which people in which photos."""

    subject_name = forms.CharField(label=_("Person's full name"), max_length=200)
    email = forms.EmailField(
        label=_("Person's e-mail"), help_text=_("The signing link and a confirmation code go to this address.")
    )
    is_minor = forms.BooleanField(label=_("The person is a minor (under 18): a guardian signs too"), required=False)
    language = forms.ChoiceField(label=_("Language of the e-mail"), choices=[("ja", "日本語"), ("en", "English")])
    mode = forms.ChoiceField(
        label=_("How it is signed"),
        choices=[
            ("remote", _("Send the link by e-mail; they sign on their own device")),
            ("on_location", _("Here, on this device: I hand it over to them")),
        ],
        widget=forms.RadioSelect,
        initial="remote",
    )
    photographer_name = forms.CharField(label=_("Photographer"), max_length=200)
    shoot_date = forms.DateField(label=_("Shoot date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    shoot_place = forms.CharField(label=_("Place of the shoot"), max_length=200, required=False)
    subjects = forms.MultipleChoiceField(
        label=_("The people in your photos it covers"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, subjects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.subject_rows = {str(s.pk): s for s in subjects}
        self.fields["subjects"].choices = [
            (
                str(s.pk),
                _("%(photo)s — person %(n)s") % {"photo": s.photo.title or s.photo.original_filename, "n": s.position},
            )
            for s in subjects
        ]


class SigningCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}),
    )


class SigningForm(forms.Form):
    """The release as the person signs it: every scope its own unticked box."""

    scopes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    full_name = forms.CharField(label=_("Your full name"), max_length=200)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    guardian_name = forms.CharField(label=_("Guardian's full name"), max_length=200, required=False)
    guardian_relation = forms.CharField(label=_("Relation to the person (e.g. mother)"), max_length=100, required=False)
    guardian_signature = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, scopes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(s.code, s.name) for s in scopes]


def data_url_png(value: str) -> bytes:
    """The bytes of a ``data:image/png;base64,...`` value from the signature pad (b"" if it is not one)."""
    import base64
    import binascii

    prefix = "data:image/png;base64,"
    if not value.startswith(prefix):
        return b""
    try:
        return base64.b64decode(value[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return b""
