"""How consent's notifications read. The text is made when shown, in the reader's language.

Imported by the app's ``ready()`` so the kinds are registered before any is shown."""

from django.utils.translation import gettext as _

from licensing.consent.models import ConsentScope, rejection_reason_label
from stockdata.notifications.models import register_notification


def _reason(kind: str, params: dict) -> str:
    text = rejection_reason_label(kind, params.get("reason", ""))
    note = params.get("note", "")
    if note:
        text = _("%(reason)s Reviewer's note: %(note)s") % {"reason": text, "note": note}
    return text


@register_notification("release_approved")
def release_approved(params: dict) -> tuple[str, str]:
    return (
        _("Model release %(id)s approved") % {"id": params.get("subject_id", "")},
        _("The release is approved; photos of this person can now hold its consent scopes."),
    )


@register_notification("release_rejected")
def release_rejected(params: dict) -> tuple[str, str]:
    return (
        _("Model release %(id)s rejected") % {"id": params.get("subject_id", "")},
        _("Reason: %(reason)s Fix the release and resubmit it.") % {"reason": _reason("release", params)},
    )


@register_notification("photo_approved")
def photo_approved(params: dict) -> tuple[str, str]:
    return (
        _("Photo “%(photo)s” approved") % {"photo": params.get("photo", "")},
        _("The photo is approved and can be included in datasets."),
    )


@register_notification("photo_rejected")
def photo_rejected(params: dict) -> tuple[str, str]:
    return (
        _("Photo “%(photo)s” rejected") % {"photo": params.get("photo", "")},
        _("Reason: %(reason)s Fix the photo and submit it again.") % {"reason": _reason("photo", params)},
    )


@register_notification("consent_withdrawn")
def consent_withdrawn(params: dict) -> tuple[str, str]:
    subject_id = params.get("subject_id", "")
    if params.get("entire"):
        return (
            _("Subject %(id)s withdrew their consent") % {"id": subject_id},
            _("The photos of this person are no longer offered for any use. Nothing for you to do."),
        )
    names = {s.code: s.name for s in ConsentScope.objects.filter(code__in=params.get("scopes", []))}
    return (
        _("Subject %(id)s withdrew part of their consent") % {"id": subject_id},
        _("Withdrawn: %(scopes)s. The photos of this person are no longer offered for these uses.")
        % {"scopes": ", ".join(names.get(c, c) for c in params.get("scopes", []))},
    )
