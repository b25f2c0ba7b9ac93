"""Access-control matrix: every URL pattern and every API operation, asked for by every role.

The expected outcomes live in ``access_table.py``. URL arguments name the objects of the
*A* side of the fixture world (contributor A's photo, buyer A's order), so for the owner the
row says 2xx, for B of the same role 404, for the other roles 404 or the login page.

* A URL pattern or a schema operation with no row fails ``test_every_url_has_a_row`` /
  ``test_every_operation_has_a_row`` ("no access row for <name>"); a row whose URL is gone
  fails ``test_no_row_for_a_url_that_is_gone``.
* Django's admin is one group: its index and a sample of changelists (``ADMIN_ROWS``), not
  every admin URL (those all go through the same ``AdminSite.has_permission`` check).
* The world is built once for the module (inside a transaction rolled back at the end),
  and every request runs in a savepoint that is rolled back, so a POST that succeeds for
  the allowed role changes nothing for the next request.

``ACCESS_MATRIX_RECORD=1 pytest stockdata/tests/test_access_matrix.py -s`` prints the
observed outcomes as table rows (for writing a new row; read them, do not paste blindly).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from stockdata.tests.access_table import ADMIN_ROWS, API_ROWS, STAFF_REDIRECT, URL_ROWS, Row
from stockdata.tests.access_world import ROLES, world_fixture  # noqa: F401 - the module-scoped `world`

LOGIN_URLS = ("/accounts/login/", "/admin/login/")


# --- Enumeration ----------------------------------------------------------------------------


def walk_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(key, route) of every URL pattern: ``namespace:name``, or the route when unnamed."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk_patterns(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield (f"{namespace}{pattern.name}" if pattern.name else route), route


def is_admin(key: str) -> bool:
    """Django's admin, named (``admin:...``) or not (its ``<path:object_id>/`` redirects)."""
    return key.startswith(("admin:", "admin/"))


def url_keys() -> set[str]:
    return {key for key, _route in walk_patterns()}


