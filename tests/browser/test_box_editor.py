"""A curator corrects the detector's proposal and draws a box; the exact boxes reach the database."""

import io
import math

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect
from skimage import data as skimage_data

from catalog.curation import services as curation_services
from catalog.models import AnnotationBox, Dataset, Photo
from catalog.photos import services as photo_services
from catalog.photos.services.review import derived_publish
from licensing.consent import services as licensing_services
from licensing.consent.tests.factories import SubjectFactory, attach, make_release
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory
from tests.browser.test_review import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZE = 1800


@pytest.fixture(autouse=True)
def consent_scopes(transactional_db):
    licensing_services.consent_scopes_ensure()


def astronaut_in_a_dataset(staff) -> tuple[Dataset, Photo]:
    contributor = ContributorFactory()
    big = Image.fromarray(skimage_data.astronaut()).resize((SIZE, SIZE))
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    photo = photo_services.photo_upload(
        contributor=contributor, file=SimpleUploadedFile("astronaut.jpg", buf.getvalue())
    )
    photo = photo_services.photo_process(photo_id=photo.pk)
    photo_services.photo_propose_boxes(photo_id=photo.pk)  # nothing new if the pipeline already asked
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.APPROVED)
    derived_publish(photo)  # as approval does: the preview goes public
    SubjectFactory(photo=photo, position=1)
    attach(make_release(contributor, approve_by=staff), photo)
    dataset = curation_services.dataset_create(
        slug="astronauts", title_en="Astronauts", title_ja="宇宙飛行士", required_scopes=["ai_training", "biometric"]
    )
    curation_services.dataset_add_photos(dataset=dataset, photos=[photo])
    return dataset, Photo.objects.get(pk=photo.pk)


def scenery_in(dataset, contributor) -> Photo:
    """A second photo, with no people, after the astronaut in the working selection."""
    wide = Image.fromarray(skimage_data.chelsea()).resize((1800, 1200))
    buf = io.BytesIO()
    wide.save(buf, "JPEG", quality=90)
    photo = photo_services.photo_upload(contributor=contributor, file=SimpleUploadedFile("cat.jpg", buf.getvalue()))
    photo = photo_services.photo_process(photo_id=photo.pk)
    photo_services.photo_describe(photo=photo, no_people=True)  # keeps the stored consent mask
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.APPROVED)
    derived_publish(photo)  # as approval does: the preview goes public
    AnnotationBox.objects.filter(photo=photo).delete()
    curation_services.dataset_add_photos(dataset=dataset, photos=[photo])
    return photo


