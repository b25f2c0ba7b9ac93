"""Append-only records (stockdata.append_only): every way to change or remove one is refused.

Frozen dataset versions and their items, invoices, review decisions, royalty entries, sale
splits and provision records are written once. Each is tried every way Django offers to change
or remove a row; each attempt is refused with the model's exact message and the row in the
database is unchanged afterwards.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from catalog.models import DatasetVersion, DatasetVersionItem
from catalog.tests.factories import PhotoFactory
from contributors.models import RoyaltyEntry, SaleSplit
from licensing.commerce import services as commerce
from licensing.commerce.models import Invoice
from licensing.commerce.tests.test_orders import buy
from licensing.consent.models import ProvisionRecord, ProvisionRecordRetained, ReviewDecision
from stockdata.accounts.tests.factories import BuyerFactory, StaffFactory
from stockdata.append_only import AppendOnlyError, AppendOnlyModel
from stockdata.storage import private_storage

pytestmark = pytest.mark.django_db

# model -> (a field to change, a new value, the exact refusal)
CASES: dict[type[models.Model], tuple[str, object, str]] = {
    DatasetVersion: ("notes", "edited", "DatasetVersion rows are append-only; freeze a new version instead."),
    DatasetVersionItem: (
        "file_name",
        "renamed.jpg",
        "DatasetVersionItem rows are append-only; freeze a new version instead.",
    ),
    Invoice: ("total", 1, "Invoice rows are append-only; issue a credit note instead."),
    ReviewDecision: ("note", "edited", "ReviewDecision rows are append-only; record a new decision instead."),
    RoyaltyEntry: ("amount", 1_000_000, "RoyaltyEntry rows are append-only; write a reversing entry instead."),
    SaleSplit: ("photo_count", 999, "SaleSplit rows are append-only; write a reversing entry instead."),
    ProvisionRecord: (
        "recipient_name",
        "Someone else K.K.",
        "ProvisionRecord rows are append-only; it stays as recorded until its retention date.",
    ),
}
RETAINED = "Provision records cannot be deleted before their retention period ends."


@pytest.fixture
def records(django_capture_on_commit_callbacks):
    """One row of each append-only model, made the way the product makes them: a frozen version
    bought, paid and delivered (invoice, royalties, provision records) and a review decision."""
    from licensing.consent.tests.test_provision import consented_dataset

    dataset = consented_dataset(2)
    order = buy(BuyerFactory(), dataset)
    with django_capture_on_commit_callbacks(execute=True):
        commerce.order_mark_paid(order=order, provider="bank_transfer", amount=order.total)
    photo = PhotoFactory()
    decision = ReviewDecision.objects.create(
        kind=ReviewDecision.Kind.PHOTO,
        item_uuid=photo.uuid,
        photo=photo,
        decision=ReviewDecision.Decision.APPROVED,
        reviewer=StaffFactory(),
    )
    return {
        DatasetVersion: dataset.latest_version,
        DatasetVersionItem: dataset.latest_version.items.first(),
        Invoice: order.invoices.get(),
        ReviewDecision: decision,
        RoyaltyEntry: RoyaltyEntry.objects.filter(order_line__order=order).first(),
        SaleSplit: SaleSplit.objects.get(order_line__order=order),
        ProvisionRecord: ProvisionRecord.objects.filter(order_line__order=order).first(),
    }


def stored(model, pk) -> dict:
    return model.objects.filter(pk=pk).values().get()


def test_every_append_only_model_is_covered():
    assert {m for m in CASES if issubclass(m, AppendOnlyModel)} == set(CASES)
    assert ProvisionRecordRetained.__mro__[1] is AppendOnlyError


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_each_way_to_change_an_append_only_row_is_refused(records, model):
    field, value, refusal = CASES[model]
    row = records[model]
    assert row is not None
    before = stored(model, row.pk)

    def refused(attempt, label, expected=AppendOnlyError, message=refusal):
        with pytest.raises(expected) as caught:
            attempt()
        assert str(caught.value) == message, label
        assert stored(model, row.pk) == before, label

    setattr(row, field, value)
    refused(lambda: row.save(), "save() again")
    refused(lambda: row.save(update_fields=[field]), "save(update_fields=...)")
    refused(lambda: row.save(force_update=True), "save(force_update=True)")
    refused(lambda: model.objects.filter(pk=row.pk).update(**{field: value}), "QuerySet.update()")
    refused(lambda: model.objects.update(**{field: value}), "Manager.update()")
    refused(lambda: model.objects.bulk_update([row], [field]), "bulk_update()")
    refused(lambda: model.objects.update_or_create(pk=row.pk, defaults={field: value}), "update_or_create()")
    refused(
        lambda: model.objects.bulk_create(
            [model(**{**before, field: value})], update_conflicts=True, unique_fields=["id"], update_fields=[field]
        ),
        "bulk_create(update_conflicts=True)",
    )
    # A new instance carrying an existing row's key is inserted, never written over the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        model(**{**before, field: value}).save()
    assert stored(model, row.pk) == before, "save() of a copy with the same key"

    if model is ProvisionRecord:
        refused(lambda: row.delete(), "delete()", ProvisionRecordRetained, RETAINED)
        refused(
            lambda: model.objects.filter(pk=row.pk).delete(), "QuerySet.delete()", ProvisionRecordRetained, RETAINED
        )
    else:
        refused(lambda: row.delete(), "delete()")
        refused(lambda: model.objects.filter(pk=row.pk).delete(), "QuerySet.delete()")
        refused(lambda: model.objects.all().delete(), "delete() of all rows")


def test_a_provision_record_is_deleted_from_its_retention_date_on_and_not_a_day_before(records, monkeypatch):
    record = records[ProvisionRecord]
    others = ProvisionRecord.objects.exclude(pk=record.pk)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: record.retain_until - dt.timedelta(days=1))
    with pytest.raises(ProvisionRecordRetained):
        ProvisionRecord.objects.filter(pk=record.pk).delete()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: record.retain_until)
    # Still never changed, even when due for deletion.
    with pytest.raises(AppendOnlyError):
        ProvisionRecord.objects.filter(pk=record.pk).update(recipient_name="x")
    assert ProvisionRecord.objects.filter(pk=record.pk).delete()[0] == 1
    assert others.exists()


def test_django_still_clears_a_deleted_photos_link_on_its_review_decision(records):
    """The decision outlives the photo (it keeps the photo's uuid); ON DELETE SET NULL is Django's."""
    decision = records[ReviewDecision]
    decision.photo.delete()
    stored_decision = ReviewDecision.objects.get(pk=decision.pk)
    assert stored_decision.photo_id is None and stored_decision.item_uuid == decision.item_uuid


def test_an_invoice_is_written_once_complete_with_its_pdf(records):
    invoice = Invoice.objects.get(pk=records[Invoice].pk)
    assert invoice.pdf.name.startswith(f"invoices/{invoice.issued_at.year}/{invoice.number}")
    assert private_storage().exists(invoice.pdf.name)
    assert invoice.issuer and invoice.issuer_registration_number
