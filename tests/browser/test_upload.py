"""A contributor uploads a batch in the browser: per-file progress, refusals with reasons, thumbnails."""

import pytest
from playwright.sync_api import expect

from catalog.models import Photo
from stockdata.accounts.tests.factories import PASSWORD, ContributorFactory
from stockdata.demo.synthetic import make_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_AN_IMAGE = "This file is not an image. Please upload the photo as a JPEG, PNG or WebP file."

# Counts the uploads in flight, to check the page never sends more than three at once.
COUNT_UPLOADS = """
window.__uploads = {now: 0, max: 0, total: 0};
const open = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method) {
  this.__upload = method === "POST";
  return open.apply(this, arguments);
};
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function () {
  if (this.__upload) {
    const u = window.__uploads;
    u.now += 1; u.total += 1; u.max = Math.max(u.max, u.now);
    // readystatechange(4) comes before the page's own onload, which starts the next upload.
    this.addEventListener("readystatechange", () => { if (this.readyState === 4) u.now -= 1; });
  }
  return send.apply(this, arguments);
};
"""


def log_in(page, live_server, user, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(live_server.url + next_url)


def write_photos(tmp_path, seeds) -> list:
    paths = []
    for seed in seeds:
        path = tmp_path / f"tokyo-{seed}.jpg"
        path.write_bytes(make_photo(seed, width=2000, height=1600).data)
        paths.append(path)
    return paths


def test_contributor_uploads_a_batch_and_sees_each_result(page, live_server, screenshot, tmp_path):
    user = ContributorFactory(email="aiko@example.com")
    good = write_photos(tmp_path, [101, 102, 103])
    notes = tmp_path / "notes.jpg"
    notes.write_text("Shooting notes: Asakusa, 3 June, overcast.\n")
    page.add_init_script(COUNT_UPLOADS)
    log_in(page, live_server, user, "/portal/upload/")
    expect(page.get_by_test_id("upload-limits")).to_contain_text("Long side at least 1,600 px")
    screenshot(page, "upload-empty")

    expect(page.locator("html[data-upload=ready]")).to_have_count(1)  # upload.js is listening
    page.set_input_files("input[name=files]", [good[0], notes, good[1], good[2]])

    items = page.get_by_test_id("upload-item")
    expect(items).to_have_count(4)
    expect(page.locator("#upload-progress")).to_have_attribute("data-complete", "true", timeout=60_000)
    expect(page.get_by_test_id("upload-overall")).to_have_text("4 of 4 files finished")
    expect(page.get_by_test_id("upload-counts")).to_have_text("3 uploaded · 1 refused · 0 failed")
    expect(page.locator("#upload-overall-bar")).to_have_attribute("aria-valuenow", "100")

    refused = items.filter(has_text="notes.jpg")
    expect(refused).to_have_attribute("data-state", "refused")
    expect(refused.locator(".upload-message")).to_have_text(f"Refused {NOT_AN_IMAGE}")
    expect(refused.locator("img")).to_have_count(0)

    photos = {p.original_filename: p for p in Photo.objects.filter(contributor=user)}
    assert sorted(photos) == ["tokyo-101.jpg", "tokyo-102.jpg", "tokyo-103.jpg"]
    for name, photo in photos.items():
        item = items.filter(has_text=name)
        expect(item).to_have_attribute("data-state", "ready")
        expect(item.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
        expect(item.get_by_test_id("upload-thumbnail")).to_have_attribute("src", photo.thumbnail_url)
        expect(item.get_by_test_id("describe-link")).to_have_attribute("href", f"/portal/photos/{photo.uuid}/")
    assert page.evaluate("window.__uploads") == {"now": 0, "max": 3, "total": 4}
    expect(page.get_by_test_id("describe-drafts")).to_be_visible()
    screenshot(page, "upload-done")


def test_a_failed_upload_is_retried_alone(page, live_server, screenshot, tmp_path):
    user = ContributorFactory()
    first, second = write_photos(tmp_path, [201, 202])
    log_in(page, live_server, user, "/portal/upload/")

    # The network drops the first attempt at the second file only.
    dropped = []

    def flaky(route):
        body = route.request.post_data_buffer or b""
        if not dropped and b"tokyo-202.jpg" in body:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/photos/", flaky)
    expect(page.locator("html[data-upload=ready]")).to_have_count(1)  # upload.js is listening
    page.set_input_files("input[name=files]", [first, second])
    items = page.get_by_test_id("upload-item")
    failed = items.filter(has_text="tokyo-202.jpg")
    expect(failed).to_have_attribute("data-state", "failed", timeout=30_000)
    expect(failed.locator(".upload-message")).to_have_text(
        "Upload failed The connection was lost. Check your network and retry."
    )
    expect(page.get_by_test_id("upload-overall")).to_have_text("1 of 2 files finished")
    expect(page.locator("#upload-progress")).to_have_attribute("data-complete", "true")
    expect(items.filter(has_text="tokyo-201.jpg")).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(page.get_by_test_id("upload-counts")).to_have_text("1 uploaded · 0 refused · 1 failed")
    screenshot(page, "upload-failed")
    assert Photo.objects.count() == 1

    failed.get_by_test_id("retry").click()
    expect(failed).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(page.get_by_test_id("upload-counts")).to_have_text("2 uploaded · 0 refused · 0 failed")
    expect(page.get_by_test_id("upload-overall")).to_have_text("2 of 2 files finished")
    expect(page.locator("#upload-overall-bar")).to_have_attribute("aria-valuenow", "100")
    assert sorted(Photo.objects.values_list("original_filename", flat=True)) == ["tokyo-201.jpg", "tokyo-202.jpg"]
    assert len(dropped) == 1


def test_contributor_bulk_edits_then_describes_and_submits_a_photo(page, live_server, screenshot):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.photos import services

    user = ContributorFactory()
    photos = [
        services.photo_upload(
            contributor=user,
            file=SimpleUploadedFile(f"shibuya-{seed}.jpg", make_photo(seed, width=2000, height=1600).data),
        )
        for seed in (301, 302, 303)
    ]
    # Keywords someone already used, for the suggestions.
    services.photo_describe(photo=photos[2], title="Night crossing", tags=["マスク", "mask", "tokyo"])
    first = photos[0]

    log_in(page, live_server, user, "/portal/photos/")
    expect(page.get_by_test_id("photo-card")).to_have_count(3)
    expect(page.get_by_test_id("status-tabs").locator('[data-status="draft"] .count')).to_have_text("3")
    screenshot(page, "my-photos")

    page.get_by_test_id("select-all").check()
    page.fill("input[name=add_tags]", "street, 渋谷")
    page.select_option("select[name=lighting]", "night")
    page.get_by_test_id("bulk-apply").click()
    expect(page.locator(".messages")).to_have_text("3 photos updated.")
    for photo in photos:
        assert {"street", "渋谷"} <= {t.name for t in photo.tags.all()}

    page.locator(f'[data-photo="{first.uuid}"] a.name').click()
    expect(page).to_have_url(f"{live_server.url}/portal/photos/{first.uuid}/")
    expect(page.get_by_test_id("preview")).to_have_attribute("src", Photo.objects.get(pk=first.pk).preview_url)
    page.fill("input[name=photo-title]", "Commuters crossing at night")
    keywords = page.locator("input[name=photo-keywords]")
    keywords.press("End")
    keywords.press_sequentially(", マス")
    page.get_by_test_id("keyword-suggestions").get_by_role("button", name="マスク", exact=True).click()
    expect(keywords).to_have_value("street, 渋谷, マスク, ")

    expect(page.get_by_test_id("subject")).to_be_hidden()  # the blank row waits behind "Add a person"
    page.get_by_test_id("add-subject").click()
    person = page.get_by_test_id("subject").first
    person.locator("select[name$=age_band]").select_option("30s")
    person.locator("select[name$=gender]").select_option("female")
    person.locator("input[name$=ethnicity]").fill("Japanese")
    person.get_by_label("Mask").check()
    screenshot(page, "describe")
    page.get_by_test_id("submit").click()

    expect(page.locator(".messages")).to_have_text("Submitted for review. We will tell you the result here.")
    expect(page.get_by_test_id("status")).to_have_text("Submitted for review")
    expect(page.get_by_test_id("description-read-only")).to_contain_text("Commuters crossing at night")
    screenshot(page, "submitted")
    first.refresh_from_db()
    assert first.status == Photo.Status.SUBMITTED
    assert sorted(t.name for t in first.tags.all()) == ["street", "マスク", "渋谷"]
    assert list(first.subjects.values_list("age_band", "gender", "ethnicity", "mask")) == [
        ("30s", "female", "Japanese", True)
    ]

    page.goto(live_server.url + "/portal/")
    expect(page.get_by_test_id("status-counts").locator('[data-status="submitted"] .number')).to_have_text("1")
    screenshot(page, "dashboard")


def test_upload_works_without_javascript(browser, live_server, screenshot, tmp_path):
    user = ContributorFactory()
    (good,) = write_photos(tmp_path, [401])
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo")
    context = browser.new_context(java_script_enabled=False, locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, user, "/portal/upload/")
        expect(page.locator("button", has_text="Upload").last).to_be_visible()
        expect(page.locator("html[data-upload]")).to_have_count(0)  # no script ran: the plain form posts
        page.set_input_files("input[name=files]", [notes, good])
        page.get_by_role("button", name="Upload", exact=True).click()
        results = page.get_by_test_id("upload-result")
        expect(results).to_have_count(2)
        expect(results.filter(has_text="notes.jpg")).to_contain_text(NOT_AN_IMAGE)
        photo = Photo.objects.get(contributor=user)
        expect(results.filter(has_text="tokyo-401.jpg").locator("img")).to_have_attribute("src", photo.thumbnail_url)
        screenshot(page, "no-js-results")
    finally:
        context.close()


def test_a_rejected_photo_explains_itself(page, live_server, screenshot, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.photos import services

    user = ContributorFactory()
    original, similar = (
        services.photo_upload(contributor=user, file=SimpleUploadedFile(f"{name}.jpg", make_photo(seed).data))
        for seed, name in ((501, "kyoto-a"), (502, "kyoto-b"))
    )
    Photo.objects.filter(pk=similar.pk).update(
        status=Photo.Status.REJECTED,
        rejection_reason="trademark",
        rejection_note="The shop sign shows a brand logo.",
        near_duplicate_of=original,
    )
    log_in(page, live_server, user, f"/portal/photos/{similar.uuid}/")
    expect(page.get_by_test_id("rejection")).to_contain_text("Logos, trademarks or artworks are recognisable.")
    expect(page.get_by_test_id("rejection")).to_contain_text("The shop sign shows a brand logo.")
    expect(page.get_by_test_id("near-duplicate").get_by_role("link")).to_have_attribute(
        "href", f"/portal/photos/{original.uuid}/"
    )
    screenshot(page, "rejected")
    page.goto(live_server.url + "/portal/photos/?status=rejected")
    expect(page.get_by_test_id("photo-card")).to_have_count(1)
    screenshot(page, "rejected-list")


def test_the_photo_page_shows_the_preview_as_soon_as_processing_ends(page, live_server, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.photos import services
    from stockdata.celery import app

    user = ContributorFactory()
    # Queue the pipeline on the broker instead of running it at once, as in production
    # where a worker picks it up a moment later; this test is that worker.
    app.conf.task_always_eager = False
    try:
        photo = services.photo_upload(
            contributor=user, file=SimpleUploadedFile("nara.jpg", make_photo(701, width=2000, height=1600).data)
        )
    finally:
        app.conf.task_always_eager = True
    log_in(page, live_server, user, f"/portal/photos/{photo.uuid}/")
    expect(page.get_by_test_id("processing-state")).to_have_text("Waiting to be processed")
    expect(page.get_by_test_id("preview")).to_have_count(0)

    services.photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    expect(page.get_by_test_id("preview")).to_have_attribute("src", photo.preview_url, timeout=10_000)
    expect(page.get_by_test_id("processing-state")).to_have_text("Ready")
