"""Delivery's forms: a recipient's deletion confirmation."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DeletionConfirmationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    role = forms.CharField(label=_("Your role"), max_length=200, help_text=_("For example: data protection officer"))
    deleted_on = forms.DateField(label=_("Date the files were deleted"), widget=forms.DateInput(attrs={"type": "date"}))
    statement = forms.BooleanField(
        label=_("The files are deleted from all copies and excluded from new training runs."), required=True
    )
