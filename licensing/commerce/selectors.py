"""Reads for commerce: the cart's summary, the licence an order is placed under, payment methods."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone

from catalog.models import DatasetVersion
from licensing.commerce.models import Cart, CartLine, DatasetRequest, LicenceTerms, Order, OrderLine, Quotation
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import user_has_role
from stockdata.i18n import is_japanese
from stockdata.money import CONSUMPTION_TAX_RATE_PERCENT, LineTax, invoice_line_taxes, tax_breakdown_of


@dataclass
class CartSummaryLine:
    line: CartLine
    title: str
    price: int
    tax: int
    newer_version: DatasetVersion | None
    restricted: bool
    upgrade_from: OrderLine | None = None


# --- Editions an organisation owns -------------------------------------------------------------


def owned_lines(*, organisation_id: int | None, dataset_id: int):
    """The organisation's paid, not refunded lines of one dataset, newest version first."""
    if organisation_id is None:
        return OrderLine.objects.none()
    return (
        OrderLine.objects.filter(
            order__organisation_id=organisation_id,
            order__paid_at__isnull=False,
            dataset_id=dataset_id,
            status=OrderLine.Status.ACTIVE,
        )
        .select_related("order", "version")
        .order_by("-version__number", "edition", "id")
    )


def owned_line(*, organisation_id: int | None, version_id: int, edition: str) -> OrderLine | None:
    """The paid line through which the organisation holds ``edition`` of a version, if any.
    The annotated edition includes the unedited one, so owning it answers for both."""
    editions = ["unedited", "annotated"] if edition == "unedited" else ["annotated"]
    if organisation_id is None:
        return None
    return (
        OrderLine.objects.filter(
            order__organisation_id=organisation_id,
            order__paid_at__isnull=False,
            version_id=version_id,
            edition__in=editions,
            status=OrderLine.Status.ACTIVE,
        )
        .select_related("order")
        .order_by("-edition", "id")  # "annotated" first
        .first()
    )


def upgrade_source(*, organisation_id: int | None, version_id: int) -> OrderLine | None:
    """The unedited line an annotated edition of the same version would upgrade, if the
    organisation owns the unedited edition and not the annotated one."""
    if organisation_id is None or owned_line(
        organisation_id=organisation_id, version_id=version_id, edition="annotated"
    ):
        return None
    return owned_line(organisation_id=organisation_id, version_id=version_id, edition="unedited")


def line_price(dataset, edition: str, upgrade_from: OrderLine | None = None) -> int:
    """Tax-inclusive price of a line: the edition's price, or for an upgrade the difference
    between the annotated price and what the unedited edition cost."""
    price = dataset.price_for(edition)
    if upgrade_from is not None:
        price -= upgrade_from.price
    return price


@dataclass
class CartSummary:
    lines: list[CartSummaryLine] = field(default_factory=list)
    total: int = 0
    tax: int = 0

    @property
    def net(self) -> int:
        return self.total - self.tax

    @property
    def restricted(self) -> bool:
        return any(line.restricted for line in self.lines)


def cart_line_count(user) -> int:
    """How many dataset editions are in the user's cart (the header's badge); 0 without a cart."""
    return CartLine.objects.filter(cart__user=user).count()


def cart_summary(cart: Cart) -> CartSummary:
    """Lines with their tax-inclusive prices and each one's share of the tax, which is computed
    once on the total (in cart order, the order the invoice will list them)."""
    lines = list(cart.lines.select_related("dataset__latest_version", "version", "upgrade_from__order"))
    prices = [line_price(line.dataset, line.edition, line.upgrade_from) for line in lines]
    shares = invoice_line_taxes(prices)
    summary = CartSummary()
    for line, share in zip(lines, shares, strict=True):
        latest = line.dataset.latest_version
        newer = latest if latest is not None and latest.number > line.version.number else None
        summary.lines.append(
            CartSummaryLine(
                line=line,
                title=line.dataset.title_ja if is_japanese() else line.dataset.title_en,
                price=share.amount,
                tax=share.tax,
                newer_version=newer,
                restricted=line.dataset.restricted,
                upgrade_from=line.upgrade_from,
            )
        )
    breakdown = tax_breakdown_of(shares)
    summary.total = sum(b.total_incl_tax for b in breakdown)
    summary.tax = sum(b.tax for b in breakdown)
    return summary


