import pytest
from django.core import mail
from django.urls import reverse

from contributors.models import ContributorProfile
from stockdata.accounts.models import Organisation, Role, User
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, ContributorFactory, StaffFactory
from stockdata.mail.models import OutgoingEmail
from stockdata.mail.services import SECRET_ERASED

pytestmark = pytest.mark.django_db

CONTRIBUTOR_NAV = [
    "/datasets/",
    "/portal/",
    "/portal/upload/",
    "/portal/missions/",
    "/portal/photos/",
    "/portal/releases/",
    "/portal/notifications/",
    "/portal/earnings/",
]
BUYER_NAV = ["/datasets/", "/cart/", "/requests/", "/orders/", "/accounts/organisation/"]
STAFF_NAV = ["/datasets/", "/review/", "/review/orders/", "/review/requests/", "/staff/", "/staff/payouts/", "/admin/"]

ROLE_PAGES = {
    "contributor": "/portal/",
    "buyer": "/accounts/organisation/",
    "staff": "/staff/",
}


def nav_links(response) -> list[str]:
    html = response.content.decode()
    start = html.index('data-testid="main-nav"')
    return [chunk.split('"')[0] for chunk in html[start : html.index("</nav>", start)].split('href="')[1:]]


def test_contributor_signs_up_and_lands_in_their_role(client):
    response = client.post(
        "/accounts/signup/contributor/",
        {
            "email": "photog@example.com",
            "full_name": "Aiko Mori",
            "display_name": "aiko.photo",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="photog@example.com")
    assert user.role == Role.CONTRIBUTOR
    assert user.organisation is None
    assert ContributorProfile.objects.get(user=user).display_name == "aiko.photo"
    assert nav_links(client.get("/")) == CONTRIBUTOR_NAV


def test_buyer_signs_up_with_an_organisation(client):
    response = client.post(
        "/accounts/signup/buyer/",
        {
            "email": "ml@corp.example",
            "full_name": "Ken Abe",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "org-name": "Corp Vision",
            "org-kind": "company",
            "org-billing_name": "コープビジョン株式会社",
            "org-billing_address": "大阪市北区1-1",
            "org-country": "JP",
            "org-invoice_registration_number": "T1234567890123",
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="ml@corp.example")
    assert user.role == Role.BUYER
    assert user.organisation.billing_name == "コープビジョン株式会社"
    assert user.organisation.invoice_registration_number == "T1234567890123"
    assert nav_links(client.get("/")) == BUYER_NAV


def test_buyer_signup_refuses_a_malformed_registration_number_and_creates_nothing(client):
    response = client.post(
        "/accounts/signup/buyer/",
        {
            "email": "ml@corp.example",
            "full_name": "Ken Abe",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "org-name": "Corp Vision",
            "org-kind": "company",
            "org-billing_name": "Corp",
            "org-billing_address": "Osaka",
            "org-country": "JP",
            "org-invoice_registration_number": "1234",
        },
    )
    assert response.status_code == 200
    assert "the letter T followed by 13 digits" in response.content.decode()
    assert not User.objects.filter(email="ml@corp.example").exists()
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    "factory, expected_nav",
    [
        (ContributorFactory, CONTRIBUTOR_NAV),
        (BuyerFactory, BUYER_NAV),
        (StaffFactory, STAFF_NAV),
    ],
)
def test_each_role_logs_in_and_sees_only_its_own_navigation(client, factory, expected_nav):
    user = factory()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert nav_links(client.get("/")) == expected_nav


@pytest.mark.parametrize("path", ROLE_PAGES.values())
def test_anonymous_is_redirected_to_login_from_role_pages(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "factory, own_role", [(ContributorFactory, "contributor"), (BuyerFactory, "buyer"), (StaffFactory, "staff")]
)
def test_other_roles_pages_are_not_found(client, factory, own_role):
    client.force_login(factory())
    for role, path in ROLE_PAGES.items():
        expected = 200 if role == own_role else 404
        assert client.get(path).status_code == expected, (role, path)


def test_password_reset_sends_an_email(client, django_capture_on_commit_callbacks):
    user = ContributorFactory(email="forgot@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgot@example.com"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    # Through the outbox like every e-mail; the reset link is not kept once sent.
    email = OutgoingEmail.objects.get()
    assert (email.to, email.status, email.body) == (["forgot@example.com"], OutgoingEmail.Status.SENT, SECRET_ERASED)


def test_buyer_edits_billing_details_of_their_organisation(client):
    buyer = BuyerFactory()
    client.force_login(buyer)
    response = client.post(
        "/accounts/organisation/",
        {
            "name": buyer.organisation.name,
            "kind": "university",
            "billing_name": "New Billing Name",
            "billing_address": "Kyoto",
            "country": "JP",
            "invoice_registration_number": "",
        },
    )
    assert response.status_code == 302
    buyer.organisation.refresh_from_db()
    assert (buyer.organisation.billing_name, buyer.organisation.kind) == ("New Billing Name", "university")


def test_profile_page_shows_role_and_saves_name(client):
    user = ContributorFactory()
    client.force_login(user)
    assert "Contributor" in client.get(reverse("accounts:profile")).content.decode()
    client.post(reverse("accounts:profile"), {"full_name": "New Name"})
    user.refresh_from_db()
    assert user.full_name == "New Name"


def test_home_page_is_translated_to_japanese(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "同意を証明できる" in html
