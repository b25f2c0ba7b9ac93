"""A reviewer clears the queue with the keyboard; the contributor reads the reason in the portal."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from catalog.photos import services as catalog_services
from licensing.consent import services
from licensing.consent.tests.factories import release_fields
from licensing.models import ModelRelease, ReviewDecision
from stockdata.accounts.tests.factories import PASSWORD, ContributorFactory, StaffFactory
from stockdata.demo.releases import release_scan
from stockdata.demo.synthetic import make_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def consent_scopes(transactional_db):
    """The scopes come from a data migration; an earlier transactional test flushed them."""
    services.consent_scopes_ensure()


def upload_release(contributor, n: int, **overrides) -> ModelRelease:
    fields = release_fields(subject_name=f"Model {n}", reference=f"Shoot {n}", **overrides)
    scan = release_scan(
        subject_id=f"#{n}",
        name=fields["subject_name"],
        signed_on=fields["signed_on"],
        scopes=("publication", "ai_training", "biometric"),
    )
    return services.release_create(
        contributor=contributor,
        document=SimpleUploadedFile("release.jpg", scan),
        scopes=["publication", "ai_training", "biometric"],
        **fields,
    )


def submitted_photo(contributor, seed: int, title: str, *, people: bool):
    synthetic = make_photo(
        seed, kind="portrait" if people else "scene", width=1600, height=1067, mask=None if people else False
    )
    photo = catalog_services.photo_upload(
        contributor=contributor, file=SimpleUploadedFile(f"{title}.jpg", synthetic.data, content_type="image/jpeg")
    )
    subjects = [catalog_services.SubjectData(age_band="30s", gender="female")] if people else []
    catalog_services.photo_describe(
        photo=photo, title=title, tags=["portrait" if people else "scenery"], subjects=subjects, no_people=not people
    )
    photo.refresh_from_db()
    return catalog_services.photo_submit(photo=photo)


def log_in(page, base_url, user):
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("account-link")).to_be_visible()


def title_of(page):
    return page.get_by_test_id("item-title")


def tick_checklist(page):
    """A pending paper release is approved only with every checklist item ticked (then the keys again)."""
    boxes = page.locator("input[name^=checklist-]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.evaluate("document.activeElement && document.activeElement.blur()")


def keys_ready(page):
    expect(page.locator("html[data-review-keys=on]")).to_have_count(1)


def test_a_reviewer_clears_five_items_with_the_keyboard_and_the_contributor_reads_the_reason(
    page, live_server, screenshot
):
    contributor = ContributorFactory(email="photographer@example.com")
    reviewer = StaffFactory(email="reviewer@example.com")
    first = submitted_photo(contributor, 11, "Woman in her 30s at the office", people=True)
    services.release_attach(release=upload_release(contributor, 1), subject=first.subjects.get())
    second = submitted_photo(contributor, 12, "Portrait by the window", people=True)
    services.release_attach(release=upload_release(contributor, 2), subject=second.subjects.get())
    submitted_photo(contributor, 13, "Rice fields at dawn", people=False)
    unsigned = upload_release(contributor, 4)
    last = upload_release(contributor, 5)
    expected_titles = [
        "Woman in her 30s at the office",
        "Portrait by the window",
        "Rice fields at dawn",
        f"Release {unsigned.subject_id}",
        f"Release {last.subject_id}",
    ]

    log_in(page, live_server.url, reviewer)
    page.get_by_test_id("main-nav").get_by_text("Review queue").click()
    expect(page.get_by_test_id("queue-count")).to_have_text("5")
    keys_ready(page)
    screenshot(page, "queue")

    page.keyboard.press("j")
    expect(page.locator("tr.current")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(title_of(page)).to_have_text(expected_titles[0])
    keys_ready(page)
    expect(page.get_by_test_id(f"release-{first.subjects.get().release_link.release.subject_id}")).to_be_visible()
    screenshot(page, "photo-and-release-side-by-side")

    for index, title in enumerate(expected_titles):
        expect(title_of(page)).to_have_text(title)
        keys_ready(page)
        if index == 3:
            page.keyboard.press("r")
            reason = page.locator("#reject-form select[name=reason]")
            expect(reason).to_be_focused()
            page.keyboard.press("ArrowDown")  # the first release reason: signature missing
            expect(reason).to_have_value("release:signature_missing")
            page.keyboard.press("Tab")
            page.keyboard.type("Page 2 of the form has no signature.")
            screenshot(page, "rejecting-with-a-reason")
            page.keyboard.press("Control+Enter")
        else:
            tick_checklist(page)
            page.keyboard.press("a")
        if index < len(expected_titles) - 1:
            expect(title_of(page)).to_have_text(expected_titles[index + 1])

    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    screenshot(page, "queue-cleared")
    assert ReviewDecision.objects.filter(reviewer=reviewer).count() == 7  # 3 photos, 2 releases with them, 2 alone
    unsigned.refresh_from_db()
    assert (unsigned.status, unsigned.rejection_reason) == ("rejected", "signature_missing")

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, contributor)
    page.get_by_test_id("main-nav").get_by_text("Notifications").click()
    notifications = page.get_by_test_id("notifications")
    expect(notifications).to_contain_text(f"Model release {unsigned.subject_id} rejected")
    expect(notifications).to_contain_text("The subject's signature is missing on the form.")
    expect(notifications).to_contain_text("Page 2 of the form has no signature.")
    screenshot(page, "contributor-notifications")
    notifications.get_by_text(f"Model release {unsigned.subject_id} rejected").click()
    expect(page.get_by_test_id("rejection")).to_contain_text("The subject's signature is missing on the form.")
    expect(page.get_by_test_id("rejection")).to_contain_text("Page 2 of the form has no signature.")
    screenshot(page, "contributor-release-rejected")


def test_a_contributor_uploads_and_attaches_a_release_and_the_subject_withdraws_part_of_it(
    page, live_server, screenshot
):
    from licensing.consent import selectors

    contributor = ContributorFactory(email="photographer@example.com")
    synthetic = make_photo(21, kind="portrait", width=1600, height=1067)
    photo = catalog_services.photo_upload(
        contributor=contributor, file=SimpleUploadedFile("p.jpg", synthetic.data, content_type="image/jpeg")
    )
    catalog_services.photo_describe(
        photo=photo,
        title="Student with glasses in the park",
        tags=["portrait"],
        subjects=[catalog_services.SubjectData(age_band="20s", gender="male", glasses=True)],
    )

    log_in(page, live_server.url, contributor)
    page.get_by_test_id("main-nav").get_by_text("Releases").click()
    expect(page.get_by_test_id("needing")).to_contain_text("1 photo has people without a release")
    screenshot(page, "releases-empty")

    page.get_by_test_id("new-release").click()
    scan = release_scan(
        subject_id="#7",
        name="Kato Ren",
        signed_on=release_fields()["signed_on"],
        scopes=("publication", "ai_training", "biometric"),
    )
    page.set_input_files(
        "input[name=document]", files=[{"name": "release.jpg", "mimeType": "image/jpeg", "buffer": scan}]
    )
    for code in ("publication", "ai_training", "biometric"):
        page.check(f"input[name=scopes][value={code}]")
    page.fill("input[name=reference]", "Park shoot, model B")
    page.fill("input[name=subject_name]", "Kato Ren")
    page.fill("input[name=subject_contact]", "ren@example.jp")
    page.fill("input[name=date_of_birth]", "2001-09-09")
    page.select_option("select[name=age_band]", "20s")
    page.fill("input[name=signed_on]", "2026-03-01")
    page.fill("input[name=shoot_date]", "2026-03-01")
    page.fill("input[name=photographer_name]", "Photographer")
    screenshot(page, "release-form")
    page.get_by_test_id("save-release").click()
    expect(page.get_by_test_id("release-status")).to_have_text("Waiting for review")
    release = ModelRelease.objects.get()
    expect(page.locator("h1")).to_have_text(f"Release {release.subject_id}")

    page.get_by_test_id("attach-photos").click()
    page.locator("input[name=subjects]").first.check()
    screenshot(page, "attach")
    page.get_by_test_id("attach-submit").click()
    expect(page.get_by_test_id("covered-photos")).to_contain_text("Student with glasses")
    screenshot(page, "release-detail")

    page.goto(live_server.url + f"/portal/releases/photos/{photo.uuid}/")
    expect(page.get_by_test_id("subject-1")).to_contain_text(release.subject_id)
    screenshot(page, "photo-releases")
    page.goto(live_server.url + "/portal/releases/opt-out/")
    screenshot(page, "opt-out")

    services.release_approve(release=release, reviewer=StaffFactory())
    path = services.release_withdrawal_link_issue(release=release)
    assert selectors.photo_consent_scopes(photo) == {"publication", "ai_training", "biometric"}

    page.context.clear_cookies()
    page.goto(live_server.url + path)
    expect(page.get_by_test_id("consent-scopes")).to_contain_text("Biometric processing")
    # The photo is not approved yet: its preview is private, so the subject's page lists it as
    # "Not published" (the link's holder sees no unpublished image).
    expect(page.get_by_test_id("consent-photos").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("consent-photos")).to_contain_text("Not published")
    screenshot(page, "subject-page")
    page.check("input[name=scopes][value=biometric]")
    page.get_by_test_id("withdraw").click()
    expect(page.locator(".messages")).to_contain_text("Your withdrawal is recorded")
    expect(page.locator("[data-scope=biometric]").first).to_contain_text("withdrawn on")
    screenshot(page, "subject-withdrew-biometric")
    assert selectors.photo_consent_scopes(photo) == {"publication", "ai_training"}
