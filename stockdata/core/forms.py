from django import forms
from django.utils.translation import gettext_lazy as _

from stockdata.core.models import ContactMessage


class ContactForm(forms.ModelForm):
    class Meta:
        model = ContactMessage
        fields = ["topic", "name", "email", "organisation", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        help_texts = {"body": _("Up to 5,000 characters. Please do not send card numbers or passwords.")}


class ContactAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer (e-mailed to the sender)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )
