"""The order state machine: every allowed move is made, every other one refused."""

from __future__ import annotations

import ast
import itertools
import uuid
from pathlib import Path

import pytest
from django.db.models import F

from catalog.tests.factories import DatasetFactory, DatasetVersionFactory
from licensing.commerce import services as commerce_services
from licensing.commerce.states import NEW, TRANSITIONS, OrderTransitionRefused, order_transition, transition_allowed
from licensing.models import Order, OrderEvent
from stockdata.accounts.tests.factories import BuyerFactory, StaffFactory

from .test_orders import buy

S = Order.Status
ROOT = Path(__file__).resolve().parents[3]

#: The moves, spelled out here a second time on purpose: changing the table must be deliberate.
ALLOWED = {
    (NEW, S.AWAITING_APPROVAL),
    (NEW, S.AWAITING_PAYMENT),
    (S.AWAITING_APPROVAL, S.AWAITING_PAYMENT),
    (S.AWAITING_APPROVAL, S.DECLINED),
    (S.AWAITING_PAYMENT, S.PAID),
    (S.PAID, S.REFUNDED),
}
PAIRS = list(itertools.product([NEW, *S.values], S.values))


def test_the_table_is_the_declared_one_and_names_every_status():
    assert {(a, b) for a, moves in TRANSITIONS.items() for b in moves} == ALLOWED
    assert set(TRANSITIONS) == {NEW, *S.values}


def test_every_status_is_reachable_from_a_new_order():
    reached, frontier = set(), {NEW}
    while frontier:
        reached |= frontier
        frontier = {b for a in frontier for b in TRANSITIONS[a]} - reached
    assert reached == {NEW, *S.values}


@pytest.fixture
def placed(db):
    version = DatasetVersionFactory(dataset=DatasetFactory(status="published"))
    return buy(BuyerFactory(), version.dataset)


def order_in(placed: Order, status: str) -> Order:
    """``placed`` arranged in ``status`` (straight in the table: this sets up the case under test)."""
    if status == NEW:
        order = Order.objects.get(pk=placed.pk)
        order.pk = order.id = None
        order._state.adding = True
        order.uuid, order.number, order.idempotency_key = uuid.uuid4(), "SD-NEW-1", uuid.uuid4().hex
        return order
    Order.objects.filter(pk=placed.pk).update(status=status)
    return Order.objects.get(pk=placed.pk)


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS, ids=[f"{a or 'new'}->{b}" for a, b in PAIRS])
def test_order_transition_walks_every_pair(placed, from_status, to_status):
    order = order_in(placed, from_status)
    staff = StaffFactory()
    events_before = OrderEvent.objects.count()
    assert transition_allowed(from_status, to_status) is ((from_status, to_status) in ALLOWED)
    if (from_status, to_status) in ALLOWED:
        event = order_transition(order, to_status, by=staff, note="why")
        order.refresh_from_db()
        assert order.status == to_status
        assert (event.order_id, event.from_status, event.to_status, event.by, event.note) == (
            order.pk,
            from_status,
            to_status,
            staff,
            "why",
        )
        assert OrderEvent.objects.count() == events_before + 1
    else:
        with pytest.raises(OrderTransitionRefused) as refused:
            order_transition(order, to_status, by=staff)
        label = {NEW: "(new)"} | dict(S.choices)
        assert refused.value.message == (
            f"Order {order.number} cannot go from “{label[from_status]}” to “{label[to_status]}”."
        )
        assert (refused.value.code, refused.value.status) == ("order_transition_refused", 409)
        assert OrderEvent.objects.count() == events_before
        if from_status == NEW:
            assert not Order.objects.filter(number="SD-NEW-1").exists()
        else:
            assert Order.objects.get(pk=order.pk).status == from_status


def test_the_services_move_an_order_only_along_the_table(db):
    """A restricted order, approved, paid and refunded: each event is a move the table allows."""
    restricted = DatasetVersionFactory(dataset=DatasetFactory(status="published", restricted=True))
    order = buy(BuyerFactory(), restricted.dataset)
    staff = StaffFactory()
    commerce_services.order_approve(order=order, by=staff)
    commerce_services.order_mark_paid(order=order, provider="bank_transfer", amount=order.total, by=staff)
    commerce_services.order_line_refund(line=order.lines.get(), by=staff)
    moves = list(order.events.exclude(from_status=F("to_status")).values_list("from_status", "to_status"))
    assert moves == [
        (NEW, S.AWAITING_APPROVAL),
        (S.AWAITING_APPROVAL, S.AWAITING_PAYMENT),
        (S.AWAITING_PAYMENT, S.PAID),
        (S.PAID, S.REFUNDED),
    ]


# --- Nothing else changes an order's status ----------------------------------------------------------


def order_status_writes(source: str) -> list[int]:
    """Lines of ``source`` that set an order's status other than through ``order_transition``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "status"
                and "order" in ast.unparse(target.value).lower()
                and "line" not in ast.unparse(target.value).lower()
            ):
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and any(k.arg == "status" for k in node.keywords)
            and "Order.objects" in ast.unparse(node.func.value)
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_order_status_writes_finds_a_direct_change():
    assert order_status_writes("order.status = 'paid'") == [1]
    assert order_status_writes("x = 1\nself.order.status = Order.Status.PAID") == [2]
    assert order_status_writes("Order.objects.filter(pk=1).update(status='paid')") == [1]
    assert order_status_writes("line.status = 'refunded'\nbundle.status = 'ready'") == []


def test_only_the_state_machine_changes_an_order_status():
    offenders = {}
    checked = 0
    for folder in ("catalog", "licensing", "contributors", "stockdata"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts) or relative == Path("licensing/commerce/states.py"):
                continue
            checked += 1
            if lines := order_status_writes(path.read_text()):
                offenders[str(relative)] = lines
    assert checked > 100
    assert offenders == {}
