"""Forms of the contributor portal. They validate input; every write goes through catalog.photos.services."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from catalog.models import AgeBand, Angle, Gender, Lighting, Photo, PhotoSubject
from catalog.photos.services import DESCRIPTION_FIELDS, normalise_tag
from contributors.banking import AccountType
from contributors.models import ContributorProfile

# The API takes at most this many keywords per photo; the pages keep the same limit.
MAX_KEYWORDS = 50
MAX_SUBJECTS = 50

# Photographers type keywords with ASCII commas, Japanese commas (、，) or one per line.
_KEYWORD_SEPARATORS = re.compile(r"[,、，;；\n\r]+")

# Offered as suggestions in a <datalist>; the field stays free text (places outside Japan too).
PREFECTURES = [
    ("Hokkaido", "北海道"),
    ("Aomori", "青森県"),
    ("Iwate", "岩手県"),
    ("Miyagi", "宮城県"),
    ("Akita", "秋田県"),
    ("Yamagata", "山形県"),
    ("Fukushima", "福島県"),
    ("Ibaraki", "茨城県"),
    ("Tochigi", "栃木県"),
    ("Gunma", "群馬県"),
    ("Saitama", "埼玉県"),
    ("Chiba", "千葉県"),
    ("Tokyo", "東京都"),
    ("Kanagawa", "神奈川県"),
    ("Niigata", "新潟県"),
    ("Toyama", "富山県"),
    ("Ishikawa", "石川県"),
    ("Fukui", "福井県"),
    ("Yamanashi", "山梨県"),
    ("Nagano", "長野県"),
    ("Gifu", "岐阜県"),
    ("Shizuoka", "静岡県"),
    ("Aichi", "愛知県"),
    ("Mie", "三重県"),
    ("Shiga", "滋賀県"),
    ("Kyoto", "京都府"),
    ("Osaka", "大阪府"),
    ("Hyogo", "兵庫県"),
    ("Nara", "奈良県"),
    ("Wakayama", "和歌山県"),
    ("Tottori", "鳥取県"),
    ("Shimane", "島根県"),
    ("Okayama", "岡山県"),
    ("Hiroshima", "広島県"),
    ("Yamaguchi", "山口県"),
    ("Tokushima", "徳島県"),
    ("Kagawa", "香川県"),
    ("Ehime", "愛媛県"),
    ("Kochi", "高知県"),
    ("Fukuoka", "福岡県"),
    ("Saga", "佐賀県"),
    ("Nagasaki", "長崎県"),
    ("Kumamoto", "熊本県"),
    ("Oita", "大分県"),
    ("Miyazaki", "宮崎県"),
    ("Kagoshima", "鹿児島県"),
    ("Okinawa", "沖縄県"),
]


def split_keywords(text: str) -> list[str]:
    """ "mask, マスク、 Tokyo" -> ["mask", "マスク", "Tokyo"]; empty parts dropped."""
    return [part.strip() for part in _KEYWORD_SEPARATORS.split(text or "") if part.strip()]


class KeywordsField(forms.CharField):
    """Comma-separated keywords in, a list of keywords out."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "data-keywords": ""}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return value

    def clean(self, value):
        keywords = split_keywords(super().clean(value))
        distinct = {normalise_tag(k) for k in keywords}
        if len(distinct) > MAX_KEYWORDS:
            raise forms.ValidationError(
                _("At most %(max)s keywords per photo; you entered %(count)s.")
                % {"max": MAX_KEYWORDS, "count": len(distinct)},
                code="too_many_keywords",
            )
        too_long = [k for k in keywords if len(k) > 50]
        if too_long:
            raise forms.ValidationError(
                _("A keyword can be at most 50 characters: “%(keyword)s”.") % {"keyword": too_long[0][:60]},
                code="keyword_too_long",
            )
        return keywords