def order_line_taxes(*, order_id: int) -> dict[int, LineTax]:
    """Each line's share of the tax the order's invoice states, by line id.

    The invoice lists every line of the order, in id order, at the consumption tax rate, and
    its tax is split among them with ``stockdata.money.invoice_line_taxes``; royalties share
    out the same nets, and a credit note gives back the same shares.
    """
    rows = list(OrderLine.objects.filter(order_id=order_id).order_by("id").values_list("id", "price"))
    shares = invoice_line_taxes([(int(price), CONSUMPTION_TAX_RATE_PERCENT) for _line_id, price in rows])
    return {line_id: share for (line_id, _price), share in zip(rows, shares, strict=True)}


def payment_methods_available() -> list[tuple[str, str]]:
    methods = [(Order.PaymentMethod.BANK_TRANSFER, Order.PaymentMethod.BANK_TRANSFER.label)]
    if getattr(settings, "STRIPE_SECRET_KEY", ""):
        methods.append((Order.PaymentMethod.CARD, Order.PaymentMethod.CARD.label))
    if getattr(settings, "STOCKDATA_DEMO_PAYMENTS", False):
        methods.append((Order.PaymentMethod.DEMO_CARD, Order.PaymentMethod.DEMO_CARD.label))
    return methods


def checkout_licence(cart: Cart | None = None, *, datasets=None) -> LicenceTerms:
    """The licence an order is placed under: the datasets' own licence (those in the cart, or
    *datasets*, e.g. a quotation's) when they share one, otherwise the platform's current licence."""
    ids = set()
    if datasets is not None:
        ids = {dataset.licence_id for dataset in datasets}
    elif cart is not None:
        ids = {lid for lid in cart.lines.values_list("dataset__licence_id", flat=True)}
    if len(ids) == 1 and None not in ids:
        return LicenceTerms.objects.get(pk=ids.pop())
    return default_licence()


def default_licence():
    """The licence new datasets use: the newest in force (created if a test database was emptied)."""
    terms = LicenceTerms.objects.filter(effective_from__lte=timezone.localdate()).order_by("-effective_from").first()
    if terms is not None:
        return terms
    migration = importlib.import_module("licensing.migrations.0004_default_licence")
    terms, _created = LicenceTerms.objects.get_or_create(
        code="sd-ai-training-1.0",
        defaults=dict(
            title_en="Stockdata Dataset Licence for AI Training 1.0",
            title_ja="Stockdata AI学習用データセット利用許諾 1.0",
            body_en=migration.BODY_EN,
            body_ja=migration.BODY_JA,
            effective_from=date(2026, 1, 1),
        ),
    )
    return terms


def organisation_orders(user):
    """The orders a buyer may see: those of their organisation, nobody else's."""
    if not user_has_role(user, Role.BUYER) or user.organisation_id is None:
        return Order.objects.none()
    return Order.objects.filter(organisation_id=user.organisation_id)


def organisation_quotations(user):
    """The quotations a buyer may see: those issued to their organisation."""
    if not user_has_role(user, Role.BUYER) or user.organisation_id is None:
        return Quotation.objects.none()
    return Quotation.objects.filter(organisation_id=user.organisation_id)


def order_for_buyer(user, uuid) -> Order:
    return get_object_or_404(organisation_orders(user).select_related("licence", "placed_by", "quotation"), uuid=uuid)


# --- Datasets made to order ------------------------------------------------------------------------


