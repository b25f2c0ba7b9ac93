"""The storefront catalogue's search, filters and sort: one form for the page and the public API.

``CatalogueForm`` validates the query string; ``catalog.storefront.selectors.dataset_catalogue`` turns
what it cleaned into the queryset both the page and ``GET /api/v1/datasets/`` list.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset
from catalog.storefront.selectors import SIZE_RANGES, Sort

PAGE_SIZE = 24


class CatalogueForm(forms.Form):
    """Search, filters and sort of the catalogue; every field is optional."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Dataset.Category.choices]
    )
    size = forms.ChoiceField(
        label=_("Size"),
        required=False,
        choices=[("", _("Any size")), *((code, label) for code, (label, _lo, _hi) in SIZE_RANGES.items())],
    )
    max_price = forms.IntegerField(
        label=_("Maximum price (yen, tax included)"), required=False, min_value=0, max_value=100_000_000
    )
    scope = forms.MultipleChoiceField(
        label=_("Consent held by every photo"), required=False, widget=forms.CheckboxSelectMultiple
    )
    masked = forms.BooleanField(label=_("Has masked faces"), required=False)
    annotated = forms.BooleanField(label=_("Annotated edition available"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=Sort.choices)

    def __init__(self, *args, scopes=(), **kwargs):
        """``scopes`` are the ConsentScope rows the scope filter offers (the caller loads them once)."""
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [(s.code, s.name) for s in scopes]

    def filters(self) -> dict:
        """The valid part of the query: a field with a bad value is left out (the page shows its error)."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value not in (None, "", [])}
