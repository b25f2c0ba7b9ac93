import io

import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "catalog", "licensing", "contributors", "account"}
    }


def test_seed_demo_twice_leaves_the_same_counts():
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert first["accounts.User"] == 7  # with the demo annotator
    assert first["accounts.Organisation"] == 2
    # Every demo photo's stored consent mask was kept by the services that made it.
    from catalog.models import Photo
    from licensing.consent.services import photos_scope_masks_refresh

    assert photos_scope_masks_refresh() == 0
    assert Photo.objects.exclude(scope_mask=0).count() > 0
