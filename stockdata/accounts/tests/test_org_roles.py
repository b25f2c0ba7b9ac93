"""Organisation members and roles, invitations, and removal.

Every page and API operation against every role is in the access matrix
(``stockdata/tests/access_table.py``: purchaser A, downloader A and compliance A beside buyer A,
the owner); these tests state the rules one by one, through the real pages, the real outbox and,
for removal, a real bundle on the storage.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from licensing.delivery.tests.test_bundles import build, factory_version, make_line
from licensing.models import DownloadLink, OrderLine
from stockdata.accounts import services
from stockdata.accounts.models import MembershipEvent, OrganisationInvitation, OrgRole, Role, User
from stockdata.accounts.permissions import has_org_role
from stockdata.accounts.tests.factories import (
    PASSWORD,
    BuyerFactory,
    ContributorFactory,
    OrganisationFactory,
    StaffFactory,
)
from stockdata.accounts.tokens import api_token_issue
from stockdata.errors import ApplicationError, ErrorCode

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/invitation/(\S+)/")


def login(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def invite(owner, email: str, role: str, django_capture_on_commit_callbacks) -> str:
    """The owner invites through the members page; the token from the e-mail that went out."""
    with django_capture_on_commit_callbacks(execute=True):
        response = login(owner).post(reverse("accounts:member_invite"), {"email": email, "role": role})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:organisation")
    sent = [m for m in mail.outbox if m.to == [email]]
    assert len(sent) == 1, [m.to for m in mail.outbox]
    match = LINK.search(sent[-1].body)
    assert match, sent[-1].body
    return match.group(1)


# --- Roles --------------------------------------------------------------------------------------


def test_org_role_owner_holds_every_role_the_others_only_their_own():
    org = OrganisationFactory()
    members = {role: BuyerFactory(organisation=org, organisation_role=role) for role in OrgRole.values}
    expected = {
        OrgRole.OWNER: set(OrgRole.values),
        OrgRole.PURCHASER: {"purchaser"},
        OrgRole.DOWNLOADER: {"downloader"},
        OrgRole.COMPLIANCE: {"compliance"},
    }
    for role, member in members.items():
        held = {r for r in OrgRole.values if has_org_role(member, org, r)}
        assert held == expected[role], role
        assert not any(has_org_role(member, OrganisationFactory(), r) for r in OrgRole.values)  # another org
    for outsider in (ContributorFactory(), StaffFactory(), User(role=Role.BUYER)):
        assert not any(has_org_role(outsider, org, r) for r in OrgRole.values)


def test_org_role_existing_members_become_owners_by_the_data_migration():
    migration = importlib.import_module("stockdata.accounts.migrations.0006_organisation_roles_and_invitations")
    member = BuyerFactory()
    User.objects.filter(pk=member.pk).update(organisation_role=OrgRole.DOWNLOADER)
    contributor = ContributorFactory()
    migration.members_become_owners(django_apps, None)
    member.refresh_from_db()
    assert member.organisation_role == OrgRole.OWNER
    assert has_org_role(member, member.organisation, OrgRole.PURCHASER)
    assert not has_org_role(User.objects.get(pk=contributor.pk), member.organisation, OrgRole.OWNER)


def test_org_role_a_member_refused_a_page_is_told_which_role_it_needs():
    downloader = BuyerFactory(organisation_role=OrgRole.DOWNLOADER)
    response = login(downloader).get(reverse("licensing:cart"))
    assert response.status_code == 403
    text = response.content.decode()
    assert "Your role in your organisation is Downloader. This page needs: Purchaser." in text
    api = Client().get(reverse("api:cart"), HTTP_AUTHORIZATION=f"Token {api_token_issue(user=downloader)[1]}")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "permission_denied"


def test_org_role_only_a_purchaser_or_owner_can_put_anything_in_the_cart():
    from catalog.models import Edition
    from catalog.tests.factories import DatasetFactory
    from licensing.commerce import services as commerce

    dataset = DatasetFactory()
    for role in (OrgRole.DOWNLOADER, OrgRole.COMPLIANCE):
        with pytest.raises(ApplicationError) as refused:
            commerce.cart_add(user=BuyerFactory(organisation_role=role), dataset=dataset, edition=Edition.UNEDITED)
        assert (refused.value.code, refused.value.status) == (ErrorCode.PERMISSION_DENIED, 403)


def test_org_role_the_last_owner_stays():
    owner = BuyerFactory()
    org = owner.organisation
    with pytest.raises(ApplicationError) as refused:
        services.member_role_change(organisation=org, member_id=owner.pk, role=OrgRole.PURCHASER, actor=owner)
    assert refused.value.code == ErrorCode.LAST_OWNER
    with pytest.raises(ApplicationError) as refused:
        services.member_remove(organisation=org, member_id=owner.pk, actor=owner)
    assert refused.value.code == ErrorCode.LAST_OWNER
    second = BuyerFactory(organisation=org, organisation_role=OrgRole.OWNER)
    services.member_role_change(organisation=org, member_id=owner.pk, role=OrgRole.COMPLIANCE, actor=second)
    owner.refresh_from_db()
    assert owner.organisation_role == OrgRole.COMPLIANCE


def test_org_role_an_owner_cannot_touch_another_organisations_member():
    owner, stranger = BuyerFactory(), BuyerFactory(organisation_role=OrgRole.PURCHASER)
    client = login(owner)
    assert client.post(reverse("accounts:member_remove", args=[stranger.pk])).status_code == 404
    assert client.post(reverse("accounts:member_role", args=[stranger.pk]), {"role": "owner"}).status_code == 404
    stranger.refresh_from_db()
    assert (stranger.is_active, stranger.organisation_role) == (True, OrgRole.PURCHASER)


# --- Invitations ----------------------------------------------------------------------------------


def test_invitation_signed_up_invitee_joins_with_the_role(django_capture_on_commit_callbacks):
    owner = BuyerFactory(full_name="Taro Tanaka")
    token = invite(owner, "aya@example.com", OrgRole.COMPLIANCE, django_capture_on_commit_callbacks)
    page = Client().get(reverse("accounts:invitation", args=[token]))
    assert page.status_code == 200
    assert f"Taro Tanaka invites you to join {owner.organisation.name} as Compliance." in page.content.decode()
    client = Client()
    response = client.post(
        reverse("accounts:invitation_signup", args=[token]),
        {
            "email": "aya@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "Aya Nakamura",
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    aya = User.objects.get(email="aya@example.com")
    assert (aya.role, aya.organisation, aya.organisation_role) == (Role.BUYER, owner.organisation, OrgRole.COMPLIANCE)
    invitation = OrganisationInvitation.objects.get()
    assert invitation.accepted_by == aya and invitation.accepted_at is not None
    event = MembershipEvent.objects.get()
    assert (event.member, event.actor, event.kind, event.role) == (aya, owner, "joined", "compliance")
    # A compliance member reads the orders but does not buy.
    assert client.get(reverse("licensing:order_list")).status_code == 200
    assert client.get(reverse("licensing:cart")).status_code == 403


def test_invitation_a_member_of_another_organisation_is_told_to_leave_it_first(django_capture_on_commit_callbacks):
    owner = BuyerFactory()
    token = invite(owner, "mika@example.com", OrgRole.PURCHASER, django_capture_on_commit_callbacks)
    mika = BuyerFactory(email="mika@example.com")
    response = login(mika).post(reverse("accounts:invitation", args=[token]))
    assert response.status_code == 409
    assert "You already belong to an organisation. Ask its owner to remove you first." in response.content.decode()
    mika.refresh_from_db()
    assert mika.organisation != owner.organisation
    assert OrganisationInvitation.objects.get().accepted_at is None


def test_invitation_used_twice_is_refused(django_capture_on_commit_callbacks):
    owner = BuyerFactory()
    token = invite(owner, "once@example.com", OrgRole.DOWNLOADER, django_capture_on_commit_callbacks)
    first = User(email="once@example.com")
    first.set_password(PASSWORD)
    services.invitation_accept(token=token, user=first)
    response = Client().get(reverse("accounts:invitation", args=[token]))
    assert response.status_code == 410
    assert "This invitation was already used or withdrawn." in response.content.decode()
    with pytest.raises(ApplicationError) as refused:
        services.invitation_accept(token=token, user=User(email="once@example.com"))
    assert refused.value.code == ErrorCode.INVITATION_USED
    assert User.objects.filter(email="once@example.com").count() == 1


def test_invitation_expired_is_refused(django_capture_on_commit_callbacks):
    owner = BuyerFactory()
    token = invite(owner, "late@example.com", OrgRole.PURCHASER, django_capture_on_commit_callbacks)
    OrganisationInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(reverse("accounts:invitation_signup", args=[token]))
    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()
    with pytest.raises(ApplicationError) as refused:
        services.invitation_accept(token=token, user=User(email="late@example.com"))
    assert refused.value.code == ErrorCode.INVITATION_EXPIRED
    assert not User.objects.filter(email="late@example.com").exists()


def test_invitation_for_another_address_is_refused(django_capture_on_commit_callbacks):
    owner = BuyerFactory()
    token = invite(owner, "right@example.com", OrgRole.PURCHASER, django_capture_on_commit_callbacks)
    # Signed in with another address: refused, nothing changes.
    other = BuyerFactory(email="wrong@example.com")
    response = login(other).post(reverse("accounts:invitation", args=[token]))
    assert response.status_code == 403
    assert "This invitation is for right@example.com." in response.content.decode()
    other.refresh_from_db()
    assert other.organisation != owner.organisation
    # Signing up with another address: the form says so.
    response = Client().post(
        reverse("accounts:invitation_signup", args=[token]),
        {
            "email": "wrong2@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "W",
            "accept_terms": "on",
        },
    )
    assert response.status_code == 200
    assert "This invitation is for right@example.com." in response.content.decode()
    assert not User.objects.filter(email="wrong2@example.com").exists()
    assert OrganisationInvitation.objects.get().accepted_at is None


def test_invitation_with_a_tampered_token_is_refused(django_capture_on_commit_callbacks):
    owner = BuyerFactory()
    token = invite(owner, "t@example.com", OrgRole.PURCHASER, django_capture_on_commit_callbacks)
    response = Client().get(reverse("accounts:invitation", args=[token[:-2] + ("AA" if token[-2:] != "AA" else "BB")]))
    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()


def test_invitation_a_university_admits_only_its_domains(django_capture_on_commit_callbacks):
    owner = BuyerFactory(email="prof@kit.ac.jp")
    org = owner.organisation
    org.email_domains = "kit.ac.jp"
    org.save(update_fields=["email_domains"])
    with pytest.raises(ApplicationError) as refused:
        services.invitation_send(organisation=org, invited_by=owner, email="student@gmail.com", role="downloader")
    assert refused.value.code == ErrorCode.EMAIL_DOMAIN
    assert not OrganisationInvitation.objects.exists()
    token = invite(owner, "student@lab.kit.ac.jp", OrgRole.DOWNLOADER, django_capture_on_commit_callbacks)
    # The domains narrowed after the invitation went out: the invitee is refused at the door too.
    org.email_domains = "med.kit.ac.jp"
    org.save(update_fields=["email_domains"])
    with pytest.raises(ApplicationError) as refused:
        services.invitation_accept(token=token, user=User(email="student@lab.kit.ac.jp"))
    assert refused.value.code == ErrorCode.EMAIL_DOMAIN


def test_invitation_a_contributor_account_cannot_join(django_capture_on_commit_callbacks):
    owner = BuyerFactory()
    token = invite(owner, "photo@example.com", OrgRole.PURCHASER, django_capture_on_commit_callbacks)
    contributor = ContributorFactory(email="photo@example.com")
    response = login(contributor).post(reverse("accounts:invitation", args=[token]))
    assert response.status_code == 403
    contributor.refresh_from_db()
    assert (contributor.role, contributor.organisation) == (Role.CONTRIBUTOR, None)


def test_invitation_only_an_owner_invites(django_capture_on_commit_callbacks):
    purchaser = BuyerFactory(organisation_role=OrgRole.PURCHASER)
    response = login(purchaser).post(reverse("accounts:member_invite"), {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 403
    assert not OrganisationInvitation.objects.exists()


# --- Removal ----------------------------------------------------------------------------------------


@pytest.fixture
def delivered(db, django_capture_on_commit_callbacks):
    version = factory_version(photos=2)
    line = make_line(version)
    build(line, django_capture_on_commit_callbacks)
    return OrderLine.objects.get(pk=line.pk)


def test_org_role_a_removed_members_download_link_and_token_stop_working_at_once(delivered):
    org = delivered.order.organisation
    owner = delivered.order.placed_by
    downloader = BuyerFactory(organisation=org, organisation_role=OrgRole.DOWNLOADER)
    client = login(downloader)
    link = client.post(reverse("licensing:bundle_download", args=[delivered.order.uuid, delivered.pk]))["Location"]
    _token, key = api_token_issue(user=downloader, name="laptop")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api:order-list")).status_code == 200

    response = login(owner).post(reverse("accounts:member_remove", args=[downloader.pk]))
    assert response.status_code == 302

    assert client.get(link).status_code == 404  # the session ended with the membership
    refused = api.get(reverse("api:order-list"))
    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "authentication_failed", refused.json()
    assert not Client().login(email=downloader.email, password=PASSWORD)
    assert DownloadLink.objects.get(user=downloader).expires_at <= timezone.now()
    downloader.refresh_from_db()
    assert (downloader.is_active, downloader.organisation_id) == (False, None)
    event = MembershipEvent.objects.get(kind="removed")
    assert (event.member, event.actor, event.organisation, event.role) == (downloader, owner, org, "downloader")


def test_org_role_a_member_moved_out_of_downloading_loses_the_link(delivered):
    org = delivered.order.organisation
    downloader = BuyerFactory(organisation=org, organisation_role=OrgRole.DOWNLOADER)
    client = login(downloader)
    url = reverse("licensing:bundle_download", args=[delivered.order.uuid, delivered.pk])
    link = client.post(url)["Location"]
    services.member_role_change(
        organisation=org, member_id=downloader.pk, role=OrgRole.COMPLIANCE, actor=delivered.order.placed_by
    )
    assert client.get(link).status_code == 404
    assert client.post(url).status_code == 403
    assert "does not include downloading" in client.post(url).content.decode()


def test_org_role_only_members_who_may_download_see_the_download_buttons(delivered):
    org = delivered.order.organisation
    order_pages = (
        reverse("licensing:order_list"),
        reverse("licensing:order_detail", args=[delivered.order.uuid]),
        reverse("licensing:bundle_status", args=[delivered.order.uuid, delivered.pk]),
    )
    for role, shown in (
        (OrgRole.DOWNLOADER, True),
        (OrgRole.OWNER, True),
        (OrgRole.COMPLIANCE, False),
        (OrgRole.PURCHASER, False),
    ):
        client = login(BuyerFactory(organisation=org, organisation_role=role))
        for page in order_pages:
            html = client.get(page).content.decode()
            has_button = 'data-testid="order-line-download"' in html or 'data-testid="bundle-download"' in html
            assert has_button is shown, (role, page)
