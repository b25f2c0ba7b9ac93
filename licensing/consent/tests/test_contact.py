"""The subject's private link goes only to an address its holder confirmed."""

import re

import pytest
from django.core import mail
from django.test import Client

from licensing.consent import selectors
from licensing.consent import services as consent_services
from licensing.consent.models import ModelRelease
from licensing.consent.tests.factories import make_release
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory
from stockdata.errors import ApplicationError

pytestmark = pytest.mark.django_db

PRIVATE_LINK = re.compile(r"/consent/[0-9a-f]{32}\.[\w-]+/")
CONFIRM_LINK = re.compile(r"/consent/confirm/[0-9a-f]{32}\.[\w-]+/")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the outbox sends then) at the end of each ``with commit():``."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_confirmed_contact_the_withdrawal_link_is_never_sent_to_an_unconfirmed_address(commit):
    contributor, staff = ContributorFactory(), StaffFactory()
    # The photographer typed their own address as the subject's.
    with commit():
        release = make_release(contributor, subject_contact=contributor.email, approve_by=staff)
    assert selectors.confirmed_contact_email(release) is None
    assert not any(PRIVATE_LINK.search(m.body) for m in mail.outbox)
    # Staff re-issuing "and send" sends nothing to an unconfirmed address either.
    with commit():
        consent_services.release_withdrawal_link_issue(release=release, send_to_subject=True)
    assert not any(PRIVATE_LINK.search(m.body) for m in mail.outbox)
    with commit():
        assert consent_services.subject_links_resend(email=contributor.email) == 0
    assert not any(PRIVATE_LINK.search(m.body) for m in mail.outbox)
    # What went to that address is a confirmation request only, which reveals no recipient.
    (request,) = to(contributor.email)[-1:]
    assert CONFIRM_LINK.search(request.body)


def test_confirmed_contact_link_follows_confirmation_by_its_holder(commit):
    with commit():
        release = make_release(ContributorFactory(), subject_contact="hanako@example.jp", approve_by=StaffFactory())
    (confirm,) = to("hanako@example.jp")
    path = CONFIRM_LINK.search(confirm.body).group(0)
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    release.refresh_from_db()
    assert release.contact_confirmed_at is None  # opening the link (a mail scanner) confirms nothing
    with commit():
        assert client.post(path).status_code == 200
    release.refresh_from_db()
    assert selectors.confirmed_contact_email(release) == "hanako@example.jp"
    assert release.contact_confirmed_how == "code"
    links = [m for m in to("hanako@example.jp") if PRIVATE_LINK.search(m.body)]
    assert len(links) == 1
    link = PRIVATE_LINK.search(links[0].body).group(0)
    assert Client().get(link).status_code == 200
    # The confirmation link works once.
    assert client.post(path).status_code == 404


def test_confirmed_contact_by_staff_identity_check_in_person(commit):
    staff = StaffFactory()
    release = make_release(ContributorFactory(), subject_contact="+81 90-1234-5678", approve_by=staff)
    with pytest.raises(ApplicationError, match="Say how the identity was checked"):
        consent_services.release_identity_check_record(release=release, staff=staff, method=" ", email="a@b.jp")
    with pytest.raises(ApplicationError, match="Only staff"):
        consent_services.release_identity_check_record(
            release=release, staff=release.contributor, method="passport", email="a@b.jp"
        )
    with commit():
        consent_services.release_identity_check_record(
            release=release, staff=staff, method="Driving licence, at our Tokyo office", email="yui@example.jp"
        )
    release = ModelRelease.objects.get(pk=release.pk)
    assert selectors.confirmed_contact_email(release) == "yui@example.jp"
    assert (release.contact_confirmed_how, release.identity_checked_by, release.identity_check_method) == (
        "in_person",
        staff,
        "Driving licence, at our Tokyo office",
    )
    assert len([m for m in to("yui@example.jp") if PRIVATE_LINK.search(m.body)]) == 1


def test_confirmed_contact_resend_form_answers_the_same_and_sends_only_to_confirmed_addresses(commit):
    staff = StaffFactory()
    release = make_release(ContributorFactory(), subject_contact="+81 90-0000-0000", approve_by=staff)
    consent_services.release_identity_check_record(release=release, staff=staff, method="passport", email="a@ex.jp")
    mail.outbox.clear()
    client = Client()
    with commit():
        known = client.post("/consent/send-my-link/", {"email": "A@ex.jp"})
        unknown = client.post("/consent/send-my-link/", {"email": "nobody@ex.jp"})
    assert known.status_code == unknown.status_code == 200

    def answer(response):
        return re.search(r'data-testid="resend-answer">(.*?)</p>', response.content.decode()).group(1)

    assert answer(known) == answer(unknown)
    assert [m.to for m in mail.outbox] == [["a@ex.jp"]]
    assert PRIVATE_LINK.search(mail.outbox[0].body)
    # Per address: three e-mails an hour, then silently none (the answer does not change).
    for _ in range(4):
        with commit():
            assert client.post("/consent/send-my-link/", {"email": "a@ex.jp"}).status_code == 200
    assert len(mail.outbox) == 3
