"""The buyer's cart: who may buy, adding and removing editions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Dataset, Edition
from licensing.commerce.models import Cart, CartLine, OrderLine
from licensing.commerce.selectors import line_price, owned_line, upgrade_source
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import PURCHASING, has_any_org_role, user_has_role
from stockdata.errors import ApplicationError, ErrorCode


def buyer_check(user) -> None:
    """Only a buyer account with an organisation, as its owner or a purchaser, can buy: contributors,
    staff and the organisation's other members cannot."""
    if not user_has_role(user, Role.BUYER):
        raise ApplicationError(
            _("Only buyer accounts can buy datasets. Sign in with (or create) a buyer account for your organisation."),
            code=ErrorCode.NOT_A_BUYER,
            status=403,
        )
    if getattr(user, "organisation_id", None) is None:
        raise ApplicationError(
            _("Your account has no organisation. Add your organisation's details before buying."),
            code=ErrorCode.NO_ORGANISATION,
            status=403,
        )
    if not has_any_org_role(user, user.organisation_id, PURCHASING):
        raise ApplicationError(
            _("Your role in your organisation does not include buying. Ask an owner of your organisation."),
            code=ErrorCode.PERMISSION_DENIED,
            status=403,
        )


def cart_for(user) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user)
    return cart


def edition_ownership_check(*, organisation_id, dataset: Dataset, version, edition: str) -> OrderLine | None:
    """Refuse an edition the organisation already holds; return the unedited line an annotated
    edition upgrades (or None for a plain purchase)."""
    owned = owned_line(organisation_id=organisation_id, version_id=version.pk, edition=edition)
    if owned is not None:
        if owned.edition == edition:
            message = _("Your organisation already owns this edition of version %(number)s (order %(order)s).")
        else:
            message = _(
                "Your organisation owns the annotated edition of version %(number)s (order %(order)s), "
                "which includes the unedited one."
            )
        raise ApplicationError(
            message % {"number": version.number, "order": owned.order.number},
            code=ErrorCode.EDITION_OWNED,
            field="edition",
        )
    if edition != Edition.ANNOTATED:
        return None
    source = upgrade_source(organisation_id=organisation_id, version_id=version.pk)
    if source is not None and line_price(dataset, edition, source) <= 0:
        raise ApplicationError(
            _("Your unedited edition cost as much as the annotated one; contact us for the upgrade."),
            code=ErrorCode.EDITION_UPGRADE_UNPRICED,
            field="edition",
        )
    return source


@dataclass(frozen=True)
class CartAdded:
    line: CartLine
    #: Why the cart holds something other than what was asked for, to tell the buyer.
    note: str = ""


@transaction.atomic
def cart_add(*, user, dataset: Dataset, edition: str) -> CartAdded:
    """Add an edition of a published dataset at its current version; the annotated edition
    only exists when that version is annotated. Adding it again keeps one line.

    The annotated edition includes the unedited one: the cart never holds both for a dataset
    (it keeps the annotated one and says why); an edition the organisation owns is refused;
    the annotated edition of a version whose unedited edition it owns is an upgrade, priced
    at the difference."""
    buyer_check(user)
    if edition not in Edition.values:
        raise ApplicationError(_("Choose an edition."), code=ErrorCode.EDITION_INVALID, field="edition")
    version = dataset.latest_version
    if dataset.status != Dataset.Status.PUBLISHED or version is None:
        raise ApplicationError(_("This dataset is not on sale."), code=ErrorCode.NOT_ON_SALE)
    if edition == Edition.ANNOTATED and not version.annotated:
        raise ApplicationError(
            _("This version has no annotated edition; choose the unedited edition."),
            code=ErrorCode.EDITION_UNAVAILABLE,
            field="edition",
        )
    upgrade_from = edition_ownership_check(
        organisation_id=user.organisation_id, dataset=dataset, version=version, edition=edition
    )
    cart = cart_for(user)
    other = cart.lines.filter(dataset=dataset).exclude(edition=edition).first()
    note = ""
    if other is not None and edition == Edition.UNEDITED:
        cart.save(update_fields=["updated_at"])
        return CartAdded(
            line=other,
            note=_("Your cart keeps the annotated edition: it includes the unedited one."),
        )
    if other is not None:
        other.delete()
        note = _("The annotated edition includes the unedited one, so it replaced the unedited edition in your cart.")
    line, created = CartLine.objects.get_or_create(
        cart=cart, dataset=dataset, edition=edition, defaults={"version": version, "upgrade_from": upgrade_from}
    )
    if not created and line.upgrade_from_id != (upgrade_from.pk if upgrade_from else None):
        line.upgrade_from = upgrade_from
        line.save(update_fields=["upgrade_from"])
    if upgrade_from is not None:
        note = _(
            "You own the unedited edition of this version: the annotated edition is an upgrade for the difference."
        )
    cart.save(update_fields=["updated_at"])
    return CartAdded(line=line, note=note)


@transaction.atomic
def cart_remove(*, user, line_id: int) -> None:
    CartLine.objects.filter(cart__user=user, pk=line_id).delete()


@transaction.atomic
def cart_line_update_version(*, user, line_id: int) -> CartLine:
    """Move a cart line to the dataset's newest version (the buyer chose to)."""
    line = CartLine.objects.select_related("dataset__latest_version").get(cart__user=user, pk=line_id)
    latest = line.dataset.latest_version
    if latest is None:
        raise ApplicationError(_("This dataset is not on sale."), code=ErrorCode.NOT_ON_SALE)
    if line.edition == Edition.ANNOTATED and not latest.annotated:
        raise ApplicationError(_("The newest version has no annotated edition."), code=ErrorCode.EDITION_UNAVAILABLE)
    line.upgrade_from = edition_ownership_check(
        organisation_id=user.organisation_id, dataset=line.dataset, version=latest, edition=line.edition
    )
    line.version = latest
    line.save(update_fields=["version", "upgrade_from"])
    return line
