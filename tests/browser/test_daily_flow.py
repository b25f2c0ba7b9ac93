"""Every day's work in the browser: a contributor from upload to a submitted photo with its release
without leaving the photo; a reviewer from the staff home's counts to an empty queue.

Each page on the way is looked at 1366 px and 390 px wide, in English and Japanese."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from catalog.models import Photo
from catalog.photos import services as catalog_services
from licensing.consent import services as consent_services
from licensing.consent.tests.factories import release_fields
from licensing.models import ModelRelease
from stockdata.accounts.tests.factories import PASSWORD, ContributorFactory, StaffFactory
from stockdata.demo.releases import release_scan
from stockdata.demo.synthetic import make_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def consent_scopes(transactional_db):
    """The scopes come from a data migration; an earlier transactional test flushed them."""
    consent_services.consent_scopes_ensure()


def log_in(page, base: str, user) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_test_id("account-link")).to_be_visible()


def fits(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def look_at(browser, base: str, user, url: str, screenshot, name: str) -> None:
    """The page at 1366 and 390 px, in English and Japanese: nothing wider than the screen."""
    for viewport in (WIDE, PHONE):
        for locale in ("en-US", "ja-JP"):
            context = browser.new_context(viewport=viewport, locale=locale)
            page = context.new_page()
            log_in(page, base, user)
            page.goto(base + url)
            page.wait_for_load_state("networkidle")
            fits(page, viewport)
            screenshot(page, f"{name}-{viewport['width']}-{locale[:2]}")
            context.close()


def test_daily_flow_contributor_from_upload_to_a_submitted_photo_with_its_release(
    browser, live_server, screenshot, tmp_path
):
    base = live_server.url
    user = ContributorFactory(email="aiko@example.com", full_name="Mori Aiko")
    upload = tmp_path / "shinjuku.jpg"
    upload.write_bytes(make_photo(301, kind="portrait", width=2000, height=1500).data)
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    log_in(page, base, user)
    expect(page).to_have_url(base + "/portal/")  # a contributor starts on the portal

    page.get_by_test_id("upload-link").click()
    expect(page.locator("html[data-upload=ready]")).to_have_count(1)
    page.set_input_files("input[name=files]", [upload])
    item = page.get_by_test_id("upload-item")
    expect(item).to_have_attribute("data-state", "ready", timeout=60_000)
    item.get_by_test_id("describe-link").click()
    photo = Photo.objects.get(contributor=user)
    photo_url = f"/portal/photos/{photo.uuid}/"
    expect(page).to_have_url(base + photo_url)

    # Describe it and the one person in it.
    page.fill("input[name=photo-title]", "Commuter in a mask, Shinjuku")
    page.fill("input[name=photo-keywords]", "mask, マスク, commuter")
    page.fill("input[name=photo-shoot_date]", "2026-03-01")
    page.get_by_test_id("add-subject").click()
    person = page.get_by_test_id("subject").first
    person.locator("select[name$=age_band]").select_option("30s")
    person.locator("select[name$=gender]").select_option("female")
    page.get_by_test_id("save").click()
    expect(page.locator(".messages")).to_contain_text("Your changes were saved.")

    # People and releases are on the photo's own page.
    panel = page.get_by_test_id("people-releases")
    expect(panel.get_by_test_id("person-1-release-status")).to_have_text("No release yet")
    screenshot(page, "daily-photo-without-release")
    panel.get_by_test_id("person-1-upload-release").click()

    # The release form knows the photo and the person, and starts with what the photo says.
    expect(page.get_by_test_id("release-for-photo")).to_contain_text("For person 1 in “Commuter in a mask, Shinjuku”")
    expect(page.locator("input[name=shoot_date]")).to_have_value("2026-03-01")
    expect(page.locator("select[name=age_band]")).to_have_value("30s")
    fields = release_fields()
    scopes = ("publication", "ai_training", "biometric")
    scan = release_scan(subject_id="#1", name=fields["subject_name"], signed_on=date(2026, 3, 1), scopes=scopes)
    page.set_input_files(
        "input[name=document]", files=[{"name": "release.jpg", "mimeType": "image/jpeg", "buffer": scan}]
    )
    for code in scopes:
        page.check(f"input[name=scopes][value={code}]")
    page.fill("input[name=subject_name]", fields["subject_name"])
    page.fill("input[name=subject_contact]", fields["subject_contact"])
    page.fill("input[name=date_of_birth]", "1990-04-01")
    page.fill("input[name=signed_on]", "2026-03-01")
    screenshot(page, "daily-release-form-for-the-photo")
    page.get_by_test_id("save-release").click()

    # Back on the photo, the person has their release, waiting for review.
    expect(page).to_have_url(base + photo_url + "#people-releases")
    expect(page.locator(".messages")).to_contain_text("attached to person 1")
    release = ModelRelease.objects.get(contributor=user)
    expect(panel).to_contain_text(release.subject_id)
    expect(panel.get_by_test_id("person-1-release-status")).to_have_text("Waiting for review")
    page.get_by_test_id("submit").click()
    expect(page.locator(".messages")).to_contain_text("Submitted for review.")
    photo.refresh_from_db()
    assert photo.status == Photo.Status.SUBMITTED
    assert photo.subjects.get().release_link.release == release
    screenshot(page, "daily-photo-submitted")
    context.close()

    look_at(browser, base, user, photo_url, screenshot, "daily-photo")
    look_at(browser, base, user, "/portal/", screenshot, "daily-portal")


def _submitted_photo_with_release(contributor, seed: int, title: str) -> Photo:
    synthetic = make_photo(seed, kind="portrait", width=1600, height=1067)
    photo = catalog_services.photo_upload(
        contributor=contributor, file=SimpleUploadedFile(f"{seed}.jpg", synthetic.data, content_type="image/jpeg")
    )
    catalog_services.photo_describe(
        photo=photo, title=title, tags=["portrait"], subjects=[catalog_services.SubjectData(age_band="30s")]
    )
    fields = release_fields(subject_name=f"Model {seed}")
    scan = release_scan(subject_id=f"#{seed}", name=fields["subject_name"], signed_on=fields["signed_on"], scopes=())
    release = consent_services.release_create(
        contributor=contributor,
        document=SimpleUploadedFile("release.jpg", scan),
        scopes=["publication", "ai_training"],
        **fields,
    )
    consent_services.release_attach(release=release, subject=photo.subjects.get())
    photo.refresh_from_db()
    return catalog_services.photo_submit(photo=photo)


def test_daily_flow_reviewer_from_the_staff_home_counts_to_an_empty_queue(browser, live_server, screenshot):
    base = live_server.url
    contributor = ContributorFactory()
    reviewer = StaffFactory(email="reviewer@example.com")
    photo = _submitted_photo_with_release(contributor, 41, "Office worker at her desk")
    lone = consent_services.release_create(
        contributor=contributor,
        document=SimpleUploadedFile(
            "release.jpg", release_scan(subject_id="#9", name="Model 9", signed_on=date(2026, 3, 1), scopes=())
        ),
        scopes=["publication"],
        **release_fields(subject_name="Model 9"),
    )

    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    log_in(page, base, reviewer)
    expect(page).to_have_url(base + "/staff/")  # staff start the day on the staff home
    expect(page.get_by_test_id("count-review")).to_have_text("2")
    expect(page.get_by_test_id("count-deletion_overdue")).to_have_text("0")
    screenshot(page, "daily-staff-home")
    page.get_by_test_id("queue-review").click()
    expect(page.get_by_test_id("queue-count")).to_have_text("2")
    expect(page.locator("html[data-review-keys=on]")).to_have_count(1)
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    # Hovering a person marks their release.
    expect(page.get_by_test_id("item-title")).to_have_text("Office worker at her desk")
    person_release = photo.subjects.get().release_link.release
    page.get_by_test_id("review-person-1").hover()
    expect(page.get_by_test_id(f"release-{person_release.subject_id}")).to_have_class(re.compile(r"\blinked\b"))
    screenshot(page, "daily-review-person-and-release")
    page.mouse.move(0, 0)
    expect(page.get_by_test_id(f"release-{person_release.subject_id}")).not_to_have_class(re.compile(r"\blinked\b"))
    for title in ("Office worker at her desk", f"Release {lone.subject_id}"):
        expect(page.get_by_test_id("item-title")).to_have_text(title)
        expect(page.locator("html[data-review-keys=on]")).to_have_count(1)
        # A pending paper release is approved only with every checklist item ticked (kept with the decision).
        boxes = page.locator("input[name^=checklist-]")
        for i in range(boxes.count()):
            boxes.nth(i).check()
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("a")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    page.get_by_test_id("main-nav").get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_test_id("count-review")).to_have_text("0")
    screenshot(page, "daily-staff-home-cleared")
    context.close()
    lone.refresh_from_db()
    assert lone.status == ModelRelease.Status.APPROVED

    look_at(browser, base, reviewer, "/staff/", screenshot, "daily-staff-home")
    look_at(browser, base, reviewer, "/review/orders/", screenshot, "daily-staff-orders")
