"""Every page renders with production's static storage after a real ``collectstatic``.

The rest of the suite uses Django's plain ``StaticFilesStorage``, which never checks that a
``{% static %}`` file exists. Production uses WhiteNoise's manifest storage, which raises for
a file missing from the manifest: so a template naming a missing file would only fail in
production. Here ``collectstatic`` runs into a temporary folder with production's storage,
then every page of the access table (``access_table.py``) is requested as a role allowed
to open it, and every ``/static/`` file the page names must exist in that folder.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from stockdata.tests.access_world import ROLES, world_fixture  # noqa: F401 - the module-scoped `world`
from stockdata.tests.test_access_matrix import all_rows, row_url

PRODUCTION_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
STATIC_REF = re.compile(r"""(?:src|href)=["'](/static/[^"'?#]+)""")


def test_the_storage_here_is_the_one_production_configures():
    production = (Path(django_settings.BASE_DIR) / "stockdata" / "settings" / "production.py").read_text()
    assert f'"BACKEND": "{PRODUCTION_STATIC_STORAGE}"' in production


def pages() -> list[tuple[str, str]]:
    """(row key, the first role the table lets open it) for every GET page that answers 2xx."""
    found = []
    for key, row in all_rows():
        if key.startswith("API ") or row.method != "GET":
            continue
        role = next((r for r in ROLES if row.expect.get(r) == "ok"), None)
        if role is not None:
            found.append((key, role))
    return found


@pytest.mark.django_db
def test_collectstatic_then_every_page_renders_with_the_manifest_storage(world, settings, tmp_path):
    static_root = tmp_path / "static"
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC_STORAGE}}
    out = io.StringIO()
    call_command("collectstatic", "--noinput", stdout=out)
    assert (static_root / "staticfiles.json").exists(), out.getvalue()

    rendered, problems = [], []
    clients: dict[str, Client] = {}
    for key, role in pages():
        client = clients.get(role)
        if client is None:
            client = clients[role] = Client()
            if role != "anonymous":
                client.force_login(world.users[role])
        url = row_url(world, key, row=dict(all_rows())[key])
        with transaction.atomic():
            try:
                response = client.get(url)
            except Exception as exc:  # noqa: BLE001 - e.g. "Missing staticfiles manifest entry"
                problems.append(f"{key} [{url}] as {role}: {type(exc).__name__}: {exc}")
                continue
            finally:
                transaction.set_rollback(True)
        if response.status_code != 200:
            problems.append(f"{key} [{url}] as {role}: {response.status_code}")
            continue
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        rendered.append(key)
        for ref in STATIC_REF.findall(html):
            name = ref.removeprefix("/static/")
            if not (static_root / name).is_file():
                problems.append(f"{key} [{url}] as {role}: names {ref}, not collected")
            elif ref == f"/static/{name}" and "." in name and not re.search(r"\.[0-9a-f]{12}\.", name):
                problems.append(f"{key} [{url}] as {role}: {ref} is not the hashed name")
    assert not problems, f"{len(problems)} pages fail with the manifest storage:\n" + "\n".join(problems)
    # The pages were really rendered (a table change that dropped them would pass vacuously).
    assert {"home", "catalog:list", "catalog:detail", "licensing:review_queue", "admin:index"} <= set(rendered)
