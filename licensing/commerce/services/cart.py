"""The buyer's cart: who may buy, adding and removing editions."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Dataset, Edition
from licensing.commerce.models import Cart, CartLine
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import user_has_role
from stockdata.errors import ApplicationError


def buyer_check(user) -> None:
    """Only a buyer account with an organisation can buy: contributors and staff cannot."""
    if not user_has_role(user, Role.BUYER):
        raise ApplicationError(
            _("Only buyer accounts can buy datasets. Sign in with (or create) a buyer account for your organisation."),
            code="not_a_buyer",
            status=403,
        )
    if getattr(user, "organisation_id", None) is None:
        raise ApplicationError(
            _("Your account has no organisation. Add your organisation's details before buying."),
            code="no_organisation",
            status=403,
        )


def cart_for(user) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user)
    return cart


@transaction.atomic
def cart_add(*, user, dataset: Dataset, edition: str) -> CartLine:
    """Add an edition of a published dataset at its current version; the annotated edition
    only exists when that version is annotated. Adding it again keeps one line."""
    buyer_check(user)
    if edition not in Edition.values:
        raise ApplicationError(_("Choose an edition."), code="edition_invalid", field="edition")
    version = dataset.latest_version
    if dataset.status != Dataset.Status.PUBLISHED or version is None:
        raise ApplicationError(_("This dataset is not on sale."), code="not_on_sale")
    if edition == Edition.ANNOTATED and not version.annotated:
        raise ApplicationError(
            _("This version has no annotated edition; choose the unedited edition."),
            code="edition_unavailable",
            field="edition",
        )
    cart = cart_for(user)
    line, _created = CartLine.objects.get_or_create(
        cart=cart, dataset=dataset, edition=edition, defaults={"version": version}
    )
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def cart_remove(*, user, line_id: int) -> None:
    CartLine.objects.filter(cart__user=user, pk=line_id).delete()


@transaction.atomic
def cart_line_update_version(*, user, line_id: int) -> CartLine:
    """Move a cart line to the dataset's newest version (the buyer chose to)."""
    line = CartLine.objects.select_related("dataset__latest_version").get(cart__user=user, pk=line_id)
    latest = line.dataset.latest_version
    if latest is None:
        raise ApplicationError(_("This dataset is not on sale."), code="not_on_sale")
    if line.edition == Edition.ANNOTATED and not latest.annotated:
        raise ApplicationError(_("The newest version has no annotated edition."), code="edition_unavailable")
    line.version = latest
    line.save(update_fields=["version"])
    return line
