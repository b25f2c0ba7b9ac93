"""Curation starts from where the curator left it: the dataset's saved query."""

import pytest
from django.urls import reverse

from catalog.tests.factories import DatasetFactory
from stockdata.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_daily_flow_curation_opens_with_the_datasets_saved_query(client):
    client.force_login(StaffFactory())
    dataset = DatasetFactory(draft=True, version=False)
    response = client.post(
        reverse("curation:apply", args=[dataset.slug]),
        {"tags_all": "mask, 東京", "people": "with", "mask": "yes", "limit": "40", "exclude_near_duplicates": "on"},
    )
    assert response.status_code == 302
    page = client.get(reverse("curation:curate", args=[dataset.slug]))
    form = page.context["form"]
    assert form.initial["tags_all"] == "mask, 東京"
    assert form.initial["people"] == "with"
    assert form.initial["mask"] == "yes"
    assert form.initial["limit"] == 40
    html = page.content.decode()
    assert 'value="mask, 東京"' in html
