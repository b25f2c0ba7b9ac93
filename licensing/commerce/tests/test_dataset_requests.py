"""Datasets made to order: a buyer's request, staff's offer or refusal, the quotation, and the
mission contributors shoot for, counted from the records (review status and consent) at each read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Photo, PhotoSubject
from catalog.tests.factories import PhotoFactory
from licensing.commerce import selectors, services
from licensing.commerce.models import DatasetRequest, MissionPhoto, Quotation
from licensing.consent import services as consent_services
from licensing.consent.tests.factories import attach, make_release
from stockdata.accounts.models import OrgRole
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, ContributorFactory, StaffFactory
from stockdata.errors import ApplicationError, ErrorCode

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def submit(user, **overrides) -> DatasetRequest:
    fields = {
        "title": "People over 60 wearing masks",
        "photo_count": 200,
        "deadline": timezone.localdate() + timedelta(days=60),
        "budget": 1_650_000,
        "required_scopes": ["ai_training", "biometric"],
        "age_bands": ["60plus"],
        "mask": "yes",
        "annotated": True,
    }
    return services.dataset_request_submit(user=user, **(fields | overrides))


def offered(request, **overrides) -> DatasetRequest:
    fields = {"price": 1_320_000, "delivery_on": timezone.localdate() + timedelta(days=90), "bonus_per_photo": 500}
    return services.dataset_request_offer(request=request, staff=StaffFactory(), **(fields | overrides))


# --- Requests ------------------------------------------------------------------------------------


def test_dataset_request_a_purchaser_asks_through_the_page_and_sees_it():
    purchaser = BuyerFactory(organisation_role=OrgRole.PURCHASER)
    client = login(purchaser)
    deadline = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        reverse("licensing:dataset_request_create"),
        {
            "title": "People over 60 wearing masks",
            "photo_count": "200",
            "age_bands": ["60plus"],
            "mask": "yes",
            "required_scopes": ["ai_training", "biometric"],
            "deadline": deadline,
            "budget": "1650000",
            "annotated": "on",
            "description": "Elderly care robot, Japan.",
        },
    )
    assert response.status_code == 302
    request = DatasetRequest.objects.get()
    assert response["Location"] == reverse("licensing:dataset_request", args=[request.uuid])
    assert (request.organisation, request.requested_by, request.status) == (
        purchaser.organisation,
        purchaser,
        DatasetRequest.Status.SUBMITTED,
    )
    assert (request.photo_count, request.budget, request.age_bands, request.mask, request.annotated) == (
        200,
        1_650_000,
        ["60plus"],
        "yes",
        True,
    )
    assert request.required_scopes == ["ai_training", "biometric"]
    page = client.get(response["Location"]).content.decode()
    assert "People over 60 wearing masks" in page and "¥1,650,000" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"photo_count": 0}, "photo_count", "Ask for between 1 and 100,000 photos."),
        ({"budget": -1}, "budget", "Give the budget in whole yen."),
        ({"deadline": timezone.localdate()}, "deadline", "Choose a deadline after today."),
        ({"required_scopes": []}, "required_scopes", "Choose the consent every person in the photos must give."),
        ({"required_scopes": ["telepathy"]}, "required_scopes", "Unknown value: telepathy."),
        ({"age_bands": ["90s"]}, "age_bands", "Unknown value: 90s."),
        ({"title": "  "}, "title", "Give the request a title."),
    ],
)
def test_dataset_request_bad_input_is_refused_and_nothing_is_saved(overrides, field, message):
    with pytest.raises(ApplicationError) as refused:
        submit(BuyerFactory(), **overrides)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert not DatasetRequest.objects.exists()


def test_dataset_request_only_owners_and_purchasers_ask():
    for role in (OrgRole.DOWNLOADER, OrgRole.COMPLIANCE):
        with pytest.raises(ApplicationError) as refused:
            submit(BuyerFactory(organisation_role=role))
        assert refused.value.code == ErrorCode.PERMISSION_DENIED
        assert login(BuyerFactory(organisation_role=role)).get(reverse("licensing:dataset_requests")).status_code == 403
    with pytest.raises(ApplicationError):
        submit(ContributorFactory())


def test_dataset_request_another_organisations_request_is_404():
    request = submit(BuyerFactory())
    stranger = login(BuyerFactory())
    for name in ("licensing:dataset_request", "licensing:dataset_request_progress"):
        assert stranger.get(reverse(name, args=[request.uuid])).status_code == 404
    assert stranger.post(reverse("licensing:dataset_request_accept", args=[request.uuid])).status_code == 404


def test_dataset_request_staff_decline_with_a_reason_the_buyer_reads():
    buyer = BuyerFactory()
    request = submit(buyer)
    staff = login(StaffFactory())
    url = reverse("licensing:staff_dataset_request", args=[request.uuid])
    response = staff.post(url, {"action": "decline", "reason": ""})
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.status == DatasetRequest.Status.SUBMITTED
    assert (
        staff.post(url, {"action": "decline", "reason": "We cannot reach 200 people over 60 by then."}).status_code
        == 302
    )
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == ("declined", "We cannot reach 200 people over 60 by then.")
    page = login(buyer).get(reverse("licensing:dataset_request", args=[request.uuid])).content.decode()
    assert "We cannot reach 200 people over 60 by then." in page
    with pytest.raises(ApplicationError) as refused:
        offered(request)
    assert refused.value.code == ErrorCode.REQUEST_TRANSITION_REFUSED


def test_dataset_request_staff_offer_then_the_buyer_accepts_it_as_a_quotation():
    buyer = BuyerFactory()
    request = submit(buyer)
    staff = login(StaffFactory())
    delivery = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = staff.post(
        reverse("licensing:staff_dataset_request", args=[request.uuid]),
        {
            "action": "offer",
            "price": "1320000",
            "delivery_on": delivery,
            "bonus_per_photo": "500",
            "exclusive_days": "180",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.offer_price, request.bonus_per_photo, request.exclusive_days) == (
        "offered",
        1_320_000,
        500,
        180,
    )
    client = login(buyer)
    response = client.post(reverse("licensing:dataset_request_accept", args=[request.uuid]))
    quotation = Quotation.objects.get()
    assert response["Location"] == reverse("licensing:quotation", args=[quotation.number])
    # One line at the offered price; tax contained in ¥1,320,000 at 10 % is floor(1,320,000 × 10 / 110).
    assert (quotation.total, quotation.tax, quotation.organisation) == (1_320_000, 120_000, buyer.organisation)
    (line,) = quotation.lines
    assert (line["amount"], line["tax"], line["net"], line["request"]) == (
        1_320_000,
        120_000,
        1_200_000,
        str(request.uuid),
    )
    assert line["title"] == "Made-to-order dataset “People over 60 wearing masks”: 200 photos, annotated"
    request.refresh_from_db()
    assert (request.status, request.quotation) == ("accepted", quotation)
    page = client.get(response["Location"]).content.decode()
    assert "made-to-order dataset" in page and "quotation-order" not in page
    # Accepting twice is refused; so is ordering the quotation before the dataset exists.
    again = client.post(reverse("licensing:dataset_request_accept", args=[request.uuid]))
    assert again.status_code == 302 and Quotation.objects.count() == 1
    with pytest.raises(ApplicationError) as refused:
        services.quotation_check(user=buyer, quotation=quotation)
    assert "made-to-order dataset" in refused.value.message


def test_dataset_request_offer_bonuses_never_exceed_the_price():
    request = submit(BuyerFactory(), photo_count=200)
    with pytest.raises(ApplicationError) as refused:
        offered(request, price=99_999, bonus_per_photo=500)  # 200 × 500 = 100,000
    assert refused.value.field == "bonus_per_photo"


def test_dataset_request_a_downloader_cannot_accept_the_offer():
    owner = BuyerFactory()
    request = offered(submit(owner))
    downloader = BuyerFactory(organisation=owner.organisation, organisation_role=OrgRole.DOWNLOADER)
    with pytest.raises(ApplicationError) as refused:
        services.dataset_request_accept(request=request, user=downloader)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert login(downloader).post(reverse("licensing:dataset_request_accept", args=[request.uuid])).status_code == 403
    request.refresh_from_db()
    assert request.status == "offered"


# --- Missions ---------------------------------------------------------------------------------------


def photo_of(
    contributor, *, people=(("60plus", True),), scopes=("publication", "ai_training", "biometric"), status=None
):
    """A photo with these people (age band, mask), each with their own approved release of ``scopes``."""
    consent_services.consent_scopes_ensure()
    photo = PhotoFactory(contributor=contributor, status=status or Photo.Status.APPROVED)
    reviewer = StaffFactory()
    releases = []
    for position, (age_band, mask) in enumerate(people, start=1):
        PhotoSubject.objects.create(photo=photo, position=position, age_band=age_band, mask=mask)
        release = make_release(contributor, scopes=scopes, approve_by=reviewer)
        attach(release, photo, position)
        releases.append(release)
    return photo, releases


def enter(request, contributor, *photos) -> int:
    return services.mission_photos_add(request=request, contributor=contributor, photo_uuids=[p.uuid for p in photos])


def test_mission_counts_only_approved_photos_whose_every_subject_granted_the_scopes():
    request = offered(submit(BuyerFactory(), photo_count=10))
    contributor = ContributorFactory()
    counts, _ = photo_of(contributor)
    pending, _ = photo_of(contributor, status=Photo.Status.SUBMITTED)
    one_lacks, _ = photo_of(contributor, people=(("60plus", True), ("60plus", True)))
    # The second person of this photo consented to publication and AI training, not biometrics.
    second = one_lacks.subjects.get(position=2)
    second.release_link.delete()
    attach(make_release(contributor, scopes=("publication", "ai_training"), approve_by=StaffFactory()), one_lacks, 2)
    too_young, _ = photo_of(contributor, people=(("30s", True),))
    unmasked, _ = photo_of(contributor, people=(("60plus", False),))
    assert enter(request, contributor, counts, pending, one_lacks, too_young, unmasked) == 5
    progress = selectors.mission_progress(request)
    assert (progress.counted, progress.counted_photo_ids, progress.entered, progress.remaining) == (
        1,
        [counts.pk],
        5,
        9,
    )
    # Approval of the pending one makes it count; nothing is stored, the count is read from the records.
    Photo.objects.filter(pk=pending.pk).update(status=Photo.Status.APPROVED)
    assert selectors.mission_progress(request).counted_photo_ids == sorted([counts.pk, pending.pk])


def test_mission_a_photo_stops_counting_after_a_subject_withdraws():
    request = offered(submit(BuyerFactory(), photo_count=4))
    contributor = ContributorFactory()
    photo, (release,) = photo_of(contributor)
    other, _ = photo_of(contributor)
    enter(request, contributor, photo, other)
    assert selectors.mission_progress(request).counted == 2
    consent_services.consent_withdraw(release=release, scopes=["biometric"])
    progress = selectors.mission_progress(request)
    assert (progress.counted, progress.counted_photo_ids, progress.percent) == (1, [other.pk], 25)


def test_mission_remaining_by_attribute_adds_up_to_the_count():
    request = offered(submit(BuyerFactory(), photo_count=201, age_bands=["50s", "60plus"], mask="yes"))
    contributor = ContributorFactory()
    photos = [photo_of(contributor, people=(("60plus", True),))[0] for _ in range(3)]
    enter(request, contributor, *photos)
    progress = selectors.mission_progress(request)
    assert progress.remaining_by_attribute == [
        ("age_band", "50s", "50s", 101, 101),
        ("age_band", "60plus", "60 and over", 100, 97),
    ]
    assert sum(target for _a, _v, _l, target, _left in progress.remaining_by_attribute) == 201
    html = login(ContributorFactory()).get(reverse("contributors:mission_progress", args=[request.uuid])).content
    assert "60 and over: 97 of 100 still needed" in html.decode()


def test_mission_contributors_see_the_brief_without_the_buyers_name_unless_allowed():
    buyer = BuyerFactory()
    hidden = offered(submit(buyer, title="Hidden buyer"))
    shown = offered(submit(buyer, title="Named buyer", show_buyer_name=True))
    submit(buyer, title="Not yet reviewed")
    contributor = ContributorFactory()
    client = login(contributor)
    page = client.get(reverse("contributors:missions")).content.decode()
    assert "Hidden buyer" in page and "Named buyer" in page and "Not yet reviewed" not in page
    assert page.count(buyer.organisation.name) == 1
    detail = client.get(reverse("contributors:mission_detail", args=[hidden.uuid])).content.decode()
    assert buyer.organisation.name not in detail and "For a buyer who prefers not to be named" in detail
    assert "¥500 for each photo that counts." in detail and "Budget" not in detail
    assert (
        buyer.organisation.name
        in client.get(reverse("contributors:mission_detail", args=[shown.uuid])).content.decode()
    )
    # A request not (yet) a mission is not one: 404.
    submitted = DatasetRequest.objects.get(title="Not yet reviewed")
    assert client.get(reverse("contributors:mission_detail", args=[submitted.uuid])).status_code == 404


def test_mission_progress_bar_moves_for_the_contributor_and_the_buyer():
    buyer = BuyerFactory()
    request = offered(submit(buyer, photo_count=4))
    contributor = ContributorFactory()
    photo, _ = photo_of(contributor)
    contributor_client, buyer_client = login(contributor), login(buyer)
    contributor_url = reverse("contributors:mission_progress", args=[request.uuid])
    buyer_url = reverse("licensing:dataset_request_progress", args=[request.uuid])
    for client, url in ((contributor_client, contributor_url), (buyer_client, buyer_url)):
        assert 'aria-valuenow="0"' in client.get(url).content.decode()
    response = contributor_client.post(
        reverse("contributors:mission_detail", args=[request.uuid]), {"photos": [str(photo.uuid)]}
    )
    assert response.status_code == 302
    assert MissionPhoto.objects.get().photo == photo
    for client, url in ((contributor_client, contributor_url), (buyer_client, buyer_url)):
        html = client.get(url).content.decode()
        assert 'aria-valuenow="1"' in html and 'width="25%"' in html


def test_mission_a_contributor_enters_only_their_own_photos():
    request = offered(submit(BuyerFactory()))
    mine, _ = photo_of(ContributorFactory())
    with pytest.raises(ApplicationError) as refused:
        enter(request, ContributorFactory(), mine)
    assert refused.value.code == ErrorCode.EMPTY_SELECTION
    assert not MissionPhoto.objects.exists()