# --- Upload without JavaScript ----------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    """Many files in one field. It judges none of them: each gets the service's own verdict
    (empty, too large, not an image...) in the view, so one bad file never fails the others."""

    widget = MultipleFileInput

    def clean(self, value):
        files = [f for f in (value if isinstance(value, (list, tuple)) else [value]) if f]
        if not files and self.required:
            raise forms.ValidationError(_("Choose at least one photo to upload."), code="required")
        return files


class UploadForm(forms.Form):
    """The upload form that works without JavaScript: many files in one request."""

    files = MultipleFileField(
        label=_("Photos"),
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp", "multiple": True}
        ),
    )


# --- Describing one photo -------------------------------------------------------------


def _model_field(model, name, **kwargs):
    return model._meta.get_field(name).formfield(**kwargs)


class PhotoDescriptionForm(forms.Form):
    """What the contributor says about one photo. Saved by ``catalog.photos.services.photo_describe``."""

    title = _model_field(Photo, "title", widget=forms.TextInput(attrs={"maxlength": 200, "lang": "en"}))
    title_ja = _model_field(Photo, "title_ja", widget=forms.TextInput(attrs={"maxlength": 200, "lang": "ja"}))
    description = _model_field(Photo, "description", widget=forms.Textarea(attrs={"rows": 3}))
    keywords = KeywordsField(
        label=_("Keywords"),
        help_text=_(
            "Separate keywords with commas. Japanese and English both work, for example: マスク, mask, 東京, street."
        ),
    )
    shoot_date = _model_field(Photo, "shoot_date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        help_text=_("Two-letter country code, for example JP."),
        widget=forms.TextInput(attrs={"size": 3, "autocapitalize": "characters", "class": "short"}),
    )
    prefecture = _model_field(
        Photo, "prefecture", widget=forms.TextInput(attrs={"list": "prefecture-options", "autocomplete": "off"})
    )
    lighting = forms.ChoiceField(
        label=_("Lighting"), choices=[("", _("— not set —")), *Lighting.choices], required=False
    )
    no_people = _model_field(Photo, "no_people")

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise forms.ValidationError(_("Enter a two-letter country code, for example JP."), code="invalid")
        return value

    @classmethod
    def initial_for(cls, photo: Photo) -> dict:
        initial = {name: getattr(photo, name) for name in DESCRIPTION_FIELDS}
        initial["keywords"] = [t.name for t in photo.tags.all()]
        return initial

    def description_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in DESCRIPTION_FIELDS}


class SubjectForm(forms.Form):
    """One person in the photo, as they describe themselves."""

    age_band = forms.ChoiceField(
        label=_("Age band"), choices=[("", _("— not set —")), *AgeBand.choices], required=False
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", _("— not set —")), *Gender.choices], required=False)
    ethnicity = _model_field(
        PhotoSubject, "ethnicity", widget=forms.TextInput(attrs={"placeholder": _("e.g. Japanese")})
    )
    mask = _model_field(PhotoSubject, "mask")
    glasses = _model_field(PhotoSubject, "glasses")
    hat = _model_field(PhotoSubject, "hat")
    angle = forms.ChoiceField(label=_("Angle"), choices=[("", _("— not set —")), *Angle.choices], required=False)

    FIELDS = ("age_band", "gender", "ethnicity", "mask", "glasses", "hat", "angle")


class BaseSubjectFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this person")

    def subjects(self) -> list[dict]:
        """The people to keep, in order: filled-in rows not marked for removal."""
        kept = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            kept.append({name: data[name] for name in SubjectForm.FIELDS})
        return kept


SubjectFormSet = forms.formset_factory(
    SubjectForm,
    formset=BaseSubjectFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_SUBJECTS,
    absolute_max=MAX_SUBJECTS,
    validate_max=True,
)


# --- Bulk edit on My photos -------------------------------------------------------------

_NO_CHANGE = ("", _("— no change —"))
_YES_NO = [_NO_CHANGE, ("yes", _("Yes")), ("no", _("No"))]


class BulkEditForm(forms.Form):
    """Changes applied to every selected photo by ``catalog.photos.services.photos_bulk_edit``. Blank = no change."""

    title = forms.CharField(
        label=_("Title (English)"),
        max_length=200,
        required=False,
        help_text=_("Give every selected photo this title."),
        widget=forms.TextInput(attrs={"lang": "en"}),
    )
    title_ja = forms.CharField(
        label=_("Title (Japanese)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"lang": "ja"}),
    )
    add_tags = KeywordsField(label=_("Add keywords"))
    remove_tags = KeywordsField(label=_("Remove keywords"))
    lighting = forms.ChoiceField(label=_("Lighting"), choices=[_NO_CHANGE, *Lighting.choices], required=False)
    shoot_date = forms.DateField(
        label=_("Shoot date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    prefecture = forms.CharField(
        label=_("Prefecture / region"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"list": "prefecture-options", "autocomplete": "off"}),
    )
    people = forms.IntegerField(
        label=_("Number of people"),
        min_value=0,
        max_value=MAX_SUBJECTS,
        required=False,
        help_text=_("0 marks the photos as having no people. People are added or removed at the end."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "short"}),
    )
    mask = forms.ChoiceField(label=_("Mask"), choices=_YES_NO, required=False)
    glasses = forms.ChoiceField(label=_("Glasses"), choices=_YES_NO, required=False)
    hat = forms.ChoiceField(label=_("Hat"), choices=_YES_NO, required=False)
    age_band = forms.ChoiceField(label=_("Age band"), choices=[_NO_CHANGE, *AgeBand.choices], required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=[_NO_CHANGE, *Gender.choices], required=False)
    angle = forms.ChoiceField(label=_("Angle"), choices=[_NO_CHANGE, *Angle.choices], required=False)

    PHOTO_FIELDS = ("title", "title_ja", "lighting", "shoot_date", "prefecture")
    SUBJECT_FIELDS = ("mask", "glasses", "hat", "age_band", "gender", "angle")

    def clean(self):
        data = super().clean()
        if not self.errors and not any(v or v == 0 for v in self.changes().values()):
            raise forms.ValidationError(_("Choose at least one change to apply."), code="no_change")
        return data

    def changes(self) -> dict:
        """Keyword arguments for ``photos_bulk_edit`` (without the photos and the contributor)."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.PHOTO_FIELDS if data.get(name) not in (None, "")}
        subject_attributes = {}
        for name in self.SUBJECT_FIELDS:
            value = data.get(name) or ""
            if value in ("yes", "no") and name in ("mask", "glasses", "hat"):
                subject_attributes[name] = value == "yes"
            elif value:
                subject_attributes[name] = value
        return {
            "add_tags": data.get("add_tags") or [],
            "remove_tags": data.get("remove_tags") or [],
            "subject_attributes": subject_attributes,
            "people": data.get("people"),
            **fields,
        }


