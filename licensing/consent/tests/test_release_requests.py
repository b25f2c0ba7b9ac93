"""Release requests: the code comes first, each scope is the person's own tick, a minor's guardian signs."""

import io
import re

import pytest
from django.core import mail
from PIL import Image, ImageDraw

from licensing.consent import services
from licensing.consent.models import ContactCode, ReleaseRequest
from licensing.consent.tests.factories import photo_with_people
from stockdata.accounts.tests.factories import ContributorFactory
from stockdata.errors import ApplicationError

pytestmark = pytest.mark.django_db


def drawn(ink: bool = True) -> bytes:
    image = Image.new("RGB", (300, 100), "white")
    if ink:
        ImageDraw.Draw(image).line([(10, 50), (100, 20), (200, 80), (290, 30)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def request_(django_capture_on_commit_callbacks):
    contributor = ContributorFactory()
    photo = photo_with_people(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        req, _path = services.release_request_create(
            contributor=contributor,
            subject_name="Ito Jun",
            email="jun@example.jp",
            is_minor=True,
            subjects=[photo.subjects.get()],
        )
    return req


def confirm(req, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.release_request_code_send(request=req)
    code = re.search(r"(\d{6})$", mail.outbox[-1].subject).group(1)
    return services.release_request_code_check(request=req, code=code)


def test_signature_counts_only_after_the_code_and_a_minor_needs_the_guardian(
    request_, django_capture_on_commit_callbacks
):
    with pytest.raises(ApplicationError, match="Confirm your e-mail address with the code first"):
        services.release_request_sign(
            request=request_, scopes=["publication"], full_name="Ito Jun", signature_png=drawn()
        )
    # Wrong codes: five tries end the code.
    with django_capture_on_commit_callbacks(execute=True):
        services.release_request_code_send(request=request_)
    for _ in range(5):
        with pytest.raises(ApplicationError, match="That code is not right"):
            services.release_request_code_check(
                request=request_, code="000000" if "000000" not in mail.outbox[-1].subject else "111111"
            )
    assert ContactCode.objects.get(request=request_).used_at is not None
    req = confirm(request_, django_capture_on_commit_callbacks)

    with pytest.raises(ApplicationError, match="Draw the signature"):
        services.release_request_sign(
            request=req, scopes=["publication"], full_name="Ito Jun", signature_png=drawn(False)
        )
    with pytest.raises(ApplicationError, match="guardian's name and relation"):
        services.release_request_sign(request=req, scopes=["publication"], full_name="Ito Jun", signature_png=drawn())
    with pytest.raises(ApplicationError, match="Draw the signature"):
        services.release_request_sign(
            request=req,
            scopes=["publication"],
            full_name="Ito Jun",
            signature_png=drawn(),
            guardian_name="Ito Kei",
            guardian_relation="father",
        )
    with pytest.raises(ApplicationError, match="Tick at least one use"):
        services.release_request_sign(request=req, scopes=[], full_name="Ito Jun", signature_png=drawn())
    release = services.release_request_sign(
        request=req,
        scopes=["publication", "ai_training"],
        full_name="Ito Jun",
        signature_png=drawn(),
        guardian_name="Ito Kei",
        guardian_relation="father",
        guardian_signature_png=drawn(),
    )
    assert (release.is_minor, release.guardian_signed, release.guardian_name, release.guardian_relation) == (
        True,
        True,
        "Ito Kei",
        "father",
    )
    assert release.guardian_signature.name.endswith(".png")
    assert ReleaseRequest.objects.get(pk=req.pk).status == "signed"
    with pytest.raises(ApplicationError, match="already signed"):
        services.release_request_sign(request=req, scopes=["publication"], full_name="x", signature_png=drawn())


def test_daily_flow_request_a_release_from_the_photo_page_preselects_the_person(client):
    from django.urls import reverse

    contributor = ContributorFactory()
    photo = photo_with_people(contributor, people=2)
    first, second = photo.subjects.order_by("position")
    client.force_login(contributor)
    url = reverse("licensing:release_request")
    page = client.get(url, {"photo": str(photo.uuid), "person": "1"})
    assert page.status_code == 200
    assert page.context["form"].initial["subjects"] == [str(first.pk)]
    assert page.context["form"].initial["shoot_date"] == photo.shoot_date
    page = client.get(url, {"photo": str(photo.uuid), "person": "2"})
    assert page.context["form"].initial["subjects"] == [str(second.pk)]
    # Another contributor's photo preselects nothing.
    client.force_login(ContributorFactory())
    assert "subjects" not in client.get(url, {"photo": str(photo.uuid), "person": "1"}).context["form"].initial
