"""The person in the photo signs for themselves, on a phone: code, three of five scopes, a drawn signature."""

import re

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from playwright.sync_api import expect

from catalog.models import Photo
from licensing.consent import receipts, selectors, services
from licensing.consent.models import ConsentReceipt, ModelRelease, ReleaseRequest
from licensing.consent.tests.factories import photo_with_people
from stockdata.accounts.tests.factories import ContributorFactory
from stockdata.errors import ApplicationError

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CHOSEN = ["publication", "ai_training", "generative_ai_training"]


@pytest.fixture(autouse=True)
def consent_scopes(transactional_db):
    """The scopes come from data migrations; an earlier transactional test flushed them."""
    services.consent_scopes_ensure()


def last_mail_to(address: str):
    return [m for m in mail.outbox if m.to == [address]][-1]


def test_signature_subject_signs_on_a_phone_and_the_photos_hold_exactly_the_ticked_scopes(
    page, live_server, screenshot
):
    contributor = ContributorFactory(email="photographer@example.com")
    photos = [photo_with_people(contributor, status=Photo.Status.APPROVED) for _ in range(2)]
    request, _path = services.release_request_create(
        contributor=contributor,
        subject_name="Yamada Hanako",
        email="hanako@example.jp",
        is_minor=False,
        subjects=[p.subjects.get() for p in photos],
        language="en",
        photographer_name="Sato Ken",
    )
    link = re.search(r"http\S+/sign/\S+/", last_mail_to("hanako@example.jp").body).group(0)
    assert link.startswith("http")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + link[link.index("/sign/") :])

    # The address first: a code is sent to it and typed here.
    page.get_by_test_id("code-send").click()
    code = re.search(r"\b(\d{6})\b", last_mail_to("hanako@example.jp").subject).group(1)
    page.fill("input[name=code]", code)
    page.get_by_test_id("code-submit").click()

    # Every scope on its own line, nothing ticked.
    expect(page.get_by_test_id("sign-form")).to_be_visible()
    boxes = page.locator(".sign-scopes input[type=checkbox]")
    expect(boxes).to_have_count(5)
    for i in range(5):
        expect(boxes.nth(i)).not_to_be_checked()
    for code_ in CHOSEN:
        page.get_by_test_id(f"scope-{code_}").check()
    page.fill("input[name=full_name]", "Yamada Hanako")
    expect(page.locator("html[data-signature-pads=on]")).to_have_count(1)
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(box["x"] + 20 + step * 9, box["y"] + 100 - (step % 7) * 10)
    page.mouse.up()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "ticked-and-signed")
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_be_visible()
    screenshot(page, "done")

    request.refresh_from_db()
    release = ModelRelease.objects.get(pk=request.release_id)
    assert request.status == ReleaseRequest.Status.SIGNED
    assert (release.origin, release.status, release.signed_full_name) == ("digital", "approved", "Yamada Hanako")
    assert selectors.confirmed_contact_email(release) == "hanako@example.jp"
    held = selectors.photos_consent_scopes([p.pk for p in photos])
    assert held == {p.pk: frozenset(CHOSEN) for p in photos}
    # The PDF and the drawn signature are stored (privately), the receipt verifies.
    with default_storage.open(release.document.name, "rb") as f:
        assert f.read(5) == b"%PDF-"
    assert release.document.name.startswith(f"releases/{contributor.pk}/")
    with default_storage.open(release.signature.name, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    receipt = ConsentReceipt.objects.get(release=release)
    record = receipts.verify(receipt.token)
    assert sorted(p["purpose"] for p in record["purposes"]) == sorted(CHOSEN)
    # The private link went to the confirmed address, and opens the PDF.
    private = re.search(r"/consent/[0-9a-f]{32}\.[\w-]+/", last_mail_to("hanako@example.jp").body).group(0)
    assert Client().get(private + "release.pdf").status_code == 200

    # The photographer cannot change it: not in the portal, not through the service.
    with pytest.raises(ApplicationError, match="signed this release themselves"):
        services.release_update(release=release, scopes=[*CHOSEN, "biometric"])
    client = Client()
    client.force_login(contributor)
    response = client.get(f"/portal/releases/{release.uuid}/edit/")
    assert response.status_code == 302 and response["Location"] == f"/portal/releases/{release.uuid}/"
    assert sorted(release.release_scopes.values_list("scope__code", flat=True)) == sorted(CHOSEN)
