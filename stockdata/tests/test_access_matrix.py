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

import os
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from stockdata.tests.access_table import ADMIN_ROWS, API_ROWS, URL_ROWS, Row
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


def _request(client: Client, method: str, url: str, data, content_type: str | None):
    kwargs = {"content_type": content_type} if content_type else {}
    with transaction.atomic():
        try:
            return getattr(client, method.lower())(url, data or {}, **kwargs)
        finally:
            transaction.set_rollback(True)


def all_rows() -> list[tuple[str, Row]]:
    return list(URL_ROWS.items()) + list(ADMIN_ROWS.items()) + [(f"API {op}", row) for op, row in API_ROWS.items()]


@pytest.mark.django_db
def test_access_matrix(world):
    record = bool(os.environ.get("ACCESS_MATRIX_RECORD"))
    mismatches, observed = [], {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.users[role])
        for key, row in all_rows():
            url = row_url(world, key, row)
            content_type = "application/json" if key.startswith("API ") and row.method != "GET" else None
            try:
                response = _request(client, row.method, url, row.data, content_type)
                got = outcome_of(response)
            except Exception as exc:  # noqa: BLE001 - a 500: reported with the rest
                got = f"500 ({type(exc).__name__}: {exc})"
            observed.setdefault(key, {})[role] = got
            expected = row.expect.get(role)
            if got != expected and not (isinstance(expected, frozenset) and got in expected):
                mismatches.append(f"{key} [{row.method} {url}] as {role}: expected {expected}, got {got}")
    if record:
        for key, outcomes in observed.items():
            print(f"{key!r}: {tuple(outcomes[r] for r in ROLES)!r},")
    assert not mismatches, f"{len(mismatches)} access mismatches:\n" + "\n".join(mismatches)
