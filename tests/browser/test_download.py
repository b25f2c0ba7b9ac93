"""A buyer watches their bundle being built by a real worker on the order page, then downloads it."""

import hashlib
import zipfile

import pytest
from playwright.sync_api import expect

from conftest import start_worker, stop_worker
from licensing.delivery import services as bundles
from licensing.delivery.tests.test_bundles import factory_version, make_line
from licensing.models import Bundle
from stockdata.accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_worker(settings):
    from stockdata.celery import app

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = start_worker(extra_env={"STOCKDATA_BUNDLE_THROTTLE_SECONDS": "0.25"})
    try:
        yield worker
    finally:
        stop_worker(worker)
        app.conf.task_always_eager = True


def test_buyer_sees_live_progress_then_downloads_the_bundle(page, live_server, screenshot, slow_worker):
    version = factory_version(photos=16)
    line = make_line(version)
    buyer = line.order.placed_by

    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", buyer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()

    page.goto(f"{live_server.url}/orders/{line.order.uuid}/")
    delivery = page.get_by_test_id(f"bundle-{line.pk}")
    expect(delivery).to_have_attribute("data-status", "none")
    bundles.bundle_request(line=line)  # as payment does; the worker picks it up
    page.reload()
    # The bar moves without a reload (htmx polls the status partial every second).
    expect(page.get_by_test_id("bundle-progress")).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("bundle-state")).to_contain_text("files", timeout=20_000)
    screenshot(page, "building")
    expect(page.get_by_test_id("bundle-download")).to_be_visible(timeout=60_000)
    expect(delivery).to_have_attribute("data-status", "ready")
    screenshot(page, "ready")

    with page.expect_download() as info:
        page.get_by_test_id("bundle-download").click()
    download = info.value
    bundle = Bundle.objects.get(order_line=line)
    assert download.suggested_filename == bundle.file_name
    with open(download.path(), "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == bundle.sha256
    assert zipfile.ZipFile(download.path()).testzip() is None
    assert bundle.downloads.get().user == buyer


@pytest.mark.django_db(transaction=True)
def test_bundle_parts_are_listed_with_their_checksums_and_each_downloads_on_a_phone(
    browser, live_server, screenshot, settings
):
    """A parted bundle on a 390 px wide screen: every part (and the index part) with its name, size
    and SHA-256, each downloading the bytes its checksum names."""
    from django.core.files.storage import default_storage

    version = factory_version(photos=5)
    sizes = sorted(default_storage.size(i.photo.cleaned.name) for i in version.items.select_related("photo"))
    settings.STOCKDATA_BUNDLE_PART_BYTES = sum(sizes[-2:])  # at most two images per part
    line = make_line(version)
    bundles.bundle_request(line=line)  # eager here: the parts, the join, the buyer's tails and index
    bundle = Bundle.objects.get(order_line=line)
    assert bundle.status == Bundle.Status.READY and bundle.parts.count() >= 4

    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", line.order.placed_by.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"{live_server.url}/orders/{line.order.uuid}/")
    expect(page.get_by_test_id("bundle-state")).to_contain_text("parts")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "parts-390")
    for part in bundle.parts.order_by("number"):
        row = page.get_by_test_id(f"bundle-part-{part.number}")
        expect(row).to_contain_text(part.file_name)
        expect(row.get_by_test_id("bundle-part-sha256")).to_have_text(part.sha256)
        with page.expect_download() as info:
            row.get_by_role("button").click()
        assert info.value.suggested_filename == part.file_name
        with open(info.value.path(), "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == part.sha256
    context.close()