# --- Earnings and payouts ----------------------------------------------------------------------


class PayoutDetailsForm(forms.Form):
    entity_type = forms.ChoiceField(label=gettext_lazy("I am paid as"), choices=ContributorProfile.EntityType.choices)
    tax_residency = forms.ChoiceField(
        label=gettext_lazy("Tax residency"), choices=ContributorProfile.TaxResidency.choices
    )
    bank_code = forms.CharField(label=gettext_lazy("Bank code (4 digits)"), max_length=8)
    branch_code = forms.CharField(label=gettext_lazy("Branch code (3 digits)"), max_length=8)
    account_type = forms.ChoiceField(
        label=gettext_lazy("Account type"),
        choices=[
            (str(int(AccountType.ORDINARY)), gettext_lazy("Ordinary (普通)")),
            (str(int(AccountType.CURRENT)), gettext_lazy("Current (当座)")),
            (str(int(AccountType.SAVINGS)), gettext_lazy("Savings (貯蓄)")),
        ],
    )
    account_number = forms.CharField(label=gettext_lazy("Account number (up to 7 digits)"), max_length=10)
    holder_name = forms.CharField(label=gettext_lazy("Account holder, in katakana as on the bank book"), max_length=80)


class RunStartForm(forms.Form):
    period = forms.RegexField(label=gettext_lazy("Period (YYYY-MM)"), regex=r"^[0-9]{4}-[0-9]{2}$", max_length=7)
