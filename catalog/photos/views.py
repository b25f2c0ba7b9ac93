"""A photo's thumbnail and preview before approval: only for its contributor and staff.

Until a reviewer approves a photo, and again once a person in it withdraws consent to publication,
its derivatives live in the private storage (``catalog.photos.services.review.derived_publish`` and
``derived_unpublish`` move them); ``Photo.thumbnail_url``
and ``Photo.preview_url`` point here meanwhile. Anyone else gets 404, as for a missing photo.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from catalog.models import Photo
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import user_has_role


@require_GET
def photo_derived(request, uuid, kind):
    photo = get_object_or_404(Photo, uuid=uuid)
    field = getattr(photo, kind)
    if not field:
        raise Http404
    if photo.derived_public:
        return HttpResponseRedirect(field.url)
    user = request.user
    if not (user.is_authenticated and (photo.contributor_id == user.pk or user_has_role(user, Role.STAFF))):
        raise Http404
    if not default_storage.exists(field.name):
        raise Http404
    response = FileResponse(default_storage.open(field.name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
