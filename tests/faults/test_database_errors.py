"""The database is unreachable or busy: pages answer with the friendly 500 page, never a
traceback; a Stripe webhook delivered during the outage is not lost (Stripe redelivers on a
500) and, redelivered or delivered twice at once, pays the order exactly once.

Runs on SQLite and PostgreSQL: the outage is the connection settings pointing at nothing
(a closed port, a database file that cannot exist), so every connection attempt fails.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import free_port
from licensing.commerce.tests.test_payments import SECRET, card_order, post_webhook, session_event, signed
from licensing.models import Bundle, Invoice, Order, Payment, WebhookEvent
from stockdata.accounts.tokens import api_token_issue

FRIENDLY = "Something went wrong on our side"
REASSURANCE = "Nothing you sent was lost. Our team has been told; please try again in a few minutes."


@pytest.fixture(autouse=True)
def _stripe_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@contextmanager
def database_unreachable():
    """Every new connection of this process fails until the block ends."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/stockdata-faults/db.sqlite3"
    else:
        connection.settings_dict["PORT"] = free_port()  # nothing listens there
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def assert_friendly_500(response) -> None:
    body = response.content.decode()
    assert response.status_code == 500
    assert FRIENDLY in body and REASSURANCE in body
    for leak in ("Traceback", "OperationalError", "Exception", 'File "/'):
        assert leak not in body, f"the 500 page leaks {leak!r}"


@pytest.mark.django_db(transaction=True)
def test_when_the_database_is_unreachable_pages_answer_with_the_friendly_500_page_and_the_api_in_json():
    order = card_order()
    buyer = order.placed_by
    web = Client(raise_request_exception=False)
    web.force_login(buyer)
    token = api_token_issue(user=buyer)[1]
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")

    with database_unreachable():
        responses = [
            web.get("/"),
            web.get(reverse("licensing:order_detail", args=[order.uuid])),
        ]
        api_response = api.get("/api/v1/me/")
    for response in responses:
        assert_friendly_500(response)
    # The API answers in its own error format, with no detail of what failed.
    assert api_response.status_code == 500
    assert api_response.json() == {
        "error": {"code": "server_error", "message": "Something went wrong on our side; try again later."}
    }

    # And when it is back, the same requests work again: nothing was left broken.
    assert web.get(reverse("licensing:order_detail", args=[order.uuid])).status_code == 200
    assert api.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_webhook_delivered_during_an_outage_gets_a_500_and_its_redelivery_pays_once():
    order = card_order()
    body, header = signed(session_event(order, event_id="evt_outage"))
    stripe = Client(raise_request_exception=False)

    with database_unreachable():
        during = post_webhook(stripe, body, header)
    assert during.status_code == 500  # Stripe redelivers an event until it gets a 2xx
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert WebhookEvent.objects.count() == 0 and Payment.objects.count() == 0

    redelivered = post_webhook(stripe, body, header)
    again = post_webhook(stripe, body, header)
    assert (redelivered.status_code, redelivered.content) == (200, b"paid")
    assert (again.status_code, again.content) == (200, b"duplicate")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.filter(order=order).count() == 1
    assert Invoice.objects.filter(order=order).count() == 1
    assert WebhookEvent.objects.filter(event_id="evt_outage").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_delivered_twice_at_the_same_moment_pays_once():
    order = card_order()
    body, header = signed(session_event(order, event_id="evt_twice"))
    start = threading.Barrier(2)
    outcomes: list[tuple[int, bytes]] = []

    def deliver():
        try:
            start.wait(10)
            response = post_webhook(Client(raise_request_exception=False), body, header)
            outcomes.append((response.status_code, response.content))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == [(200, b"duplicate"), (200, b"paid")]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.filter(order=order).count() == 1
    assert Invoice.objects.filter(order=order).count() == 1
    assert WebhookEvent.objects.filter(event_id="evt_twice").count() == 1
    assert Bundle.objects.filter(order_line__order=order).count() == order.lines.count() == 2
