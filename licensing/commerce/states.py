"""Order states: the moves an order may make, written once.

As in django-oscar's order status pipeline, one table maps each status to the statuses it
may move to. :func:`order_transition` is the only code that changes ``Order.status``: it
refuses any move the table does not list (:class:`OrderTransitionRefused`) and records each
move as an :class:`~licensing.commerce.models.OrderEvent`. The services ask
:func:`transition_allowed` before they act, so their friendly refusals follow the same table.

::

    (placed) ──► awaiting_approval ──► awaiting_payment ──► paid ──► refunded
        │                  │
        └──────────────────┼──────────► awaiting_payment
                           └──► declined

A restricted dataset makes a new order wait for staff approval; otherwise it can be paid at
once. An order is refunded when its last paid line is; declined and refunded are final.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from licensing.commerce.models import Order, OrderEvent
from stockdata.errors import Conflict, ErrorCode

Status = Order.Status

#: The state an order is in before it exists; an order is placed by moving out of it.
NEW = ""

#: status -> the statuses it may move to. Every status appears, final ones with no moves.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({Status.AWAITING_APPROVAL, Status.AWAITING_PAYMENT}),
    Status.AWAITING_APPROVAL: frozenset({Status.AWAITING_PAYMENT, Status.DECLINED}),
    Status.AWAITING_PAYMENT: frozenset({Status.PAID}),
    Status.PAID: frozenset({Status.REFUNDED}),
    Status.DECLINED: frozenset(),
    Status.REFUNDED: frozenset(),
}


class OrderTransitionRefused(Conflict):
    """A move the table does not allow (a programming error or a race another request won)."""


def transition_allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def _label(status: str) -> str:
    return _("(new)") if status == NEW else str(Status(status).label)


def order_transition(order: Order, to: str, *, by=None, note: str = "", fields: tuple[str, ...] = ()) -> OrderEvent:
    """Move ``order`` to ``to`` if the table allows it: save its status (and ``fields``), record the event.

    A new order (not saved yet) is created with its first status. Call it under the order's
    row lock (``select_for_update``), inside the transaction of the change.
    """
    from_status = NEW if order.pk is None else order.status
    if not transition_allowed(from_status, to):
        raise OrderTransitionRefused(
            _("Order %(number)s cannot go from “%(from)s” to “%(to)s”.")
            % {"number": order.number or "-", "from": _label(from_status), "to": _label(to)},
            code=ErrorCode.ORDER_TRANSITION_REFUSED,
        )
    order.status = to
    if from_status == NEW:
        order.save(force_insert=True)
    else:
        order.save(update_fields=["status", *fields])
    return OrderEvent.objects.create(order=order, from_status=from_status, to_status=to, by=by, note=note[:500])