def test_a_curator_draws_a_box_and_corrects_a_proposal_then_saves(page, live_server, screenshot):
    staff = StaffFactory(email="curator@example.com")
    dataset, photo = astronaut_in_a_dataset(staff)
    cat = scenery_in(dataset, photo.contributor)
    proposal = AnnotationBox.objects.get(photo=photo)
    assert (proposal.source, proposal.confirmed) == ("detector", False)
    assert (photo.width, photo.height) == (SIZE, SIZE)

    page.set_viewport_size({"width": 1280, "height": 1400})
    log_in(page, live_server.url, staff)
    page.goto(f"{live_server.url}/staff/datasets/{dataset.slug}/curate/")
    expect(page.get_by_test_id("unconfirmed-count")).to_contain_text("1 unconfirmed box")
    expect(page.get_by_test_id("match-count")).to_have_text("2")
    # The live count follows the query: nobody wears a mask; one photo has people.
    page.get_by_label("Mask").select_option("yes")
    expect(page.get_by_test_id("match-count")).to_have_text("0")
    page.get_by_label("Mask").select_option("")
    page.get_by_label("People").select_option("with")
    expect(page.get_by_test_id("match-count")).to_have_text("1")
    expect(page.get_by_test_id("sample-grid").locator("img")).to_have_count(1)
    screenshot(page, "curation-page")
    page.get_by_test_id("annotate-link").click()
    expect(page.locator("html[data-box-editor=ready]")).to_have_count(1)
    expect(page.get_by_test_id("unconfirmed-left")).to_contain_text("1")
    boxes = page.get_by_test_id("box")
    expect(boxes).to_have_count(1)
    expect(page.locator(".box.unconfirmed")).to_have_count(1)
    screenshot(page, "editor-with-proposal")

    stage = page.get_by_test_id("box-stage")
    stage.scroll_into_view_if_needed()
    area = stage.bounding_box()
    scale = area["width"] / photo.width
    tolerance = math.ceil(2 / scale) + 1

    def screen(x, y):
        return area["x"] + x * scale, area["y"] + y * scale

    # Draw a new box on empty sky at the top right, then label it a mask.
    page.mouse.move(*screen(1200, 100))
    page.mouse.down()
    page.mouse.move(*screen(1400, 300), steps=5)
    page.mouse.move(*screen(1600, 500), steps=5)
    page.mouse.up()
    expect(boxes).to_have_count(2)
    page.keyboard.press("m")
    expect(page.locator(".box.selected")).to_have_attribute("data-label", "mask")

    # Move the proposal 60 px right and 40 px down (photo pixels), then pull its bottom-right corner out.
    page.mouse.move(*screen(proposal.x + proposal.w / 2, proposal.y + proposal.h / 2))
    page.mouse.down()
    page.mouse.move(*screen(proposal.x + proposal.w / 2 + 30, proposal.y + proposal.h / 2 + 20), steps=4)
    page.mouse.move(*screen(proposal.x + proposal.w / 2 + 60, proposal.y + proposal.h / 2 + 40), steps=4)
    page.mouse.up()
    handle = page.locator(".box.selected [data-handle=se]")
    expect(handle).to_be_visible()
    h = handle.bounding_box()
    corner = (h["x"] + h["width"] / 2, h["y"] + h["height"] / 2)
    page.mouse.move(*corner)
    page.mouse.down()
    page.mouse.move(corner[0] + 50 * scale, corner[1] + 30 * scale, steps=5)
    page.mouse.up()
    screenshot(page, "editor-edited")

    # A mask drawn inside the face (Shift starts a new box over it) is labelled a mask by itself.
    face = page.locator(".box.selected").bounding_box()
    page.keyboard.down("Shift")
    page.mouse.move(face["x"] + face["width"] * 0.2, face["y"] + face["height"] * 0.55)
    page.mouse.down()
    page.mouse.move(face["x"] + face["width"] * 0.5, face["y"] + face["height"] * 0.7, steps=4)
    page.mouse.move(face["x"] + face["width"] * 0.8, face["y"] + face["height"] * 0.85, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(boxes).to_have_count(3)
    expect(page.locator(".box.selected")).to_have_attribute("data-label", "mask")

    page.keyboard.press("Enter")
    expect(page.get_by_test_id("editor-status")).to_have_text("Saved: every box is confirmed.")
    expect(page.get_by_test_id("unconfirmed-left")).to_contain_text("0")
    expect(page.locator(".box.unconfirmed")).to_have_count(0)
    expect(page.get_by_test_id("photo-complete")).to_have_attribute("data-complete", "false")
    page.keyboard.press("c")
    expect(page.get_by_test_id("editor-status")).to_have_text(
        "Saved and marked complete: every face and mask is boxed, no false box."
    )
    expect(page.get_by_test_id("photo-complete")).to_have_attribute("data-complete", "true")
    expect(page.get_by_test_id("incomplete-left")).to_contain_text("1")
    screenshot(page, "editor-saved")
    expect(page.get_by_test_id("editor-position")).to_have_text("1 of 2")

    # N goes to the next photo; a drawn-then-deleted box leaves nothing; leaving unsaved work needs a second P.
    page.keyboard.press("n")
    expect(page.get_by_test_id("editor-position")).to_have_text("2 of 2")
    expect(page.locator("html[data-box-editor=ready]")).to_have_count(1)
    area = page.get_by_test_id("box-stage").bounding_box()
    page.mouse.move(area["x"] + 100, area["y"] + 100)
    page.mouse.down()
    page.mouse.move(area["x"] + 200, area["y"] + 180, steps=4)
    page.mouse.up()
    expect(page.get_by_test_id("box")).to_have_count(1)
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("box")).to_have_count(0)
    page.keyboard.press("p")
    expect(page.get_by_test_id("editor-status")).to_contain_text("Unsaved changes")
    expect(page.get_by_test_id("editor-position")).to_have_text("2 of 2")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("editor-position")).to_have_text("1 of 2")
    assert not AnnotationBox.objects.filter(photo=cat).exists()

    saved = list(AnnotationBox.objects.filter(photo=photo).order_by("x"))
    assert len(saved) == 3
    assert all(b.confirmed and b.confirmed_by_id == staff.pk for b in saved)
    corrected, inner, drawn = saved
    assert (inner.label, inner.source) == ("mask", "human")
    assert corrected.x <= inner.x and inner.x + inner.w <= corrected.x + corrected.w
    assert corrected.y <= inner.y and inner.y + inner.h <= corrected.y + corrected.h
    assert (corrected.label, corrected.source) == ("face", "detector")
    expected_corrected = (proposal.x + 60, proposal.y + 40, proposal.w + 50, proposal.h + 30)
    for got, want in zip((corrected.x, corrected.y, corrected.w, corrected.h), expected_corrected, strict=False):
        assert abs(got - want) <= tolerance, (corrected.x, corrected.y, corrected.w, corrected.h, expected_corrected)
    assert (drawn.label, drawn.source) == ("mask", "human")
    for got, want in zip((drawn.x, drawn.y, drawn.w, drawn.h), (1200, 100, 400, 400), strict=False):
        assert abs(got - want) <= tolerance, (drawn.x, drawn.y, drawn.w, drawn.h)

    # The cat photo has nobody in it: the curator marks it complete with no box, then freezes.
    page.keyboard.press("n")
    expect(page.get_by_test_id("editor-position")).to_have_text("2 of 2")
    page.keyboard.press("c")
    expect(page.get_by_test_id("incomplete-left")).to_contain_text("0")
    page.goto(f"{live_server.url}/staff/datasets/{dataset.slug}/curate/")
    page.get_by_label("Annotated (every face boxed)").check()
    page.get_by_test_id("freeze").click()
    expect(page.get_by_test_id("version-table")).to_contain_text("v1")
    version = dataset.versions.get()
    assert (version.annotated, version.box_count) == (True, 3)
    screenshot(page, "annotated-version-frozen")
