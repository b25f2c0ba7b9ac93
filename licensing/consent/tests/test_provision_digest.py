"""APPI: a subject whose photos were provided to a third party is told, by a daily e-mail to the
address they confirmed, never to one the photographer typed; once per day; and they can turn it off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from licensing.consent import selectors
from licensing.consent import services as consent_services
from licensing.consent.tasks import provision_digest_task
from licensing.consent.tests import test_provision
from licensing.consent.tests.test_provision import consented_dataset
from licensing.models import ModelRelease, ProvisionRecord
from stockdata.mail.models import OutgoingEmail

pytestmark = pytest.mark.django_db

paid_order = test_provision.paid_order  # the fixture: buy, pay, deliver (which writes the records)


def _releases_of(order):
    ids = ProvisionRecord.objects.filter(order_line__order=order).values_list("release_id", flat=True)
    return list(ModelRelease.objects.filter(pk__in=ids).order_by("pk"))


def _confirm(release, address, language="en"):
    release.contact_email = address
    release.contact_confirmed_at = timezone.now()
    release.form_language = language  # the digest is written in the language of the form they signed
    release.save(update_fields=["contact_email", "contact_confirmed_at", "form_language"])


def _digests():
    return [m for m in mail.outbox if "provided to a buyer" in m.subject]


def test_withdrawal_propagates_appi_digest_only_to_confirmed_contacts_once_per_day(
    paid_order, django_capture_on_commit_callbacks
):
    order = paid_order(consented_dataset(3, title_en="Masks at the station", title_ja="Masks at the station"))
    confirmed, unconfirmed, declined = _releases_of(order)
    _confirm(confirmed, "hanako@example.jp")
    # The photographer typed an address for this one, but nobody confirmed it: nothing goes there.
    unconfirmed.subject_contact = "photographer@example.jp"
    unconfirmed.save(update_fields=["subject_contact"])
    _confirm(declined, "taro@example.jp")
    consent_services.release_provision_digest_set(release=declined, enabled=False)
    today = ProvisionRecord.objects.filter(order_line__order=order).first().provided_on
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = consent_services.provision_digest_send(day=today)
    assert (result.sent, result.already, result.unconfirmed, result.declined) == (1, 0, 1, 1)
    digests = _digests()
    assert [m.to for m in digests] == [["hanako@example.jp"]]
    body = digests[0].body
    assert order.billing_name in body
    assert "Masks at the station, version 1" in body
    assert confirmed.subject_id in digests[0].subject
    # The link in it opens the subject's page (a fresh link; the release now answers to it).
    url = next(line for line in body.splitlines() if "/consent/" in line).strip()
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert selectors.release_for_withdrawal_token(token) == confirmed
    assert all("photographer@example.jp" not in m.to for m in mail.outbox)

    # Once per day: a second run (the beat task again, or a retry) tells nobody twice and keeps the link.
    with django_capture_on_commit_callbacks(execute=True):
        again = provision_digest_task(today.isoformat())
    assert (again["sent"], again["already"]) == (0, 1)
    assert len(_digests()) == 1
    assert selectors.release_for_withdrawal_token(token) == confirmed
    assert OutgoingEmail.objects.filter(key__startswith="provision-digest:").count() == 1

    # Another day without provisions: nothing.
    with django_capture_on_commit_callbacks(execute=True):
        later = consent_services.provision_digest_send(day=today + dt.timedelta(days=1))
    assert later.sent == 0 and len(_digests()) == 1


def test_withdrawal_propagates_appi_digest_turned_off_and_on_from_the_subjects_page(
    client, paid_order, django_capture_on_commit_callbacks
):
    order = paid_order(consented_dataset(1))
    (release,) = _releases_of(order)
    _confirm(release, "hanako@example.jp")
    path = consent_services.release_withdrawal_link_issue(release=release)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    page = client.get(path)
    assert 'data-testid="digest-off"' in page.content.decode()
    assert "hanako@example.jp" in page.content.decode()

    response = client.post(reverse("licensing:consent_digest", args=[token]), {"enabled": "no"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.provision_digest is False
    day = ProvisionRecord.objects.get(release=release).provided_on
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert consent_services.provision_digest_send(day=day).declined == 1
    assert _digests() == []

    client.post(reverse("licensing:consent_digest", args=[token]), {"enabled": "yes"})
    release.refresh_from_db()
    assert release.provision_digest is True
    with django_capture_on_commit_callbacks(execute=True):
        assert consent_services.provision_digest_send(day=day).sent == 1
    assert [m.to for m in _digests()] == [["hanako@example.jp"]]
    # A wrong token changes nothing and reveals nothing.
    assert client.post(reverse("licensing:consent_digest", args=["nope"]), {"enabled": "no"}).status_code == 404


def test_withdrawal_propagates_appi_digest_in_the_subjects_language(paid_order, django_capture_on_commit_callbacks):
    order = paid_order(consented_dataset(1))
    (release,) = _releases_of(order)
    _confirm(release, "hanako@example.jp", language="ja")
    day = ProvisionRecord.objects.get(release=release).provided_on
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        consent_services.provision_digest_send(day=day)
    (digest,) = [m for m in mail.outbox if m.to == ["hanako@example.jp"]]
    assert "/ja/consent/" in digest.body
    assert "あなたの写真が購入者に提供されました" in digest.subject
    assert digest.subject.startswith("[Stockdata] ")
