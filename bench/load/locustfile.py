"""Locust users for ``bench/load/run.py``: buyers browsing, searching and buying, and anonymous visitors.

Run by ``run.py`` in its own process (locust uses gevent), never imported by the site or the tests::

    BENCH_LOAD_PLAN=plan.json BENCH_LOAD_OUT=requests.jsonl \\
        locust -f bench/load/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:PORT

``plan.json`` (written by run.py) names the datasets on sale, the search terms and the
session cookies of the buyers run.py logged in through the real login form.  Every response
is checked for its status and a marker of the page it should be, so an error page, a form
re-rendered with errors or a redirect to the wrong place counts as a failure.  Every request
(name, milliseconds, ok) is appended to ``BENCH_LOAD_OUT`` for run.py's exact percentiles.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import gevent
from gevent import GreenletExit
from locust import HttpUser, between, events, task
from locust.clients import HttpSession
from locust.exception import StopUser

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text(encoding="utf-8"))
OUT_PATH = os.environ.get("BENCH_LOAD_OUT", "")
# Think time between two actions of one user, in seconds (a person reading a page).
WAIT_MIN = float(os.environ.get("BENCH_LOAD_WAIT_MIN", "1"))
WAIT_MAX = float(os.environ.get("BENCH_LOAD_WAIT_MAX", "3"))
DEMO_CARD = "4242 4242 4242 4242"
# A request with no answer within this many seconds fails (counted as a timeout): a hang shows.
CLIENT_TIMEOUT = float(os.environ.get("BENCH_LOAD_TIMEOUT", "10"))
# Open loop (the OpenLoop user): requests started per second whatever the answers take.
OPEN_RATE = float(os.environ.get("BENCH_LOAD_RATE", "10"))

_records: list[tuple[str, str, float, float, bool, str]] = []
_sessions = list(PLAN["sessions"])

# Requests in flight: those still unanswered when the run stops are counted, not lost.
_in_flight: dict[int, float] = {}
_dropped: list[float] = []
_original_request = HttpSession.request


def _counted_request(self, *args, **kwargs):
    key = id(gevent.getcurrent())
    _in_flight[key] = time.monotonic()
    try:
        return _original_request(self, *args, **kwargs)
    except GreenletExit:  # the run stopped while this request waited for its answer
        _dropped.append(time.monotonic() - _in_flight[key])
        raise
    finally:
        _in_flight.pop(key, None)


HttpSession.request = _counted_request


def _is_timeout(exception) -> bool:
    text = f"{type(exception).__name__}: {exception}"
    return "Timeout" in type(exception).__name__ or "timed out" in text


@events.init.add_listener
def _only_localhost(environment, **_kwargs):
    host = urllib.parse.urlsplit(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"bench/load only targets 127.0.0.1, not {environment.host!r}")


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **_kwargs):
    error = "" if exception is None else ("timeout" if _is_timeout(exception) else "error")
    _records.append((request_type, name, time.time(), response_time, exception is None, error))


@events.quitting.add_listener
def _write(environment, **_kwargs):
    if OUT_PATH:
        now = time.monotonic()
        unanswered = _dropped + [now - started for started in _in_flight.values()]
        with open(OUT_PATH, "w", encoding="utf-8") as out:
            out.writelines(
                json.dumps([kind, name, round(at, 3), round(ms, 2), ok, error]) + "\n"
                for kind, name, at, ms, ok, error in _records
            )
            # One line per request still waiting for its answer when the run stopped (its age, ms).
            out.writelines(
                json.dumps(["IN_FLIGHT", "dropped", round(time.time(), 3), round(age * 1000, 2), False, "in_flight"])
                + "\n"
                for age in unanswered
            )


class FormParser(HTMLParser):
    """The fields of the first ``<form>`` whose attributes match, as a browser would submit them."""

    def __init__(self, match: dict[str, str]):
        super().__init__(convert_charrefs=True)
        self.match = match
        self.inside = False
        self.done = False
        self.found = False
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and all(a.get(k) == v for k, v in self.match.items()):
            self.inside = self.found = True
            return
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind == "radio":
                self.radios.setdefault(a["name"], []).append(a.get("value") or "")
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value") or ""
            elif kind == "checkbox":
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value") or "on"
            elif kind not in ("submit", "button", "file"):
                self.fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside = False
            self.done = True


def form_fields(html: str, **match: str) -> FormParser:
    parser = FormParser(match)
    parser.feed(html)
    return parser


def edition_choices(html: str) -> list[str]:
    """The edition radios of a dataset page (they sit outside the form, tied to it by ``form=``)."""
    return re.findall(r'<input type="radio" name="edition" value="([a-z_]+)" form="add-to-cart-form"', html)


def _markers(marker: str | tuple[str, ...]) -> tuple[str, ...]:
    return (marker,) if isinstance(marker, str) else marker


class Checked:
    """One request whose status and page marker are checked; a failure is recorded with its reason."""

    def __init__(
        self,
        user: HttpUser,
        method: str,
        path: str,
        *,
        name: str,
        status: int = 200,
        marker: str | tuple[str, ...] | None = None,
        location: str | None = None,
        **kwargs,
    ):
        self.ok = False
        self.text = ""
        self.location = ""
        kwargs.setdefault("allow_redirects", False)
        with user.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            self.text = response.text or ""
            self.location = response.headers.get("Location", "")
            if response.status_code != status:
                response.failure(f"status {response.status_code}, expected {status}")
            elif marker is not None and not any(m in self.text for m in _markers(marker)):
                response.failure(f"marker {marker!r} missing")
            elif location is not None and not re.search(location, self.location):
                response.failure(f"redirected to {self.location!r}, expected {location}")
            else:
                response.success()
                self.ok = True


class Visitor(HttpUser):
    """Someone not logged in: the catalogue, searches and dataset pages (cached whole for them)."""

    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    connection_timeout = CLIENT_TIMEOUT
    network_timeout = CLIENT_TIMEOUT

    def page_list(self):
        page = random.choice(["", "", "", "?page=2", "?sort=newest", "?category=faces"])
        Checked(self, "GET", "/datasets/" + page, name="list", marker='data-testid="result-count"')

    def page_search(self):
        term = random.choice(PLAN["search_terms"])
        Checked(
            self, "GET", "/datasets/?q=" + urllib.parse.quote(term), name="search", marker='data-testid="result-count"'
        )

    def page_detail(self, slug: str | None = None) -> Checked:
        slug = slug or random.choice(PLAN["all_slugs"])
        return Checked(self, "GET", f"/datasets/{slug}/", name="detail", marker='data-testid="buy-panel"')


class Bare(HttpUser):
    """The reference: a constant page through the same middleware, with the same think time."""

    wait_time = between(WAIT_MIN, WAIT_MAX)
    connection_timeout = CLIENT_TIMEOUT
    network_timeout = CLIENT_TIMEOUT

    @task
    def bare(self):
        Checked(self, "GET", "/bench/bare/", name="bare", marker='data-testid="bare"')


class Anonymous(Visitor):
    weight = 1

    @task(5)
    def browse(self):
        self.page_list()

    @task(3)
    def search(self):
        self.page_search()

    @task(5)
    def detail(self):
        self.page_detail()


class Buyer(Visitor):
    """A buyer logged in (by run.py, through the login form): browses, searches, buys with the demo card."""

    weight = 4

    def on_start(self):
        if not _sessions:
            raise StopUser()
        session = _sessions.pop()
        self.email = session["email"]
        for name, value in session["cookies"].items():
            self.client.cookies.set(name, value, domain="127.0.0.1", path="/")
        self.orders: list[str] = []
        # What this buyer's organisation owns or has in the cart: the shop refuses to sell an
        # edition twice (and the annotated edition includes the unedited one).
        self.owned: set[tuple[str, str]] = set()
        self.in_cart: set[tuple[str, str]] = set()

    @task(5)
    def browse(self):
        self.page_list()

    @task(3)
    def search(self):
        self.page_search()

    @task(5)
    def detail(self):
        self.page_detail()

    @task(2)
    def view_cart(self):
        Checked(self, "GET", "/cart/", name="cart", marker="<h1>Cart</h1>")

    @task(1)
    def view_orders(self):
        page = Checked(self, "GET", "/orders/", name="orders", marker="<h1>Orders</h1>")
        if self.orders and page.ok:
            self.view_order(random.choice(self.orders))

    def view_order(self, uuid: str, *statuses: str) -> Checked:
        marker = tuple(f'data-status="{s}"' for s in statuses) or 'data-testid="order-status"'
        return Checked(self, "GET", f"/orders/{uuid}/", name="order", marker=marker)

    def add_to_cart(self) -> bool:
        slug = random.choice(PLAN["buy_slugs"])
        page = self.page_detail(slug)
        if not page.ok:
            return False
        form = form_fields(page.text, id="add-to-cart-form")
        editions = [e for e in edition_choices(page.text) if not self.owns(slug, e)]
        if not form.found or not editions:
            return False
        edition = random.choice(editions)
        data = {**form.fields, "edition": edition}
        added = Checked(
            self,
            "POST",
            "/cart/add/",
            name="cart add",
            status=302,
            data=data,
            location=rf"^/datasets/{re.escape(slug)}/#buy$",
            headers={"Referer": self.host + f"/datasets/{slug}/"},
        )
        if not added.ok:
            return False
        self.in_cart.add((slug, edition))
        return Checked(self, "GET", f"/datasets/{slug}/", name="detail (added)", marker="Added to your cart.").ok

    def owns(self, slug: str, edition: str) -> bool:
        return (slug, edition) in self.owned or (slug, "annotated") in self.owned

    @task(2)
    def add_only(self):
        """Add an edition and look at the cart (it is bought with the next checkout)."""
        if self.add_to_cart():
            Checked(self, "GET", "/cart/", name="cart", marker='data-testid="cart-line"')

    @task(2)
    def buy(self):
        """The whole purchase: add, cart, checkout form, place the order, pay with the demo card, the order."""
        if not self.add_to_cart():
            return
        cart = Checked(self, "GET", "/cart/", name="cart", marker='data-testid="checkout"')
        if not cart.ok:
            return
        page = Checked(self, "GET", "/checkout/", name="checkout", marker='data-testid="checkout-form"')
        if not page.ok:
            return
        form = form_fields(page.text, method="post", **{"data-testid": "checkout-form"})
        if "demo_card" not in form.radios.get("payment_method", []):
            page_failure("checkout", "the demo card is not offered")
            return
        data = {
            **form.fields,
            "intended_use": "product_development",
            "intended_use_detail": "Load test: training a face detector.",
            "payment_method": "demo_card",
            "accept_licence": "on",
        }
        placed = Checked(
            self,
            "POST",
            "/checkout/",
            name="checkout place",
            status=302,
            data=data,
            location=r"^/orders/[0-9a-f-]{36}/pay/demo/$",
            headers={"Referer": self.host + "/checkout/"},
        )
        if not placed.ok:
            return
        uuid = placed.location.split("/")[2]
        pay_page = Checked(self, "GET", placed.location, name="pay demo", marker='data-testid="demo-card-form"')
        if not pay_page.ok:
            return
        card = form_fields(pay_page.text, method="post", **{"data-testid": "demo-card-form"})
        paid = Checked(
            self,
            "POST",
            placed.location,
            name="pay demo submit",
            status=302,
            data={**card.fields, "card_number": DEMO_CARD, "expiry": "12/30", "cvc": "123"},
            location=rf"^/orders/{uuid}/$",
            headers={"Referer": self.host + placed.location},
        )
        if not paid.ok:
            return
        self.owned |= self.in_cart
        self.in_cart.clear()
        self.orders.append(uuid)
        self.view_order(uuid, "paid")


class OpenLoop(Visitor):
    """Open loop: requests start at a constant rate (``BENCH_LOAD_RATE`` a second) whatever the
    answers take, so a slow server builds a queue instead of slowing the clients down. The mix
    is page views: the catalogue, searches and dataset pages, half anonymous, half as the
    signed-in buyers (their session cookies). Run it as ONE user (``-u 1``)."""

    wait_time = between(0, 0)

    def on_start(self):
        self.cookies = [s["cookies"] for s in PLAN["sessions"]] or [{}]

    @task
    def fire(self):
        started, n = time.monotonic(), 0
        while True:
            n += 1
            gevent.spawn(self.one)
            delay = started + n / OPEN_RATE - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)

    def one(self):
        kind = random.choice(["list", "list", "search", "detail", "detail"])
        cookies = random.choice(self.cookies) if random.random() < 0.5 else {}
        if kind == "list":
            path, marker = "/datasets/", 'data-testid="result-count"'
        elif kind == "search":
            path = "/datasets/?q=" + urllib.parse.quote(random.choice(PLAN["search_terms"]))
            marker = 'data-testid="result-count"'
        else:
            path, marker = f"/datasets/{random.choice(PLAN['all_slugs'])}/", 'data-testid="buy-panel"'
        name = f"open {kind}" + (" (buyer)" if cookies else "")
        with self.client.get(path, name=name, cookies=cookies, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}, expected 200")
            elif marker not in (response.text or ""):
                response.failure(f"marker {marker!r} missing")
            else:
                response.success()


def page_failure(name: str, reason: str) -> None:
    """A flow refused without a failed request (counted as an error, not as a latency)."""
    events.request.fire(
        request_type="CHECK",
        name=name,
        response_time=0,
        response_length=0,
        exception=AssertionError(reason),
        context={},
    )
