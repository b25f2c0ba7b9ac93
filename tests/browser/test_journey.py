"""The whole product in one journey, in Chromium, against the live server and a real Celery worker.

A photographer signs up, uploads photos and a model release; a reviewer approves them; a curator
builds, annotates, freezes and publishes a dataset; a buyer signs up, finds it, pays with the demo
card, watches the bundle being built and downloads it; the photographer sees the royalty; the
person in the photo withdraws consent from the link they were emailed; the next frozen version
leaves the photo out and the buyer is told which file to delete.

Every step a person takes goes through the pages; the ORM only creates the staff accounts (staff
do not sign up) and reads rows to check what the pages claim. Screenshots of each step are saved
under var/test-artefacts/ as ``test_journey-NN-step.png``.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date

import pytest
from PIL import Image
from playwright.sync_api import expect
from skimage import data as skimage_data

from catalog.models import AnnotationBox, Dataset, Photo
from conftest import start_worker, stop_worker, wait_until
from licensing.consent import services as licensing_services
from licensing.models import Bundle, ModelRelease, Order
from stockdata.accounts.models import User
from stockdata.accounts.tests.factories import PASSWORD as STAFF_PASSWORD
from stockdata.accounts.tests.factories import StaffFactory
from stockdata.demo.releases import release_scan
from stockdata.demo.synthetic import make_photo
from stockdata.mail.tests.smtp_server import SMTPServer

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kamakura-Light-2026"
ASTRONAUT_SIZE = 1800  # the Haar detector proposes exactly one face at this size
SCENE_SEEDS = (901, 902)  # synthetic street scenes with no people, where the detector proposes nothing
KEYWORD = "journey"
PRICE_ANNOTATED = 123_456
# Royalty rules (contributors/services.py, stockdata/money.py): the tax inside a tax-inclusive
# price is floor(price * 10 / 110); the contributors' pool is 40 % of the net, rounded down;
# one contributor owns every photo of the version, so the whole pool is theirs.
TAX = 11_223  # floor(123,456 * 10 / 110) = floor(11,223.27)
NET = PRICE_ANNOTATED - TAX  # 112,233
ROYALTY = 44_893  # floor(112,233 * 0.40) = floor(44,893.2)
TITLE_EN = "Astronaut portraits and quiet streets"
TITLE_JA = "宇宙飛行士の肖像と静かな街"
SLUG = "astronaut-and-streets"
COMPLETED = "Saved and marked complete: every face and mask is boxed, no false box."


@pytest.fixture
def smtp_server():
    """The mail provider: every e-mail leaves through the outbox, which the worker delivers here."""
    with SMTPServer() as server:
        yield server


@pytest.fixture
def worker(transactional_db, settings, smtp_server):
    """The real worker (the ``celery_worker`` fixture's), slowed down per bundle image so that
    the buyer can watch the build progress, sending e-mail to ``smtp_server``."""
    from stockdata.celery import app

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    process = start_worker(
        extra_env={
            "STOCKDATA_BUNDLE_THROTTLE_SECONDS": "1.0",
            "STOCKDATA_TEST_EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        }
    )
    try:
        yield process
    finally:
        stop_worker(process)
        app.conf.task_always_eager = True


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str


def delivered(server: SMTPServer, matches, what: str) -> list[Mail]:
    """The e-mails the worker delivered to the SMTP server that ``matches``, once one has arrived."""

    def found():
        mails = [
            Mail(
                to=[address.strip() for address in message["To"].split(",")],
                subject=str(message["Subject"]),
                body=message.get_body(("plain",)).get_content(),
            )
            for message in list(server.messages)
        ]
        return [mail for mail in mails if matches(mail)]

    return wait_until(found, timeout=60, message=what)


class Steps:
    """Numbered screenshots: 01-signup, 02-upload, ..."""

    def __init__(self, screenshot):
        self.screenshot = screenshot
        self.number = 0

    def __call__(self, page, name: str) -> None:
        self.number += 1
        self.screenshot(page, f"{self.number:02d}-{name}")


@pytest.fixture
def new_person(browser, browser_context_args):
    """Each person has their own browser: cookies never leak from one role to another.

    The contexts close when the test ends, so their kept-alive connections (and the live
    server's threads and database sessions behind them) go before the database is dropped.
    """
    contexts = []
    # Pages here wait on a real worker on a shared machine: assertions get 15 s, not 5 s.
    previous = getattr(expect, "_timeout", None)
    expect.set_options(timeout=15_000)

    def make():
        context = browser.new_context(**browser_context_args)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        expect.set_options(timeout=previous)
        for context in contexts:
            context.close()


def log_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_test_id("account-link")).to_be_visible()


def nav(page, label: str) -> None:
    page.get_by_test_id("main-nav").get_by_role("link", name=label, exact=True).click()


def message(page):
    return page.locator(".messages")


def write_astronaut(folder) -> bytes:
    big = Image.fromarray(skimage_data.astronaut()).resize((ASTRONAUT_SIZE, ASTRONAUT_SIZE))
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    (folder / "astronaut.jpg").write_bytes(buf.getvalue())
    return buf.getvalue()


def test_journey(new_person, live_server, worker, screenshot, smtp_server, tmp_path):
    licensing_services.consent_scopes_ensure()  # a data migration's rows; an earlier transactional test flushed them
    base = live_server.url
    step = Steps(screenshot)
    reviewer = StaffFactory(email="reviewer@stockdata.example")
    curator = StaffFactory(email="curator@stockdata.example")

    # --- A photographer signs up ------------------------------------------------------------
    aiko = new_person()
    aiko.goto(base + "/")
    aiko.get_by_role("link", name="Sign up").first.click()
    aiko.get_by_test_id("signup-contributor").click()
    aiko.fill("input[name=email]", "aiko@photo.example")
    aiko.fill("input[name=full_name]", "Mori Aiko")
    aiko.fill("input[name=display_name]", "aiko.photo")
    aiko.fill("input[name=password1]", PASSWORD)
    aiko.fill("input[name=password2]", PASSWORD)
    aiko.check("input[name=accept_terms]")
    step(aiko, "signup")
    aiko.get_by_test_id("signup-submit").click()
    expect(aiko.get_by_test_id("account-link")).to_be_visible()
    contributor = User.objects.get(email="aiko@photo.example")
    assert contributor.role == "contributor"

    # --- ... uploads an astronaut portrait and two street scenes ----------------------------
    write_astronaut(tmp_path)
    scene_names = []
    for seed in SCENE_SEEDS:
        name = f"street-{seed}.jpg"
        (tmp_path / name).write_bytes(make_photo(seed, kind="scene", width=2000, height=1500).data)
        scene_names.append(name)
    nav(aiko, "Upload")
    expect(aiko.get_by_test_id("upload-limits")).to_contain_text("Long side at least 1,600 px")
    expect(aiko.locator("html[data-upload=ready]")).to_have_count(1)  # upload.js is listening
    aiko.set_input_files("input[name=files]", [tmp_path / "astronaut.jpg", *(tmp_path / n for n in scene_names)])
    items = aiko.get_by_test_id("upload-item")
    expect(items).to_have_count(3)
    # The worker makes the thumbnails; the page polls until each photo is ready.
    expect(aiko.locator("#upload-progress")).to_have_attribute("data-complete", "true", timeout=90_000)
    expect(aiko.get_by_test_id("upload-counts")).to_have_text("3 uploaded · 0 refused · 0 failed")
    for name in ["astronaut.jpg", *scene_names]:
        expect(items.filter(has_text=name)).to_have_attribute("data-state", "ready")
    step(aiko, "upload")
    astronaut = Photo.objects.get(contributor=contributor, original_filename="astronaut.jpg")
    assert (astronaut.width, astronaut.height, astronaut.processing) == (ASTRONAUT_SIZE, ASTRONAUT_SIZE, "ready")

    # ... describes the astronaut and the person in it,
    items.filter(has_text="astronaut.jpg").get_by_test_id("describe-link").click()
    expect(aiko).to_have_url(f"{base}/portal/photos/{astronaut.uuid}/")
    aiko.fill("input[name=photo-title]", "Astronaut in a white suit")
    aiko.fill("input[name=photo-keywords]", f"portrait, 宇宙, {KEYWORD}")
    aiko.get_by_test_id("add-subject").click()
    person = aiko.get_by_test_id("subject").first
    person.locator("select[name$=age_band]").select_option("40s")
    person.locator("select[name$=gender]").select_option("female")
    person.locator("input[name$=ethnicity]").fill("American")
    step(aiko, "describe-astronaut")
    aiko.get_by_test_id("save").click()
    expect(message(aiko)).to_have_text("Your changes were saved.")
    assert list(astronaut.subjects.values_list("age_band", "gender")) == [("40s", "female")]

    # ... uploads the signed model release and links it to the person in the photo,
    nav(aiko, "Releases")
    expect(aiko.get_by_test_id("needing")).to_contain_text("1 photo has people without a release")
    aiko.get_by_test_id("new-release").click()
    scopes = ("publication", "ai_training", "biometric")
    scan = release_scan(subject_id="#1", name="Eileen Collins", signed_on=date(2026, 3, 1), scopes=scopes)
    aiko.set_input_files(
        "input[name=document]", files=[{"name": "release.jpg", "mimeType": "image/jpeg", "buffer": scan}]
    )
    for code in scopes:
        aiko.check(f"input[name=scopes][value={code}]")
    aiko.fill("input[name=reference]", "Space centre shoot")
    aiko.fill("input[name=subject_name]", "Eileen Collins")
    aiko.fill("input[name=subject_contact]", "eileen@subject.example")
    aiko.fill("input[name=date_of_birth]", "1984-11-19")
    aiko.select_option("select[name=age_band]", "40s")
    aiko.fill("input[name=signed_on]", "2026-03-01")
    aiko.fill("input[name=shoot_date]", "2026-03-01")
    aiko.fill("input[name=photographer_name]", "Mori Aiko")
    step(aiko, "release-form")
    aiko.get_by_test_id("save-release").click()
    expect(aiko.get_by_test_id("release-status")).to_have_text("Waiting for review")
    release = ModelRelease.objects.get(contributor=contributor)
    aiko.get_by_test_id("attach-photos").click()
    aiko.locator(f"input[name=subjects][value='{astronaut.subjects.get().pk}']").check()
    aiko.get_by_test_id("attach-submit").click()
    expect(aiko.get_by_test_id("covered-photos")).to_contain_text("Astronaut in a white suit")
    step(aiko, "release-attached")

    # ... and submits the three photos for review (the streets have no people).
    aiko.goto(f"{base}/portal/photos/{astronaut.uuid}/")
    aiko.get_by_test_id("submit").click()
    expect(message(aiko)).to_have_text("Submitted for review. We will tell you the result here.")
    scenes = []
    for n, name in enumerate(scene_names, start=1):
        photo = Photo.objects.get(contributor=contributor, original_filename=name)
        scenes.append(photo)
        aiko.goto(f"{base}/portal/photos/{photo.uuid}/")
        aiko.fill("input[name=photo-title]", f"Quiet street {n}")
        aiko.fill("input[name=photo-keywords]", f"street, 街, {KEYWORD}")
        aiko.locator("input[name=photo-no_people]").check()
        aiko.get_by_test_id("submit").click()
        expect(aiko.get_by_test_id("status")).to_have_text("Submitted for review")
    step(aiko, "submitted")
    assert set(Photo.objects.filter(contributor=contributor).values_list("status", flat=True)) == {"submitted"}

    # --- A reviewer approves the photos and, with the portrait, its release --------------------
    rev = new_person()
    log_in(rev, base, reviewer.email, STAFF_PASSWORD)
    nav(rev, "Review queue")
    expect(rev.get_by_test_id("queue-count")).to_have_text("3")
    expect(rev.locator("html[data-review-keys=on]")).to_have_count(1)
    step(rev, "review-queue")
    rev.keyboard.press("j")
    expect(rev.locator("tr.current")).to_have_count(1)
    rev.keyboard.press("Enter")
    titles = ["Astronaut in a white suit", "Quiet street 1", "Quiet street 2"]
    for index, title in enumerate(titles):
        expect(rev.get_by_test_id("item-title")).to_have_text(title)
        expect(rev.locator("html[data-review-keys=on]")).to_have_count(1)
        if index == 0:
            expect(rev.get_by_test_id(f"release-{release.subject_id}")).to_be_visible()
            step(rev, "review-photo-and-release")
            # A paper release is approved only with every checklist item ticked (kept with the decision).
            boxes = rev.locator("input[name^=checklist-]")
            for i in range(boxes.count()):
                boxes.nth(i).check()
            rev.evaluate("document.activeElement && document.activeElement.blur()")
        rev.keyboard.press("a")
    expect(rev.get_by_test_id("queue-empty")).to_be_visible()
    step(rev, "review-done")
    release.refresh_from_db()
    assert release.status == ModelRelease.Status.APPROVED
    assert set(Photo.objects.filter(contributor=contributor).values_list("status", flat=True)) == {"approved"}

    # The photographer typed the subject's address: the approval asks its holder to confirm it first;
    # the private link (its token never stored in clear) goes only to a confirmed address.
    to_subject = lambda m: m.to == ["eileen@subject.example"]
    confirm_mail = delivered(smtp_server, to_subject, "the request to confirm the subject's address")
    assert len(confirm_mail) == 1, [(m.to, m.subject) for m in confirm_mail]
    confirm_path = re.search(r"https?://[^/\s]+(/(?:(?:ja|en)/)?consent/confirm/[^\s]+/)", confirm_mail[0].body).group(
        1
    )
    holder = new_person()
    holder.goto(base + confirm_path)
    holder.get_by_test_id("confirm").click()
    expect(holder.get_by_test_id("confirmed")).to_be_visible()
    link_mail = delivered(
        smtp_server, lambda m: to_subject(m) and "/consent/confirm/" not in m.body, "the subject's link e-mail"
    )
    assert len(link_mail) == 1, [(m.to, m.subject) for m in link_mail]
    consent_path = re.search(r"https?://[^/\s]+(/(?:(?:ja|en)/)?consent/[^\s]+/)", link_mail[0].body).group(1)

    # --- A curator builds the dataset ------------------------------------------------------------
    cur = new_person()
    cur.set_viewport_size({"width": 1280, "height": 1400})
    log_in(cur, base, curator.email, STAFF_PASSWORD)
    nav(cur, "Staff")
    cur.get_by_test_id("staff-datasets-link").click()
    cur.get_by_test_id("new-dataset").click()
    cur.fill("input[name=slug]", SLUG)
    cur.fill("input[name=title_en]", TITLE_EN)
    cur.fill("input[name=title_ja]", TITLE_JA)
    cur.fill("textarea[name=description_en]", "An astronaut's portrait, every face boxed, and empty streets.")
    cur.fill("textarea[name=description_ja]", "宇宙飛行士の肖像（顔に矩形付き）と人のいない街。")
    for code in ("ai_training", "biometric"):
        cur.check(f"input[name=required_scopes][value={code}]")
    cur.fill("input[name=price_annotated]", str(PRICE_ANNOTATED))
    step(cur, "dataset-card")
    cur.get_by_role("button", name="Save").click()
    expect(message(cur)).to_have_text("Dataset created. Now build its selection.")
    dataset = Dataset.objects.get(slug=SLUG)
    assert (dataset.price_annotated, dataset.restricted) == (PRICE_ANNOTATED, False)

    # The query's live count follows each change before anything is applied.
    cur.fill("input[name=tags_all]", KEYWORD)
    cur.get_by_label("People").select_option("with")
    expect(cur.get_by_test_id("match-count")).to_have_text("1")
    cur.get_by_label("People").select_option("any")
    expect(cur.get_by_test_id("match-count")).to_have_text("3")
    expect(cur.get_by_test_id("sample-grid").locator("img")).to_have_count(3)
    step(cur, "curation-query")
    cur.get_by_test_id("apply-query").click()
    expect(message(cur)).to_have_text("Query applied: the working selection holds 3 photos.")
    expect(cur.get_by_test_id("selection-count")).to_have_text("3")

    # The worker proposed the face box right after processing; the curator corrects and confirms it.
    wait_until(lambda: AnnotationBox.objects.filter(photo=astronaut).exists(), 60, message="the face proposal")
    assert not AnnotationBox.objects.filter(photo__in=scenes).exists()
    cur.reload()
    expect(cur.get_by_test_id("unconfirmed-count")).to_have_text("1 unconfirmed box")
    proposal = AnnotationBox.objects.get(photo=astronaut)
    assert (proposal.source, proposal.confirmed) == ("detector", False)
    cur.get_by_test_id("annotate-link").click()
    expect(cur.locator("html[data-box-editor=ready]")).to_have_count(1)
    expect(cur.get_by_test_id("box")).to_have_count(1)
    expect(cur.locator(".box.unconfirmed")).to_have_count(1)
    expect(cur.get_by_test_id("editor-position")).to_contain_text("of 3")
    step(cur, "box-proposal")
    stage = cur.get_by_test_id("box-stage")
    stage.scroll_into_view_if_needed()
    area = stage.bounding_box()
    scale = area["width"] / ASTRONAUT_SIZE
    tolerance = math.ceil(2 / scale) + 1

    def screen(x, y):
        return area["x"] + x * scale, area["y"] + y * scale

    centre = (proposal.x + proposal.w / 2, proposal.y + proposal.h / 2)
    cur.mouse.move(*screen(*centre))
    cur.mouse.down()
    cur.mouse.move(*screen(centre[0] + 20, centre[1] + 15), steps=4)
    cur.mouse.move(*screen(centre[0] + 40, centre[1] + 30), steps=4)
    cur.mouse.up()
    cur.keyboard.press("c")
    expect(cur.get_by_test_id("editor-status")).to_have_text(COMPLETED)
    expect(cur.get_by_test_id("unconfirmed-left")).to_contain_text("0")
    expect(cur.get_by_test_id("photo-complete")).to_have_attribute("data-complete", "true")
    step(cur, "box-confirmed")
    box = AnnotationBox.objects.get(photo=astronaut)
    assert box.confirmed and box.confirmed_by_id == curator.pk
    moved = (proposal.x + 40, proposal.y + 30, proposal.w, proposal.h)
    for got, want in zip((box.x, box.y, box.w, box.h), moved, strict=True):
        assert abs(got - want) <= tolerance, ((box.x, box.y, box.w, box.h), moved)

    # The scenes have no face: the curator checks each and marks it complete too.
    for _scene in scenes:
        cur.goto(f"{base}/staff/datasets/{SLUG}/annotate/")
        expect(cur.locator("html[data-box-editor=ready]")).to_have_count(1)
        expect(cur.get_by_test_id("photo-complete")).to_have_attribute("data-complete", "false")
        cur.keyboard.press("c")
        expect(cur.get_by_test_id("editor-status")).to_have_text(COMPLETED)
    expect(cur.get_by_test_id("incomplete-left")).to_contain_text("0")

    # Freeze the annotated edition, then publish.
    cur.goto(f"{base}/staff/datasets/{SLUG}/curate/")
    cur.get_by_label("Annotated (every face boxed)").check()
    cur.fill("textarea[name=notes]", "First edition")
    cur.get_by_test_id("freeze").click()
    expect(message(cur)).to_have_text("Version 1 frozen with 3 photos.")
    expect(cur.get_by_test_id("version-table")).to_contain_text("v1")
    cur.get_by_test_id("publish").click()
    expect(message(cur)).to_have_text("Dataset published: buyers can see it in the catalogue.")
    expect(cur.get_by_test_id("dataset-status")).to_have_text("Published")
    step(cur, "frozen-and-published")
    v1 = dataset.versions.get(number=1)
    assert (v1.annotated, v1.photo_count, v1.box_count) == (True, 3, 1)
    astronaut_file = f"images/sd_{astronaut.uuid.hex[:16]}.jpg"

    # --- A buyer signs up, finds the dataset and pays -------------------------------------------
    ken = new_person()
    ken.goto(base + "/accounts/signup/")
    ken.get_by_test_id("signup-buyer").click()
    ken.fill("input[name=email]", "ken@vision.example")
    ken.fill("input[name=full_name]", "Abe Ken")
    ken.fill("input[name=password1]", PASSWORD)
    ken.fill("input[name=password2]", PASSWORD)
    ken.fill("input[name=org-name]", "Vision Labs K.K.")
    ken.select_option("select[name=org-kind]", "company")
    ken.fill("input[name=org-billing_name]", "ビジョンラボ株式会社")
    ken.fill("textarea[name=org-billing_address]", "東京都千代田区1-1")
    ken.fill("input[name=org-country]", "JP")
    ken.check("input[name=accept_terms]")
    step(ken, "buyer-signup")
    ken.get_by_test_id("signup-submit").click()
    expect(ken.get_by_test_id("account-link")).to_be_visible()
    assert User.objects.get(email="ken@vision.example").organisation.name == "Vision Labs K.K."

    nav(ken, "Datasets")
    ken.get_by_test_id("catalogue-search").fill("astronaut")
    ken.get_by_test_id("catalogue-search").press("Enter")
    cards = ken.get_by_test_id("dataset-card")
    expect(cards).to_have_count(1)
    expect(cards.first.get_by_test_id("dataset-title")).to_have_text(TITLE_EN)
    step(ken, "catalogue-search")
    cards.first.get_by_test_id("dataset-title").click()
    expect(ken.get_by_test_id("dataset-heading")).to_have_text(TITLE_EN)
    expect(ken.get_by_test_id("edition-annotated").get_by_test_id("price")).to_have_text("¥123,456")
    expect(ken.get_by_test_id("edition-annotated").get_by_test_id("tax")).to_contain_text(f"¥{TAX:,}")
    ken.get_by_test_id("choose-annotated").check()
    ken.get_by_test_id("add-to-cart-button").click()
    expect(message(ken)).to_contain_text("Added to your cart.")
    step(ken, "dataset-page")
    # The cart's link carries its count ("Cart 1 item" to a screen reader).
    ken.get_by_test_id("main-nav").get_by_role("link", name="Cart 1 item", exact=True).click()
    expect(ken.get_by_test_id("cart-line")).to_have_count(1)
    expect(ken.get_by_test_id("cart-total")).to_have_text("¥123,456")
    expect(ken.get_by_test_id("cart-tax")).to_have_text(f"¥{TAX:,}")
    step(ken, "cart")
    ken.get_by_test_id("checkout").click()
    expect(ken.get_by_test_id("licence-text")).not_to_be_empty()
    ken.select_option("select[name=intended_use]", "product_development")
    ken.fill("textarea[name=intended_use_detail]", "Training a face detector that works on spacesuits.")
    ken.check("input[name=payment_method][value=demo_card]")
    ken.check("input[name=accept_licence]")
    step(ken, "checkout")
    ken.get_by_test_id("place-order").click()
    ken.fill("input[name=card_number]", "4242 4242 4242 4242")
    step(ken, "demo-card")
    ken.get_by_test_id("demo-pay").click()

    # The order is paid; the worker builds the bundle while the page shows its progress (htmx).
    expect(ken.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    expect(ken.get_by_test_id("order-total")).to_have_text("¥123,456")
    order = Order.objects.get(placed_by__email="ken@vision.example")
    line = order.lines.get()
    delivery = ken.get_by_test_id(f"bundle-{line.pk}")
    expect(ken.get_by_test_id("bundle-progress")).to_be_visible(timeout=20_000)
    expect(ken.get_by_test_id("bundle-state")).to_contain_text("files", timeout=30_000)
    step(ken, "bundle-building")
    expect(ken.get_by_test_id("bundle-download")).to_be_visible(timeout=90_000)
    expect(delivery).to_have_attribute("data-status", "ready")
    expect(ken.get_by_test_id("bundle-state")).to_contain_text("Ready:")
    step(ken, "bundle-ready")

    # The Download button makes a signed link; the browser follows it and saves the ZIP.
    with ken.expect_download() as info:
        ken.get_by_test_id("bundle-download").click()
    download = info.value
    bundle = Bundle.objects.get(order_line=line)
    assert download.suggested_filename == bundle.file_name
    with open(download.path(), "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == bundle.sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    root = f"{SLUG}-v1-annotated/"
    names = archive.namelist()
    assert all(n.startswith(root) for n in names), names
    manifest = archive.read(root + "MANIFEST.sha256").decode()
    listed = {}
    for row in manifest.splitlines():
        digest, path = row.split(maxsplit=1)
        listed[path.lstrip("*")] = digest
    assert set(listed) == {n[len(root) :] for n in names if not n.endswith("/")} - {"MANIFEST.sha256"}
    for path, digest in listed.items():
        assert hashlib.sha256(archive.read(root + path)).hexdigest() == digest, path
    images = sorted(p for p in listed if p.startswith("images/") and p.endswith(".jpg"))
    assert len(images) == 3 and astronaut_file in images
    assert "annotations/coco.json" in listed
    assert "Vision Labs K.K." in archive.read(root + "LICENSE.txt").decode()
    assert bundle.downloads.get().user.email == "ken@vision.example"

    # --- The photographer sees the royalty -------------------------------------------------------
    nav(aiko, "Earnings")
    expect(aiko.get_by_test_id("balance")).to_have_text(f"¥{ROYALTY:,}")
    ledger_row = aiko.get_by_test_id("ledger").locator("tbody tr")
    expect(ledger_row).to_have_count(1)
    expect(ledger_row.first).to_contain_text(f"{TITLE_EN} v1")
    expect(ledger_row.first).to_contain_text("Annotated")
    expect(ledger_row.first).to_contain_text(f"¥{ROYALTY:,}")
    step(aiko, "earnings")

    # --- The person in the photo opens their link and withdraws their whole consent -------------
    eileen = new_person()
    eileen.goto(base + consent_path)
    # Their e-mail is in the language of the form they signed (Japanese) and its link opens the
    # page in it; the switcher keeps the page.
    expect(eileen.locator("html")).to_have_attribute("lang", "ja")
    expect(eileen.get_by_test_id("consent-scopes")).to_contain_text("AI・機械学習の学習への利用")
    eileen.get_by_test_id("lang-en").click()
    expect(eileen.locator("html")).to_have_attribute("lang", "en")
    expect(eileen.get_by_test_id("consent-scopes")).to_contain_text("AI / machine-learning training")
    expect(eileen.get_by_test_id("consent-photos").locator("img")).to_have_count(1)
    expect(eileen.get_by_test_id("recipients")).to_contain_text(f"ビジョンラボ株式会社 — {TITLE_EN} v1")
    step(eileen, "subject-page")
    eileen.get_by_label("Or withdraw my whole consent").check()
    eileen.get_by_test_id("withdraw").click()
    step(eileen, "subject-withdraw-confirm")
    eileen.get_by_test_id("withdraw-confirm").click()
    expect(message(eileen)).to_contain_text("Your withdrawal is recorded")
    expect(eileen.get_by_test_id("withdrawn")).to_be_visible()
    expect(eileen.get_by_test_id("withdraw-form")).to_have_count(0)
    step(eileen, "subject-withdrew")
    release.refresh_from_db()
    assert release.status == ModelRelease.Status.WITHDRAWN

    # --- The next frozen version leaves the photo out --------------------------------------------
    cur.goto(f"{base}/staff/datasets/{SLUG}/curate/")
    cur.get_by_label("Annotated (every face boxed)").check()
    cur.fill("textarea[name=notes]", "Consent withdrawn for one subject")
    cur.get_by_test_id("freeze").click()
    expect(message(cur)).to_have_text("Version 2 frozen with 2 photos.")
    v2_row = cur.get_by_test_id("version-table").locator("tbody tr").first
    expect(v2_row).to_contain_text("v2")
    v2_row.locator("summary").click()
    expect(v2_row.locator("summary")).to_have_text("from v1: +0 / −1")
    expect(v2_row.locator(".file-list code")).to_have_text(astronaut_file.removeprefix("images/"))
    step(cur, "version-2-changes")

    # --- The buyer is told which file to delete --------------------------------------------------
    nav(ken, "Orders")
    ken.get_by_role("link", name=order.number).click()
    notice = ken.get_by_test_id("withdrawal-notice")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("A person in this bundle withdrew their consent.")
    expect(notice.locator("code")).to_have_text(astronaut_file)
    step(ken, "withdrawal-notice")
    notice_mail = delivered(
        smtp_server, lambda m: m.to == ["ken@vision.example"] and "Consent withdrawn" in m.subject, "the notice e-mail"
    )
    assert len(notice_mail) == 1 and astronaut_file in notice_mail[0].body
    ken.goto(f"{base}/datasets/{SLUG}/")
    expect(ken.get_by_test_id("version-number")).to_have_text("2")
    expect(ken.get_by_test_id("changes")).to_contain_text("Since version 1: 0 photos added, 1 removed.")
    step(ken, "dataset-version-2")

    # ... and the photographer is told too.
    nav(aiko, "Notifications")
    expect(aiko.get_by_test_id("notifications")).to_contain_text(f"Subject {release.subject_id} withdrew their consent")
    step(aiko, "contributor-notified")
