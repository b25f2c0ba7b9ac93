"""Double checkout, for real: two connections submit the same cart and key at the same moment.

Each submit is a request in its own thread, so Django gives it its own PostgreSQL connection.
A third connection holds the row lock both submits need next (the order-number counter, then
the order row), and lets go only once PostgreSQL shows both waiting on it. So both have passed
the "already placed?" look-up and really race: the loser's INSERT hits the unique
(buyer, key) constraint and the ``IntegrityError`` branch of ``order_place`` answers it.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Edition
from catalog.tests.factories import DatasetFactory
from conftest import requires
from licensing.commerce import services as commerce_services
from licensing.commerce.tests.test_orders import checkout_post
from licensing.models import Invoice, NumberSequence, Order, Payment
from stockdata.accounts.tests.factories import BuyerFactory

pytestmark = [requires("postgresql"), pytest.mark.django_db(transaction=True)]


def own_connection() -> psycopg.Connection:
    """A connection outside Django's, to the same test database."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s.get("HOST") or "127.0.0.1",
        port=int(s.get("PORT") or 5432),
        user=s.get("USER") or "postgres",
        password=s.get("PASSWORD") or None,
        dbname=s["NAME"],
    )


def backends_waiting_for_a_lock(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return row[0]


def race(lock_sql: str, lock_args: tuple, submit, n: int = 2) -> list:
    """Run ``submit()`` in ``n`` threads while another connection holds ``lock_sql``'s row lock;
    release it once all ``n`` are blocked on it. Returns what each submit returned (or raised)."""
    results: list = [None] * n
    holder, watcher = own_connection(), own_connection()
    watcher.autocommit = True
    try:
        holder.execute(lock_sql, lock_args)  # opens a transaction and keeps the row locked

        def run(index: int) -> None:
            try:
                results[index] = submit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertions
                results[index] = exc
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while backends_waiting_for_a_lock(watcher) < n:
            assert time.monotonic() < deadline, f"the {n} submits never both waited on the lock: {results}"
            assert all(t.is_alive() for t in threads), f"a submit finished before the race: {results}"
            time.sleep(0.02)
        holder.commit()  # both go now
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive()
    finally:
        holder.close()
        watcher.close()
    return results


def test_double_checkout_race_on_two_connections_makes_one_order_and_one_charge():
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=2), edition=Edition.UNEDITED)
    year = timezone.localdate().year
    NumberSequence.objects.get_or_create(kind="order", year=year)  # the row the race waits on
    data = checkout_post(buyer, "one-click-twice", payment_method=Order.PaymentMethod.DEMO_CARD)

    def submit_checkout():
        client = Client()
        client.force_login(buyer)
        return client.post(reverse("licensing:checkout"), data)

    responses = race(
        "SELECT last FROM licensing_numbersequence WHERE kind = 'order' AND year = %s FOR UPDATE",
        (year,),
        submit_checkout,
    )
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    assert responses[0]["Location"] == responses[1]["Location"]
    order = Order.objects.get()
    assert order.idempotency_key == "one-click-twice"
    # The loser's counter increment was rolled back with its INSERT: numbers stay gapless.
    assert NumberSequence.objects.get(kind="order", year=year).last == 1
    assert order.number.endswith("-000001")

    # The buyer then pays twice at once: one payment, one invoice.
    pay_url = reverse("licensing:order_pay_demo", args=[order.uuid])

    def submit_payment():
        client = Client()
        client.force_login(buyer)
        return client.post(pay_url, {"card_number": "4242 4242 4242 4242"})

    responses = race(f"SELECT id FROM {Order._meta.db_table} WHERE id = %s FOR UPDATE", (order.pk,), submit_payment)
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.filter(order=order).count() == 1
    assert Payment.objects.get(order=order).amount == order.total
    assert Invoice.objects.filter(order=order, kind=Invoice.Kind.INVOICE).count() == 1
