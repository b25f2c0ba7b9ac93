"""Missions: buyers' dataset requests that staff accepted, as briefs contributors shoot for.

The brief never names the buyer unless the buyer allowed it. A contributor enters their own
photos for a mission; they go through the same upload, review and consent as any other, and
only approved photos whose every person granted the required scopes count.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext
from django.views import View

from catalog.models import Photo
from licensing.commerce import selectors, services
from licensing.commerce.models import MissionPhoto
from licensing.consent.models import ConsentScope
from stockdata.accounts.permissions import ContributorRequiredMixin
from stockdata.errors import ApplicationError

#: Photos offered for entering at once, newest first.
CANDIDATES = 50


def _mission_or_404(uuid):
    return get_object_or_404(selectors.open_missions(), uuid=uuid)


class MissionListView(ContributorRequiredMixin, View):
    def get(self, request):
        missions = [(mission, selectors.mission_progress(mission)) for mission in selectors.open_missions()[:50]]
        return render(request, "contributors/missions.html", {"missions": missions})


class MissionDetailView(ContributorRequiredMixin, View):
    def get(self, request, uuid):
        mission = _mission_or_404(uuid)
        entered = set(
            MissionPhoto.objects.filter(request=mission, photo__contributor=request.user).values_list(
                "photo_id", flat=True
            )
        )
        photos = Photo.objects.filter(contributor=request.user).exclude(status=Photo.Status.REJECTED).order_by("-pk")
        names = {s.code: s.name for s in ConsentScope.objects.filter(code__in=mission.required_scopes)}
        context = {
            "mission": mission,
            "scopes": [names.get(code, code) for code in mission.required_scopes],
            "progress": selectors.mission_progress(mission),
            "entered_count": len(entered),
            "entered": Photo.objects.filter(pk__in=entered).order_by("-pk")[:20],
            # The newest photos not entered yet (a mission is shot for: new uploads come first).
            "candidates": photos.exclude(pk__in=entered)[:CANDIDATES],
        }
        return render(request, "contributors/mission_detail.html", context)

    def post(self, request, uuid):
        mission = _mission_or_404(uuid)
        try:
            added = services.mission_photos_add(
                request=mission, contributor=request.user, photo_uuids=request.POST.getlist("photos")
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext("%(count)d photo entered for the mission.", "%(count)d photos entered for the mission.", added)
                % {"count": added},
            )
        return redirect("contributors:mission_detail", uuid=mission.uuid)


class MissionProgressView(ContributorRequiredMixin, View):
    """The progress bar alone, polled by htmx."""

    def get(self, request, uuid):
        mission = _mission_or_404(uuid)
        context = {"progress": selectors.mission_progress(mission), "poll_url": request.path}
        return render(request, "licensing/requests/_progress.html", context)
