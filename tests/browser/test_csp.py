"""Every main page works under the Content-Security-Policy: Chromium reports no violation.

Chromium logs each blocked inline script, inline style or foreign resource to the console
("Refused to ..." or "... violates the following Content Security Policy directive") and fires a ``securitypolicyviolation`` event; both are collected here.
"""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from catalog.models import Dataset
from stockdata.accounts.tests.factories import PASSWORD, ContributorFactory, StaffFactory
from tests.browser.test_box_editor import astronaut_in_a_dataset, consent_scopes  # noqa: F401 (fixture)
from tests.browser.test_catalogue import make_shop
from tests.browser.test_review import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


# Older Chromium says "Refused to apply inline style ...", newer "... violates the following
# Content Security Policy directive ...".
CSP_MESSAGE = re.compile(r"Refused to|Content Security Policy")


class Violations:
    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda msg: self.console.append(msg.text) if CSP_MESSAGE.search(msg.text) else None)

    def visit(self, url: str, ready=None, timeout: float = 5_000) -> None:
        self.page.goto(url)
        if ready is not None:
            expect(ready).to_be_visible(timeout=timeout)
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__csp")
        assert (self.console, events) == ([], []), url


def test_main_pages_raise_no_csp_violation(page, live_server, screenshot):
    base = live_server.url
    seen = Violations(page)
    make_shop()
    dataset = Dataset.objects.get(slug="japanese-faces-masks")

    response = page.request.get(base + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    seen.visit(base + "/", page.get_by_test_id("main-nav"))
    seen.visit(base + "/datasets/", page.get_by_test_id("result-count"))
    # The sort select submits itself (site.js, not an inline handler).
    page.get_by_test_id("sort").select_option(index=1)
    page.wait_for_url("**sort=**")
    seen.visit(f"{base}/datasets/{dataset.slug}/", page.get_by_test_id("chart-mask"))
    bar = page.get_by_test_id("chart-mask").locator("rect.bar").first
    assert float(bar.evaluate("r => r.getBoundingClientRect().width")) > 0
    screenshot(page, "dataset")
    # Swagger UI draws itself once the schema has been generated and fetched: slow on a busy machine.
    seen.visit(base + "/api/docs/", page.locator(".swagger-ui .info"), timeout=60_000)
    screenshot(page, "api-docs")
    # The legal pages, the contact form and the licence, readable by anyone.
    seen.visit(base + "/legal/privacy/", page.get_by_test_id("legal-privacy"))
    seen.visit(base + "/legal/commerce/", page.get_by_test_id("legal-commerce"))
    seen.visit(base + "/contact/", page.get_by_test_id("contact-form"))
    seen.visit(base + "/licences/", page.get_by_test_id("licence-text"))

    contributor = ContributorFactory(email="photographer@example.com")
    log_in(page, base, contributor)
    seen.visit(base + "/portal/upload/", page.get_by_test_id("main-nav"))
    # allauth's own pages, reached from the profile.
    seen.visit(base + "/accounts/profile/", page.get_by_test_id("role"))
    seen.visit(base + "/accounts/email/", page.get_by_test_id("main-nav"))
    seen.visit(base + "/accounts/password/change/", page.get_by_test_id("main-nav"))
    page.context.clear_cookies()


def test_staff_pages_raise_no_csp_violation(page, live_server, screenshot, settings):
    base = live_server.url
    seen = Violations(page)
    staff = StaffFactory(email="curator@example.com", is_superuser=True)
    dataset, _photo = astronaut_in_a_dataset(staff)

    log_in(page, base, staff)
    seen.visit(f"{base}/staff/datasets/{dataset.slug}/annotate/", page.locator("html[data-box-editor=ready]"))
    screenshot(page, "box-editor")
    seen.visit(base + "/admin/", page.locator("#site-name"))
    seen.visit(base + "/admin/accounts/user/", page.locator("#result_list"))
    seen.visit(f"{base}/admin/accounts/user/{staff.pk}/change/", page.locator("#user_form"))
    screenshot(page, "admin")

    # Two-factor setup shows its QR code inline (an SVG drawn by the server), and finishes.
    seen.visit(base + "/accounts/2fa/setup/", page.get_by_test_id("qr-code").locator("svg"))
    screenshot(page, "two-factor-setup")
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", PASSWORD)  # enrolment asks for the password again
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("backup-codes").locator("li")).to_have_count(10)
    backup_code = page.get_by_test_id("backup-codes").locator("code").first.inner_text()
    assert seen.console == [] and page.evaluate("window.__csp") == []

    # A new session: the code prompt comes first (here answered with a backup code), then staff pages open.
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("two-factor-verify")).to_be_visible()
    page.goto(base + "/staff/")
    expect(page.get_by_test_id("two-factor-verify")).to_be_visible()
    page.fill("input[name=code]", backup_code)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(base + "/staff/")
    assert seen.console == [] and page.evaluate("window.__csp") == []
