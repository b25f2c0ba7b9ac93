from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import AgeBand, Angle, Edition, Gender, Lighting
from licensing.commerce.models import DatasetRequest, IntendedUse, Order
from licensing.commerce.payments import DemoCard


class CartAddForm(forms.Form):
    dataset = forms.SlugField()
    edition = forms.ChoiceField(choices=Edition.choices, error_messages={"required": _("Choose an edition.")})


class CheckoutForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    # The quotation ordered from (its lines and prices instead of the cart's), if any.
    quotation = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)
    # The licence version the page showed: the order is refused if another one is now in force.
    licence_code = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False)
    billing_name = forms.CharField(label=_("Billing name"), max_length=200)
    billing_address = forms.CharField(
        label=_("Billing address"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    billing_country = forms.CharField(label=_("Country"), max_length=2, initial="JP")
    billing_registration_number = forms.CharField(
        label=_("Qualified-invoice registration number"), max_length=14, required=False
    )
    intended_use = forms.ChoiceField(label=_("Intended use"), choices=[("", "—"), *IntendedUse.choices])
    intended_use_detail = forms.CharField(
        label=_("Intended use, in your words"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    payment_method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    accept_licence = forms.BooleanField(
        label=_("I have read the licence terms above and accept them on behalf of my organisation."),
        error_messages={"required": _("Accept the licence terms to place the order.")},
    )

    def __init__(self, *args, payment_methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = list(payment_methods)
        self.fields["payment_method"].initial = Order.PaymentMethod.BANK_TRANSFER

    def clean(self):
        data = super().clean()
        if "idempotency_key" in self._errors:
            # A hidden field the page never shows: say what to do where the page shows errors.
            del self._errors["idempotency_key"]
            self.add_error(None, _("The checkout form expired; reload the page and submit again."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])
    note = forms.CharField(
        label=_("Reason / note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DemoCardForm(forms.Form):
    """The demo card: each field checked on its own, so every mistake is reported at once.
    Expiry and CVC may be left empty (no money moves), but what is typed must be well formed."""

    card_number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        initial="",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "placeholder": "4242 4242 4242 4242",
                "size": 23,
            }
        ),
    )
    expiry = forms.CharField(
        label=_("Expiry (MM/YY)"),
        max_length=5,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-exp", "inputmode": "numeric", "placeholder": "MM/YY", "size": 6}
        ),
    )
    cvc = forms.CharField(
        label=_("CVC"),
        max_length=4,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "placeholder": "123", "size": 5}
        ),
    )

    def clean_card_number(self):
        number = self.cleaned_data["card_number"].strip()
        if not DemoCard.luhn_ok(number):
            raise forms.ValidationError(
                _("That card number is not valid; check it and try again."), code="card_invalid"
            )
        return number

    def clean_expiry(self):
        value = self.cleaned_data["expiry"].strip()
        if not value:
            return value
        match = re.fullmatch(r"(0[1-9]|1[0-2])/?([0-9]{2})", value)
        if not match:
            raise forms.ValidationError(_("Enter the expiry as MM/YY, for example 04/29."), code="expiry_format")
        month, year = int(match.group(1)), 2000 + int(match.group(2))
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError(_("This card has expired."), code="expired")
        return f"{month:02d}/{year % 100:02d}"

    def clean_cvc(self):
        value = self.cleaned_data["cvc"].strip()
        if value and not re.fullmatch(r"[0-9]{3,4}", value):
            raise forms.ValidationError(_("The CVC is the 3 or 4 digits on the back of the card."), code="cvc_format")
        return value


class BankStatementForm(forms.Form):
    statement = forms.FileField(label=_("Bank statement (CSV: date, amount, reference)"))


def _scope_choices():
    from licensing.consent.models import ConsentScope

    return [(s.code, s.name) for s in ConsentScope.objects.order_by("pk")]


class DatasetRequestForm(forms.Form):
    """What a purchaser asks for; ``services.dataset_request_submit`` checks every value again."""

    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("e.g. People over 60 wearing masks"))
    photo_count = forms.IntegerField(label=_("Number of photos"), min_value=1, max_value=100_000)
    age_bands = forms.MultipleChoiceField(
        label=_("Age bands"), choices=AgeBand.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    genders = forms.MultipleChoiceField(
        label=_("Genders"), choices=Gender.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    mask = forms.ChoiceField(label=_("Masks"), choices=DatasetRequest.Presence.choices, required=False)
    glasses = forms.ChoiceField(label=_("Glasses"), choices=DatasetRequest.Presence.choices, required=False)
    angles = forms.MultipleChoiceField(
        label=_("Angles"), choices=Angle.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    lighting = forms.MultipleChoiceField(
        label=_("Lighting"), choices=Lighting.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    setting = forms.CharField(label=_("Setting"), max_length=200, required=False)
    required_scopes = forms.MultipleChoiceField(
        label=_("Consent every person must give"), choices=(), widget=forms.CheckboxSelectMultiple
    )
    deadline = forms.DateField(label=_("Wanted by"), widget=forms.DateInput(attrs={"type": "date"}))
    budget = forms.IntegerField(label=_("Budget (yen, tax included)"), min_value=0, max_value=10**12)
    annotated = forms.BooleanField(label=_("Annotated (every face boxed)"), required=False)
    description = forms.CharField(
        label=_("Anything else"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    show_buyer_name = forms.BooleanField(label=_("Contributors may see our organisation's name"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_scopes"].choices = _scope_choices()


class DatasetRequestOfferForm(forms.Form):
    price = forms.IntegerField(label=_("Price (yen, tax included)"), min_value=1, max_value=10**12)
    delivery_on = forms.DateField(label=_("Delivery date"), widget=forms.DateInput(attrs={"type": "date"}))
    bonus_per_photo = forms.IntegerField(
        label=_("Contributor bonus per accepted photo (yen)"), min_value=0, max_value=1_000_000, initial=0
    )
    exclusive_days = forms.IntegerField(
        label=_("Exclusive to the buyer for (days)"), min_value=0, max_value=3650, initial=0
    )


class DatasetRequestDeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
