"""Staff forms: a dataset's card and prices, the curation query, freezing a version."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.curation.selectors import BALANCE_ATTRIBUTES, CurationQuery
from catalog.models import AgeBand, Angle, Dataset, Gender, Lighting
from licensing.consent.models import ConsentScope

RESTRICTED_AUTO, RESTRICTED_YES, RESTRICTED_NO = "", "yes", "no"
# Sane upper bounds: a million photos, a hundred million yen (the catalogue's price filter goes as high).
MAX_COUNT = 1_000_000
MAX_PRICE = 100_000_000
# Photos added by hand in one submission: one query, well inside every database's parameter limit.
MAX_ADD_PHOTOS = 1000
TRI_STATE = [("", _("Either")), ("yes", _("Yes")), ("no", _("No"))]


def scope_choices() -> list[tuple[str, str]]:
    return [(s.code, s.name) for s in ConsentScope.objects.order_by("pk")]


class DatasetForm(forms.Form):
    slug = forms.SlugField(label=_("Slug"), max_length=80, help_text=_("Used in the dataset's address."))
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=200)
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False
    )
    description_ja = forms.CharField(
        label=_("Description (Japanese)"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False
    )
    category = forms.ChoiceField(label=_("Category"), choices=Dataset.Category.choices)
    required_scopes = forms.MultipleChoiceField(
        label=_("Required consent scopes"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Only photos whose every subject consented to all of these can enter the dataset."),
    )
    target_size = forms.IntegerField(label=_("Target number of photos"), min_value=1, max_value=MAX_COUNT, initial=1000)
    price_unedited = forms.IntegerField(
        label=_("Unedited edition price (yen, tax included)"), min_value=0, max_value=MAX_PRICE, initial=99_000
    )
    price_annotated = forms.IntegerField(
        label=_("Annotated edition price (yen, tax included)"), min_value=0, max_value=MAX_PRICE, initial=165_000
    )
    restricted = forms.ChoiceField(
        label=_("Restricted"),
        required=False,
        choices=[
            (RESTRICTED_AUTO, _("From the scopes (restricted if unique identification is required)")),
            (RESTRICTED_YES, _("Restricted: buyers are approved before they can pay")),
            (RESTRICTED_NO, _("Not restricted")),
        ],
    )
    licence_summary_en = forms.CharField(
        label=_("Licence summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000, required=False
    )
    licence_summary_ja = forms.CharField(
        label=_("Licence summary (Japanese)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000, required=False
    )

    def __init__(self, *args, dataset: Dataset | None = None, **kwargs):
        self.dataset = dataset
        if dataset is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(dataset, name) for name in self.base_fields if name != "restricted"} | {
                "restricted": RESTRICTED_YES if dataset.restricted else RESTRICTED_NO
            }
        super().__init__(*args, **kwargs)
        self.fields["required_scopes"].choices = scope_choices()

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        others = Dataset.objects.filter(slug=slug)
        if self.dataset is not None:
            others = others.exclude(pk=self.dataset.pk)
        if others.exists():
            raise forms.ValidationError(_("Another dataset already uses this slug; choose another."))
        return slug

    def service_fields(self) -> dict:
        """The cleaned data as the dataset services take it; "from the scopes" leaves the default to them."""
        data = dict(self.cleaned_data)
        restricted = data.pop("restricted")
        if restricted == RESTRICTED_YES:
            data["restricted"] = True
        elif restricted == RESTRICTED_NO:
            data["restricted"] = False
        elif self.dataset is not None:
            data["restricted"] = "unique_identification" in data["required_scopes"]
        return data


def _tags(value: str) -> list[str]:
    return [t.strip() for t in value.replace("、", ",").split(",") if t.strip()]


def _tri(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


BALANCE_LABELS = {
    "gender": _("Gender"),
    "age_band": _("Age band"),
    "mask": _("Mask"),
    "lighting": _("Lighting"),
    "angle": _("Angle"),
}


class CurationQueryForm(forms.Form):
    tags_all = forms.CharField(
        label=_("All of these tags"), required=False, max_length=2000, help_text=_("Separate tags with commas.")
    )
    tags_any = forms.CharField(label=_("Any of these tags"), required=False, max_length=2000)
    tags_none = forms.CharField(label=_("None of these tags"), required=False, max_length=2000)
    age_band = forms.MultipleChoiceField(
        label=_("Age band"), choices=AgeBand.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    gender = forms.MultipleChoiceField(
        label=_("Gender"), choices=Gender.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    angle = forms.MultipleChoiceField(
        label=_("Angle"), choices=Angle.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    lighting = forms.MultipleChoiceField(
        label=_("Lighting"), choices=Lighting.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    mask = forms.ChoiceField(label=_("Mask"), choices=TRI_STATE, required=False)
    glasses = forms.ChoiceField(label=_("Glasses"), choices=TRI_STATE, required=False)
    hat = forms.ChoiceField(label=_("Hat"), choices=TRI_STATE, required=False)
    people = forms.ChoiceField(
        label=_("People"),
        required=False,
        choices=[("any", _("Any")), ("with", _("With people")), ("without", _("Without people"))],
    )
    max_per_contributor = forms.IntegerField(
        label=_("At most per contributor"), min_value=1, max_value=MAX_COUNT, required=False
    )
    max_per_subject = forms.IntegerField(
        label=_("At most per subject"), min_value=1, max_value=MAX_COUNT, required=False
    )
    exclude_near_duplicates = forms.BooleanField(label=_("Exclude near duplicates"), required=False)
    balance_by = forms.ChoiceField(
        label=_("Balance by"),
        required=False,
        choices=[("", _("No balancing"))] + [(a, BALANCE_LABELS[a]) for a in BALANCE_ATTRIBUTES],
    )
    limit = forms.IntegerField(
        label=_("Limit"),
        min_value=1,
        max_value=MAX_COUNT,
        required=False,
        help_text=_("Empty: the dataset's target size."),
    )

    @classmethod
    def initial_from(cls, query: CurationQuery) -> dict:
        def tri(v):
            return "" if v is None else ("yes" if v else "no")

        return {
            "tags_all": ", ".join(query.tags_all),
            "tags_any": ", ".join(query.tags_any),
            "tags_none": ", ".join(query.tags_none),
            "age_band": query.age_band,
            "gender": query.gender,
            "angle": query.angle,
            "lighting": query.lighting,
            "mask": tri(query.mask),
            "glasses": tri(query.glasses),
            "hat": tri(query.hat),
            "people": query.people,
            "max_per_contributor": query.max_per_contributor,
            "max_per_subject": query.max_per_subject,
            "exclude_near_duplicates": query.exclude_near_duplicates,
            "balance_by": query.balance_by,
            "limit": query.limit,
        }

    def to_query(self, *, exclude: list[str]) -> CurationQuery:
        d = self.cleaned_data
        return CurationQuery(
            tags_all=_tags(d["tags_all"]),
            tags_any=_tags(d["tags_any"]),
            tags_none=_tags(d["tags_none"]),
            age_band=d["age_band"],
            gender=d["gender"],
            angle=d["angle"],
            lighting=d["lighting"],
            mask=_tri(d["mask"]),
            glasses=_tri(d["glasses"]),
            hat=_tri(d["hat"]),
            people=d["people"] or "any",
            max_per_contributor=d["max_per_contributor"],
            max_per_subject=d["max_per_subject"],
            exclude_near_duplicates=d["exclude_near_duplicates"],
            balance_by=d["balance_by"],
            limit=d["limit"],
            exclude=list(exclude),
        )


class FreezeForm(forms.Form):
    edition = forms.ChoiceField(
        label=_("Edition"),
        choices=[("unedited", _("Unedited")), ("annotated", _("Annotated (every face boxed)"))],
        initial="unedited",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AddPhotosForm(forms.Form):
    uuids = forms.CharField(
        label=_("Photo ids"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or more photo ids (UUIDs), separated by spaces, commas or new lines."),
    )

    def clean_uuids(self):
        import re
        import uuid as uuidlib

        values = [v for v in re.split(r"[\s,]+", self.cleaned_data["uuids"]) if v]
        if len(values) > MAX_ADD_PHOTOS:
            raise forms.ValidationError(
                _("At most %(max)s photo ids at a time; you entered %(count)s.")
                % {"max": MAX_ADD_PHOTOS, "count": len(values)}
            )
        out = []
        for v in values:
            try:
                out.append(str(uuidlib.UUID(v)))
            except ValueError:
                raise forms.ValidationError(_("“%(value)s” is not a photo id.") % {"value": v}) from None
        return out