def schema_operations() -> dict[str, dict]:
    """``"GET /api/v1/orders/{uuid}/"`` → the operation, from drf-spectacular's generator."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in methods
    }


# --- Coverage: a new URL without a row fails --------------------------------------------------


def test_every_url_has_a_row():
    api_names = {row.url_name for row in API_ROWS.values()}
    missing = sorted(key for key in url_keys() if not is_admin(key) and key not in URL_ROWS and key not in api_names)
    assert not missing, "\n".join(f"no access row for {key}" for key in missing)


def test_every_operation_has_a_row():
    missing = sorted(set(schema_operations()) - set(API_ROWS))
    assert not missing, "\n".join(f"no access row for {key}" for key in missing)


def test_no_row_for_a_url_that_is_gone():
    keys = url_keys()
    gone = sorted(name for name in [*URL_ROWS, *ADMIN_ROWS] if name not in keys)
    gone += sorted(f"{op} (url {row.url_name})" for op, row in API_ROWS.items() if row.url_name not in keys)
    gone += sorted(set(API_ROWS) - set(schema_operations()))
    assert not gone, "\n".join(f"access row for a URL that no longer exists: {name}" for name in gone)


def test_every_row_names_every_role():
    bad = [
        f"{key}: roles {sorted(set(ROLES) ^ set(row.expect))}"
        for key, row in [*URL_ROWS.items(), *ADMIN_ROWS.items(), *API_ROWS.items()]
        if set(row.expect) != set(ROLES)
    ]
    assert not bad, "\n".join(bad)


# --- The matrix ---------------------------------------------------------------------------------


def _fill(world, kwargs: dict[str, str]) -> dict:
    return {
        name: (world.get(value) if isinstance(value, str) and "." in value else value) for name, value in kwargs.items()
    }


def row_url(world, key: str, row: Row) -> str:
    if row.path is not None:
        return row.path
    if key.startswith("API "):
        template = key.split(" ", 2)[2]
        return re.sub(r"\{(\w+)\}", lambda m: str(_fill(world, row.kwargs)[m.group(1)]), template)
    return reverse(key, kwargs=_fill(world, row.kwargs))


def outcome_of(response) -> str | int:
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "login" if location.startswith(LOGIN_URLS) else "redirect"
    return status


# What every response carries, whatever its status: the policy of stockdata.settings.base.
CSP_PARTS = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors '")


def csp_problem(response) -> str | None:
    policy = response.headers.get("Content-Security-Policy", "")
    missing = [part for part in CSP_PARTS if part not in policy]
    if missing or "unsafe-" in policy:
        return f"Content-Security-Policy lacks {missing} or allows unsafe-* (header: {policy!r})"
    return None


def envelope_problem(key: str, response) -> str | None:
    """An API refusal answers ``{"error": {"code": "...", "message": "...", ...}}`` as JSON."""
    if not key.startswith("API ") or response.status_code < 400:
        return None
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("application/json"):
        return f"API error {response.status_code} is {content_type!r}, not JSON"
    body = json.loads(response.content)
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and error["code"]
        and isinstance(error.get("message"), str)
        and error["message"]
    ):
        return f"API error {response.status_code} without the error envelope: {body!r:.300}"
    return None


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _request(client: Client, method: str, url: str, data, content_type: str | None, csrf_token: str | None = None):
    kwargs = {"content_type": content_type} if content_type else {}
    if csrf_token and method not in SAFE_METHODS:
        kwargs["HTTP_X_CSRFTOKEN"] = csrf_token
    with transaction.atomic():
        try:
            return getattr(client, method.lower())(url, data or {}, **kwargs)
        finally:
            transaction.set_rollback(True)


def all_rows() -> list[tuple[str, Row]]:
    return list(URL_ROWS.items()) + list(ADMIN_ROWS.items()) + [(f"API {op}", row) for op, row in API_ROWS.items()]


def run_matrix(
    world, sessions: dict, overrides: dict | None = None, csrf_exempt: set | None = None
) -> tuple[list[str], dict]:
    """Every row as every role; ``sessions`` maps a role to (client, CSRF token or None).

    Besides the outcome, every response must carry the CSP header and every API refusal the
    JSON error envelope. With CSRF tokens (``csrf_exempt`` given), every unsafe request of a
    signed-in role is first sent without its token and must be refused with 403.
    Returns (mismatches, observed outcomes)."""
    overrides = overrides or {}
    mismatches, observed = [], {}
    for role in ROLES:
        client, csrf_token = sessions[role]
        for key, row in all_rows():
            url = row_url(world, key, row)
            content_type = "application/json" if key.startswith("API ") and row.method != "GET" else None
            where = f"{key} [{row.method} {url}] as {role}"
            if csrf_exempt is not None and role != "anonymous" and row.method not in SAFE_METHODS:
                refused = _request(client, row.method, url, row.data, content_type, None)
                if key not in csrf_exempt and refused.status_code != 403:
                    mismatches.append(f"{where} without a CSRF token: expected 403, got {refused.status_code}")
                for problem in (csp_problem(refused), envelope_problem(key, refused)):
                    if problem:
                        mismatches.append(f"{where} without a CSRF token: {problem}")
            try:
                response = _request(client, row.method, url, row.data, content_type, csrf_token)
            except Exception as exc:  # noqa: BLE001 - a 500: reported with the rest
                observed.setdefault(key, {})[role] = got = f"500 ({type(exc).__name__}: {exc})"
                mismatches.append(f"{where}: expected {row.expect.get(role)}, got {got}")
                continue
            got = outcome_of(response)
            observed.setdefault(key, {})[role] = got
            expected = overrides.get(key, row.expect).get(role)
            if got != expected and not (isinstance(expected, frozenset) and got in expected):
                mismatches.append(f"{where}: expected {expected}, got {got}")
            for problem in (csp_problem(response), envelope_problem(key, response)):
                if problem:
                    mismatches.append(f"{where}: {problem}")
    return mismatches, observed


def _print_observed(observed: dict) -> None:
    for key, outcomes in observed.items():
        print(f"{key!r}: {tuple(outcomes[r] for r in ROLES)!r},")


@pytest.mark.django_db
def test_access_matrix(world):
    sessions = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.users[role])
        sessions[role] = (client, None)
    mismatches, observed = run_matrix(world, sessions)
    if os.environ.get("ACCESS_MATRIX_RECORD"):
        _print_observed(observed)
    assert not mismatches, f"{len(mismatches)} access mismatches:\n" + "\n".join(mismatches)


# --- Second pass: as production runs it (staff two-factor required, CSRF enforced) -------------

STAFF_ROLES = ("reviewer", "admin")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Where a verified staff session with an authenticator answers differently from the first pass
# (whose staff have no authenticator): the code prompt opens instead of sending them to set one up.
TWO_FACTOR_OVERRIDES: dict[str, dict] = {
    "accounts:two_factor_setup": STAFF_REDIRECT,  # an authenticator is set up already: to the 2FA page
}
# Unsafe requests that take no CSRF token: the webhook is signed by Stripe instead; the token
# endpoint authenticates nobody from the session (no ambient credential for a forged request to
# ride on): it checks the e-mail and password in the body and answers 400 without them.
# Verifying a consent receipt is public, changes nothing and reads no session: no CSRF to check.
CSRF_EXEMPT = {"licensing:stripe_webhook", "API POST /api/v1/auth/token/", "API POST /api/v1/consent-receipts/verify/"}


def csrf_token_of(client: Client) -> str:
    """The token a real browser would send: read from a page's form, as a user's browser gets it."""
    response = client.get(reverse("core:contact"))  # a form every role can open
    assert response.status_code == 200, response.status_code
    match = CSRF_FIELD.search(response.content.decode())
    assert match, "the contact page has no CSRF token to read"
    return match.group(1)


def verified_staff_client(user) -> Client:
    """A staff session that passed the second factor through the real code prompt, CSRF enforced."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/staff/").status_code == 302, "an unverified staff session opened a staff page"
    verify = reverse("accounts:two_factor_verify")
    page = client.get(verify)
    token = CSRF_FIELD.search(page.content.decode()).group(1)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
    without_token = client.post(verify, {"code": code, "next": "/staff/"})
    assert without_token.status_code == 403, "the code prompt took a POST without a CSRF token"
    response = client.post(verify, {"code": code, "next": "/staff/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/staff/", response.status_code
    assert client.get("/staff/").status_code == 200
    return client


@pytest.mark.django_db
def test_access_matrix_with_staff_two_factor_required_and_csrf_enforced(world, settings):
    settings.STOCKDATA_STAFF_REQUIRE_2FA = True
    sessions = {}
    for role in ROLES:
        if role in STAFF_ROLES:
            client = verified_staff_client(world.users[role])
        else:
            client = Client(enforce_csrf_checks=True)
            if role != "anonymous":
                client.force_login(world.users[role])
        sessions[role] = (client, csrf_token_of(client))
    mismatches, observed = run_matrix(world, sessions, overrides=TWO_FACTOR_OVERRIDES, csrf_exempt=CSRF_EXEMPT)
    if os.environ.get("ACCESS_MATRIX_RECORD"):
        _print_observed(observed)
    assert not mismatches, f"{len(mismatches)} access mismatches:\n" + "\n".join(mismatches)
