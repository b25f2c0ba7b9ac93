"""Datasets made to order: a buyer's request, staff's offer or refusal, the buyer's acceptance as
a quotation, and contributors' photos entered for the mission it becomes."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import AgeBand, Angle, Gender, Lighting, Photo
from licensing.commerce.models import DatasetRequest, MissionPhoto, Quotation
from licensing.commerce.services.quotations import quotation_store
from licensing.consent.models import ConsentScope
from stockdata.accounts.permissions import PURCHASING, has_any_org_role
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.money import invoice_line_taxes

#: The largest request a buyer can make in one go (a mission of more is several requests).
MAX_PHOTO_COUNT = 100_000
MAX_YEN = 10**12


def _refuse(message: str, field: str | None = None, code: ErrorCode = ErrorCode.INVALID, status: int = 400):
    return ApplicationError(message, code=code, field=field, status=status)


def _choices(values, allowed, field: str) -> list[str]:
    values = list(dict.fromkeys(values or []))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise _refuse(_("Unknown value: %(values)s.") % {"values": ", ".join(map(str, unknown))}, field)
    return values


@transaction.atomic
def dataset_request_submit(
    *,
    user,
    title: str,
    photo_count: int,
    deadline: date,
    budget: int,
    required_scopes: list[str],
    age_bands: list[str] = (),
    genders: list[str] = (),
    mask: str = "",
    glasses: str = "",
    angles: list[str] = (),
    lighting: list[str] = (),
    setting: str = "",
    annotated: bool = False,
    description: str = "",
    show_buyer_name: bool = False,
) -> DatasetRequest:
    """A purchaser (or owner) asks for a dataset made to order. Every value is checked here, so the
    API and the form refuse the same things: a count of 1 to 100,000, a deadline after today, a
    budget in whole yen, consent scopes and attributes that exist."""
    if not has_any_org_role(user, getattr(user, "organisation_id", None), PURCHASING):
        raise _refuse(
            _("Only an owner or a purchaser of your organisation can request a dataset."),
            code=ErrorCode.PERMISSION_DENIED,
            status=403,
        )
    title = (title or "").strip()
    if not title:
        raise _refuse(_("Give the request a title."), "title")
    if not isinstance(photo_count, int) or not 1 <= photo_count <= MAX_PHOTO_COUNT:
        raise _refuse(_("Ask for between 1 and 100,000 photos."), "photo_count")
    if not isinstance(budget, int) or not 0 <= budget <= MAX_YEN:
        raise _refuse(_("Give the budget in whole yen."), "budget")
    if deadline <= timezone.localdate():
        raise _refuse(_("Choose a deadline after today."), "deadline")
    scopes = _choices(required_scopes, set(ConsentScope.objects.values_list("code", flat=True)), "required_scopes")
    if not scopes:
        raise _refuse(_("Choose the consent every person in the photos must give."), "required_scopes")
    presence = set(DatasetRequest.Presence.values)
    if mask not in presence or glasses not in presence:
        raise _refuse(_("Choose yes, no or either."), "mask" if mask not in presence else "glasses")
    return DatasetRequest.objects.create(
        organisation_id=user.organisation_id,
        requested_by=user,
        title=title[:200],
        photo_count=photo_count,
        deadline=deadline,
        budget=budget,
        required_scopes=scopes,
        age_bands=_choices(age_bands, AgeBand.values, "age_bands"),
        genders=_choices(genders, Gender.values, "genders"),
        mask=mask,
        glasses=glasses,
        angles=_choices(angles, Angle.values, "angles"),
        lighting=_choices(lighting, Lighting.values, "lighting"),
        setting=(setting or "").strip()[:200],
        annotated=bool(annotated),
        description=(description or "").strip()[:4000],
        show_buyer_name=bool(show_buyer_name),
    )


def _locked(request: DatasetRequest, *allowed: str) -> DatasetRequest:
    request = DatasetRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in allowed:
        raise _refuse(
            _("This request is “%(status)s” now; reload the page.") % {"status": request.get_status_display()},
            code=ErrorCode.REQUEST_TRANSITION_REFUSED,
            status=409,
        )
    return request


@transaction.atomic
def dataset_request_offer(
    *,
    request: DatasetRequest,
    staff,
    price: int,
    delivery_on: date,
    bonus_per_photo: int = 0,
    exclusive_days: int = 0,
) -> DatasetRequest:
    """Staff accept a submitted request with a price (whole yen, tax included) and a delivery date;
    from now on it is a mission on the contributor portal, paying ``bonus_per_photo`` for each photo
    that counts toward it."""
    request = _locked(request, DatasetRequest.Status.SUBMITTED)
    if not isinstance(price, int) or not 1 <= price <= MAX_YEN:
        raise _refuse(_("Give the price in whole yen."), "price")
    if delivery_on <= timezone.localdate():
        raise _refuse(_("Choose a delivery date after today."), "delivery_on")
    if not isinstance(bonus_per_photo, int) or not 0 <= bonus_per_photo <= 1_000_000:
        raise _refuse(_("Give the bonus in whole yen."), "bonus_per_photo")
    if bonus_per_photo * request.photo_count > price:
        raise _refuse(_("The bonuses for every photo would exceed the price."), "bonus_per_photo")
    if not isinstance(exclusive_days, int) or not 0 <= exclusive_days <= 3650:
        raise _refuse(_("Give the exclusivity in days (0 to 3650)."), "exclusive_days")
    request.status = DatasetRequest.Status.OFFERED
    request.offer_price, request.offer_delivery_on = price, delivery_on
    request.bonus_per_photo, request.exclusive_days = bonus_per_photo, exclusive_days
    request.reviewed_by, request.reviewed_at = staff, timezone.now()
    request.save(
        update_fields=[
            "status",
            "offer_price",
            "offer_delivery_on",
            "bonus_per_photo",
            "exclusive_days",
            "reviewed_by",
            "reviewed_at",
        ]
    )
    return request


@transaction.atomic
def dataset_request_decline(*, request: DatasetRequest, staff, reason: str) -> DatasetRequest:
    """Staff decline a submitted request, always saying why (the buyer reads the reason)."""
    request = _locked(request, DatasetRequest.Status.SUBMITTED)
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(_("Say why the request is declined; the buyer reads it."), "reason", ErrorCode.REASON_REQUIRED)
    request.status = DatasetRequest.Status.DECLINED
    request.decline_reason = reason[:2000]
    request.reviewed_by, request.reviewed_at = staff, timezone.now()
    request.save(update_fields=["status", "decline_reason", "reviewed_by", "reviewed_at"])
    return request


def dataset_request_line_title(request: DatasetRequest) -> str:
    edition = _("annotated") if request.annotated else _("unedited")
    return _("Made-to-order dataset “%(title)s”: %(count)d photos, %(edition)s") % {
        "title": request.title,
        "count": request.photo_count,
        "edition": edition,
    }


@transaction.atomic
def dataset_request_accept(*, request: DatasetRequest, user) -> Quotation:
    """A purchaser of the requesting organisation accepts the offer: a quotation (見積書) of one line at
    the offered price, taxed as the invoice will be, numbered with the others and stored with its PDF."""
    if not has_any_org_role(user, request.organisation_id, PURCHASING):
        raise _refuse(
            _("Only an owner or a purchaser of your organisation can accept an offer."),
            code=ErrorCode.PERMISSION_DENIED,
            status=403,
        )
    request = _locked(request, DatasetRequest.Status.OFFERED)
    (share,) = invoice_line_taxes([request.offer_price])
    lines = [
        {
            "dataset_id": None,
            "version_id": None,
            "request": str(request.uuid),
            "edition": "annotated" if request.annotated else "unedited",
            "upgrade_from_id": None,
            "title": dataset_request_line_title(request),
            "rate": share.rate_percent,
            "amount": share.amount,
            "tax": share.tax,
            "net": share.net,
        }
    ]
    now = timezone.now()
    quotation = quotation_store(organisation=request.organisation, user=user, lines=lines)
    request.status = DatasetRequest.Status.ACCEPTED
    request.quotation, request.accepted_at = quotation, now
    request.save(update_fields=["status", "quotation", "accepted_at"])
    return quotation


@transaction.atomic
def dataset_request_deliver(*, request: DatasetRequest, dataset) -> DatasetRequest:
    """Staff name the dataset frozen from an accepted request's mission: the organisation buys it, and
    the line's payment pays the mission's bonuses."""
    request = _locked(request, DatasetRequest.Status.ACCEPTED)
    if request.dataset_id is not None:
        raise _refuse(_("This request was already delivered."), code=ErrorCode.REQUEST_TRANSITION_REFUSED, status=409)
    request.dataset = dataset
    request.save(update_fields=["dataset"])
    return request


@transaction.atomic
def mission_photos_add(*, request: DatasetRequest, contributor, photo_uuids) -> int:
    """A contributor enters their own photos for an open mission; how many were new. The photos go
    through the same review as any other; only approved, consented ones count (``mission_progress``)."""
    if not request.is_mission:
        raise _refuse(_("This mission is closed."), code=ErrorCode.REQUEST_TRANSITION_REFUSED, status=409)
    photos = list(Photo.objects.filter(contributor=contributor, uuid__in=list(photo_uuids or [])))
    if not photos:
        raise _refuse(_("Choose at least one of your photos."), "photos", ErrorCode.EMPTY_SELECTION)
    existing = set(MissionPhoto.objects.filter(request=request, photo__in=photos).values_list("photo_id", flat=True))
    new = [MissionPhoto(request=request, photo=photo) for photo in photos if photo.pk not in existing]
    MissionPhoto.objects.bulk_create(new)
    return len(new)


__all__ = [
    "dataset_request_accept",
    "dataset_request_decline",
    "dataset_request_deliver",
    "dataset_request_offer",
    "dataset_request_submit",
    "mission_photos_add",
]