def even_split(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` whole numbers that add up to it, the first ones one larger:
    200 over 3 is [67, 67, 66]."""
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class MissionProgress:
    """How far a mission is: the photos that count, of how many asked for, and per requested value
    of a multi-valued attribute (age band, gender) how many are still needed."""

    needed: int
    counted: int
    counted_photo_ids: list[int] = field(default_factory=list)
    entered: int = 0
    # (attribute, value, its label, target, still needed)
    remaining_by_attribute: list[tuple[str, str, str, int, int]] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return max(0, self.needed - self.counted)

    @property
    def percent(self) -> int:
        return min(100, (self.counted * 100) // self.needed) if self.needed else 0


def _subject_matches(request, subject) -> bool:
    if request.age_bands and subject["age_band"] not in request.age_bands:
        return False
    if request.genders and subject["gender"] not in request.genders:
        return False
    if request.angles and subject["angle"] not in request.angles:
        return False
    if request.mask and subject["mask"] != (request.mask == "yes"):
        return False
    return not (request.glasses and subject["glasses"] != (request.glasses == "yes"))


def mission_progress(request) -> MissionProgress:
    """The photos entered for ``request`` that count toward it, computed from the records now: approved,
    of the lighting asked for, with at least one person who fits the request, and every person's
    release granting every required scope (so a photo stops counting the moment a person in it
    withdraws). A fixed number of queries, whatever the number of photos."""
    from catalog.models import Photo, PhotoSubject
    from licensing.commerce.models import MissionPhoto
    from licensing.consent.selectors import photos_consent_scopes

    entered = list(MissionPhoto.objects.filter(request=request).values_list("photo_id", flat=True))
    approved = dict(Photo.objects.filter(pk__in=entered, status=Photo.Status.APPROVED).values_list("pk", "lighting"))
    subjects: dict[int, list[dict]] = {}
    for row in PhotoSubject.objects.filter(photo_id__in=approved).values(
        "photo_id", "age_band", "gender", "angle", "mask", "glasses"
    ):
        subjects.setdefault(row["photo_id"], []).append(row)
    scopes = photos_consent_scopes(approved)
    required = frozenset(request.required_scopes)
    counted, fitting = [], {}
    for photo_id, lighting in approved.items():
        people = subjects.get(photo_id, [])
        matching = [s for s in people if _subject_matches(request, s)]
        if not matching or not required <= scopes.get(photo_id, frozenset()):
            continue
        if request.lighting and lighting not in request.lighting:
            continue
        counted.append(photo_id)
        fitting[photo_id] = matching
    progress = MissionProgress(
        needed=request.photo_count, counted=len(counted), counted_photo_ids=sorted(counted), entered=len(entered)
    )
    for attribute, values, labels in (
        ("age_band", request.age_bands, request.age_band_labels),
        ("gender", request.genders, request.gender_labels),
    ):
        if len(values) < 2:
            continue
        targets = even_split(request.photo_count, len(values))
        for value, label, target in zip(values, labels, targets, strict=True):
            have = sum(1 for pid in counted if any(s[attribute] == value for s in fitting[pid]))
            progress.remaining_by_attribute.append((attribute, value, label, target, max(0, target - have)))
    return progress


def organisation_dataset_requests(user):
    """The dataset requests of ``user``'s organisation (none for anyone but a member)."""
    if not user_has_role(user, Role.BUYER) or user.organisation_id is None:
        return DatasetRequest.objects.none()
    return DatasetRequest.objects.filter(organisation_id=user.organisation_id)


def open_missions():
    """The missions contributors may work on: requests offered or accepted, deadline not passed."""
    return DatasetRequest.objects.filter(
        status__in=[DatasetRequest.Status.OFFERED, DatasetRequest.Status.ACCEPTED],
        deadline__gte=timezone.localdate(),
    ).select_related("organisation")


# --- Staff queues ---------------------------------------------------------------------------
# The staff home counts these and the staff order page lists them: one definition for both.


def orders_awaiting_approval():
    """Orders for restricted datasets that wait for a staff decision, oldest first."""
    return Order.objects.filter(status=Order.Status.AWAITING_APPROVAL).order_by("placed_at", "id")


def bank_transfers_to_match():
    """Orders to be paid by bank transfer whose money has not been matched yet, oldest first."""
    return Order.objects.filter(
        status=Order.Status.AWAITING_PAYMENT, payment_method=Order.PaymentMethod.BANK_TRANSFER
    ).order_by("placed_at", "id")
