"""The contributor portal: dashboard, upload, My photos, one photo.

Pages read with the contributor as a filter in every query (another contributor's
photo is a 404, never a 403) and write only through ``catalog.photos.services``.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from catalog.models import Photo, PhotoRejectionReason, PhotoSubject, Tag
from catalog.photos import services
from catalog.photos.selectors import keywords_usual_for
from contributors import selectors as contributor_selectors
from contributors.forms import (
    PREFECTURES,
    BulkEditForm,
    PhotoDescriptionForm,
    SubjectForm,
    SubjectFormSet,
    UploadForm,
)
from licensing.consent.models import ModelRelease
from stockdata.accounts.permissions import ContributorRequiredMixin
from stockdata.errors import ApplicationError
from stockdata.i18n import is_japanese
from stockdata.money import format_yen

PHOTOS_PER_PAGE = 48
RECENT_ON_DASHBOARD = 8
DATASETS_ON_DASHBOARD = 12
UPLOAD_PARALLEL = 3
TAG_SUGGESTIONS = 10

STATUS_BADGE = {
    Photo.Status.DRAFT: "",
    Photo.Status.SUBMITTED: "warn",
    Photo.Status.APPROVED: "ok",
    Photo.Status.REJECTED: "bad",
}
RELEASE_BADGE = {
    ModelRelease.Status.PENDING: "warn",
    ModelRelease.Status.APPROVED: "ok",
    ModelRelease.Status.REJECTED: "bad",
    ModelRelease.Status.WITHDRAWN: "bad",
}
PROCESSING_BADGE = {
    Photo.Processing.PENDING: "warn",
    Photo.Processing.RETRYING: "warn",
    Photo.Processing.FAILED: "bad",
    Photo.Processing.READY: "ok",
}


# --- Reads -------------------------------------------------------------------------------


def _own_photos(user):
    return Photo.objects.filter(contributor=user)


def _own_photo_or_404(user, photo_uuid, *, with_relations: bool = True) -> Photo:
    queryset = _own_photos(user)
    if with_relations:
        queryset = queryset.select_related("near_duplicate_of").prefetch_related(
            "tags",
            Prefetch(
                "subjects", queryset=PhotoSubject.objects.select_related("release_link__release").order_by("position")
            ),
        )
    return get_object_or_404(queryset, uuid=photo_uuid)


def _status_counts(user) -> dict[str, int]:
    """Photos per status in one query; every status present, zero when none."""
    return _own_photos(user).aggregate(
        all=Count("id"), **{value: Count("id", filter=Q(status=value)) for value in Photo.Status.values}
    )


def _status_tabs(counts: dict[str, int], current: str) -> list[dict]:
    tabs = [{"value": "", "label": _("All"), "count": counts["all"], "current": current == ""}]
    for value, label in Photo.Status.choices:
        tabs.append({"value": value, "label": label, "count": counts[value], "current": current == value})
    return tabs


def _decorate(photos, user) -> list[Photo]:
    """Add what the templates show but the model does not say in words."""
    for photo in photos:
        photo.status_badge = STATUS_BADGE.get(photo.status, "")
        photo.processing_badge = PROCESSING_BADGE.get(photo.processing, "")
        # The reasons are built at import time (eager gettext), so they are in the
        # default language; translating the text again here gives the reader's language.
        reason = dict(PhotoRejectionReason.choices).get(photo.rejection_reason, photo.rejection_reason)
        photo.rejection_text = _(str(reason)) if reason else ""
        other = photo.near_duplicate_of
        photo.similar_is_own = other is not None and other.contributor_id == user.pk
    return photos


def _missing(photo: Photo) -> list[str]:
    """What a draft still needs before it can be submitted (uses prefetched tags and subjects)."""
    missing = []
    if not photo.has_title:
        missing.append(_("title"))
    if not photo.tags.all():
        missing.append(_("keywords"))
    if not photo.no_people and not photo.subjects.all():
        missing.append(_("people"))
    return missing


# --- Dashboard --------------------------------------------------------------------------


class DashboardView(ContributorRequiredMixin, TemplateView):
    template_name = "contributors/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        counts = _status_counts(user)
        recent = _decorate(list(_own_photos(user).select_related("near_duplicate_of")[:RECENT_ON_DASHBOARD]), user)
        datasets = list(contributor_selectors.contributor_datasets(contributor_id=user.pk)[:DATASETS_ON_DASHBOARD])
        japanese = is_japanese()
        for dataset in datasets:
            dataset.display_title = dataset.title_ja if japanese and dataset.title_ja else dataset.title_en
        return super().get_context_data(
            counts=counts,
            tabs=_status_tabs(counts, current=""),
            recent=recent,
            month_yen=format_yen(contributor_selectors.earnings_this_month(contributor_id=user.pk)),
            balance_yen=format_yen(contributor_selectors.royalty_balance(contributor_id=user.pk)),
            datasets=datasets,
            **kwargs,
        )


# --- Upload -----------------------------------------------------------------------------


def _upload_limits() -> dict:
    return {
        "min_long_side": settings.STOCKDATA_UPLOAD_MIN_LONG_SIDE,
        "max_bytes": settings.STOCKDATA_UPLOAD_MAX_BYTES,
        "max_mb": settings.STOCKDATA_UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_files_per_form": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
    }


def _uploader_config(request) -> dict:
    """Everything upload.js needs, including its words (translated here, not in JavaScript)."""
    placeholder = uuid.UUID(int=0)
    return {
        "endpoint": reverse("api:photo-list"),
        "detailEndpoint": reverse("api:photo-detail", args=[placeholder]),
        "photoPage": reverse("contributors:photo_detail", args=[placeholder]),
        "placeholder": str(placeholder),
        "csrfToken": get_token(request),
        "maxBytes": settings.STOCKDATA_UPLOAD_MAX_BYTES,
        "parallel": UPLOAD_PARALLEL,
        "pollMs": 1000,
        "pollGiveUpMs": 10 * 60 * 1000,
        "strings": {
            "queued": _("Waiting to upload"),
            "uploading": _("Uploading"),
            "processing": _("Uploaded. Making the thumbnail…"),
            "retrying": _("Processing failed, retrying…"),
            "ready": _("Ready to describe"),
            "processingFailed": _("Uploaded, but processing failed"),
            "stillProcessing": _("Still processing. The photo will appear in My photos when it is ready."),
            "refused": _("Refused"),
            "failed": _("Upload failed"),
            "networkError": _("The connection was lost. Check your network and retry."),
            "serverError": _("The server had a problem (error %(status)s). Retry in a moment."),
            "sessionExpired": _("Your session has expired. Reload the page, log in again and retry."),
            "tooLarge": _("The file is %(size)s MB; files can be at most %(max)s MB. It was not uploaded."),
            "retry": _("Retry"),
            "describe": _("Describe"),
            "duplicateLink": _("Open the photo you already uploaded"),
            "overall": _("%(finished)s of %(total)s files finished"),
            "summary": _("%(ok)s uploaded · %(refused)s refused · %(failed)s failed"),
        },
    }


class UploadView(ContributorRequiredMixin, View):
    """Upload many photos. With JavaScript, upload.js sends each file to the API on its own;
    without, this form posts them all here and each file gets its own verdict."""

    template_name = "contributors/upload.html"

    def render(self, request, form, results=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "results": results,
                "limits": _upload_limits(),
                "uploader_config": _uploader_config(request),
                "accepted_ok": sum(1 for r in results or [] if r["ok"]),
                "refused": sum(1 for r in results or [] if not r["ok"]),
            },
            status=status,
        )

    def get(self, request):
        return self.render(request, UploadForm())

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(request, form, status=400)
        results = []
        for upload in form.cleaned_data["files"]:
            try:
                photo = services.photo_upload(contributor=request.user, file=upload)
            except ApplicationError as exc:
                results.append(
                    {
                        "name": upload.name,
                        "ok": False,
                        "message": exc.message,
                        "duplicate_of": exc.extra.get("duplicate_of"),
                    }
                )
            else:
                results.append({"name": upload.name, "ok": True, "photo_id": photo.pk})
        # Re-read: on-commit processing may already have made the thumbnails.
        photos = {p.pk: p for p in _own_photos(request.user).filter(pk__in=[r["photo_id"] for r in results if r["ok"]])}
        for result in results:
            if result["ok"]:
                result["photo"] = _decorate([photos[result["photo_id"]]], request.user)[0]
        return self.render(request, UploadForm(), results=results)


# --- My photos --------------------------------------------------------------------------


def _photo_list_context(request, *, status: str, page_number, bulk_form=None, selected=()) -> dict:
    user = request.user
    if status not in Photo.Status.values:
        status = ""
    counts = _status_counts(user)
    queryset = (
        _own_photos(user)
        .select_related("near_duplicate_of")
        .prefetch_related("tags", Prefetch("subjects", queryset=PhotoSubject.objects.order_by("position")))
    )
    if status:
        queryset = queryset.filter(status=status)
    # The counts above already say how many there are; the paginator needs no COUNT query.
    paginator = Paginator(queryset, PHOTOS_PER_PAGE)
    paginator.count = counts[status or "all"]
    page = paginator.get_page(page_number)
    photos = _decorate(list(page.object_list), user)
    for photo in photos:
        photo.missing = _missing(photo) if photo.is_editable else []
        photo.tag_names = [t.name for t in photo.tags.all()]
    query = {"status": status} if status else {}
    return {
        "tabs": _status_tabs(counts, status),
        "status": status,
        "page_obj": page,
        "photos": photos,
        "page_query": urlencode(query),
        "bulk_form": bulk_form or BulkEditForm(),
        "selected": {str(s) for s in selected},
        "prefectures": _prefecture_options(),
        "next_url": request.get_full_path() if request.method == "GET" else _list_url(status, page.number),
    }


def _list_url(status: str = "", page: int | None = None) -> str:
    query = {k: v for k, v in (("status", status), ("page", page if page and page > 1 else "")) if v}
    return reverse("contributors:photo_list") + (f"?{urlencode(query)}" if query else "")


def _prefecture_options() -> list[str]:
    return [ja if is_japanese() else en for en, ja in PREFECTURES]


class PhotoListView(ContributorRequiredMixin, View):
    template_name = "contributors/photo_list.html"

    def get(self, request):
        context = _photo_list_context(
            request, status=request.GET.get("status", ""), page_number=request.GET.get("page")
        )
        return render(request, self.template_name, context)


def _selected_photos(request) -> list[Photo]:
    """The photos ticked on My photos; any that is not the contributor's own makes it a 404."""
    raw = request.POST.getlist("photos")
    try:
        uuids = {uuid.UUID(value) for value in raw}
    except ValueError:
        raise Http404 from None
    photos = list(_own_photos(request.user).filter(uuid__in=uuids))
    if len(photos) != len(uuids):
        raise Http404
    return photos


def _redirect_back(request, fallback: str):
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe:
        target = fallback
    return HttpResponseRedirect(target or fallback)


class PhotoBulkEditView(ContributorRequiredMixin, View):
    """Apply keywords, place, lighting and subject attributes to the ticked photos."""

    def post(self, request):
        photos = _selected_photos(request)
        form = BulkEditForm(request.POST)
        if not photos:
            form.is_valid()
            form.add_error(None, _("Select at least one photo."))
        if photos and form.is_valid():
            try:
                updated = services.photos_bulk_edit(
                    contributor=request.user, photo_ids=[p.pk for p in photos], **form.changes()
                )
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                messages.success(
                    request,
                    ngettext("%(count)s photo updated.", "%(count)s photos updated.", updated) % {"count": updated},
                )
                return _redirect_back(request, reverse("contributors:photo_list"))
        context = _photo_list_context(
            request,
            status=request.POST.get("status", ""),
            page_number=request.POST.get("page"),
            bulk_form=form,
            selected=[p.uuid for p in photos],
        )
        return render(request, PhotoListView.template_name, context, status=400)


class PhotoBulkSubmitView(ContributorRequiredMixin, View):
    """Send the ticked photos to review; each one that is not ready says why, the rest go."""

    def post(self, request):
        photos = _selected_photos(request)
        if not photos:
            messages.error(request, _("Select at least one photo."))
            return _redirect_back(request, reverse("contributors:photo_list"))
        submitted = 0
        for photo in photos:
            try:
                services.photo_submit(photo=photo)
            except ApplicationError as exc:
                messages.error(request, f"{photo}: {exc.message}")
            else:
                submitted += 1
        if submitted:
            messages.success(
                request,
                ngettext("%(count)s photo submitted for review.", "%(count)s photos submitted for review.", submitted)
                % {"count": submitted},
            )
        return _redirect_back(request, reverse("contributors:photo_list"))


# --- One photo --------------------------------------------------------------------------


def _description_forms(photo: Photo, data=None):
    form = PhotoDescriptionForm(data, initial=PhotoDescriptionForm.initial_for(photo), prefix="photo")
    subjects = [{name: getattr(s, name) for name in SubjectForm.FIELDS} for s in photo.subjects.all()]
    formset = SubjectFormSet(data, initial=subjects, prefix="subjects")
    return form, formset


def _save_description(photo: Photo, form: PhotoDescriptionForm, formset) -> bool:
    """Save through ``photo_describe``; on a refusal the message lands on the form."""
    if not (form.is_valid() and formset.is_valid()):
        return False
    try:
        services.photo_describe(
            photo=photo,
            tags=form.cleaned_data["keywords"],
            subjects=[services.SubjectData(**s) for s in formset.subjects()],
            **form.description_fields(),
        )
    except ApplicationError as exc:
        exc.add_to_form(form)
        return False
    except ValidationError as exc:  # the model's own checks, should the form ever let one through
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    return True


def _subject_summary(subject: PhotoSubject) -> list[str]:
    """ "30s · Female · Japanese · mask · Frontal": what is known about one person, in words."""
    worn = [
        str(PhotoSubject._meta.get_field(name).verbose_name)
        for name in ("mask", "glasses", "hat")
        if getattr(subject, name)
    ]
    parts = [
        subject.get_age_band_display(),
        subject.get_gender_display(),
        subject.ethnicity,
        *worn,
        subject.get_angle_display(),
    ]
    return [str(p) for p in parts if p] or ["—"]


def _render_detail(request, photo: Photo, form=None, formset=None, status=200):
    if photo.is_editable and form is None:
        form, formset = _description_forms(photo)
    _decorate([photo], request.user)
    subjects = list(photo.subjects.all())
    for subject in subjects:
        subject.summary = _subject_summary(subject)
        link = getattr(subject, "release_link", None)
        subject.release = link.release if link is not None else None
        if subject.release is not None:
            subject.release.badge = RELEASE_BADGE.get(subject.release.status, "")
    return render(
        request,
        "contributors/photo_detail.html",
        {
            "photo": photo,
            "form": form,
            "formset": formset,
            "subjects": subjects,
            "tag_names": [t.name for t in photo.tags.all()],
            "missing": _missing(photo) if photo.is_editable else [],
            "prefectures": _prefecture_options(),
            "processing_active": photo.processing in (Photo.Processing.PENDING, Photo.Processing.RETRYING),
            "releases_open": photo.status in (Photo.Status.DRAFT, Photo.Status.REJECTED),
            "usual_keywords": keywords_usual_for(contributor_id=request.user.pk) if photo.is_editable else [],
            "people_without_release": sum(1 for s in subjects if s.release is None),
        },
        status=status,
    )


class PhotoDetailView(ContributorRequiredMixin, View):
    """Preview, facts and the description of one of the contributor's own photos."""

    def get(self, request, uuid):
        return _render_detail(request, _own_photo_or_404(request.user, uuid))

    def post(self, request, uuid):
        photo = _own_photo_or_404(request.user, uuid)
        if not photo.is_editable:
            messages.error(
                request,
                _("This photo is %(status)s and can no longer be edited.")
                % {"status": photo.get_status_display().lower()},
            )
            return redirect("contributors:photo_detail", uuid=photo.uuid)
        form, formset = _description_forms(photo, request.POST)
        if not _save_description(photo, form, formset):
            return _render_detail(request, _own_photo_or_404(request.user, uuid), form, formset, status=400)
        messages.success(request, _("Your changes were saved."))
        return redirect("contributors:photo_detail", uuid=photo.uuid)


class PhotoSubmitView(ContributorRequiredMixin, View):
    """Send one photo to review. From the photo page the description comes along and is saved first."""

    def post(self, request, uuid):
        photo = _own_photo_or_404(request.user, uuid)
        if photo.is_editable and "photo-title" in request.POST:
            form, formset = _description_forms(photo, request.POST)
            if not _save_description(photo, form, formset):
                return _render_detail(request, _own_photo_or_404(request.user, uuid), form, formset, status=400)
        # Fresh from the database: the checks must not read a stale prefetch.
        photo = _own_photo_or_404(request.user, uuid, with_relations=False)
        try:
            services.photo_submit(photo=photo)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Submitted for review. We will tell you the result here."))
        return redirect("contributors:photo_detail", uuid=photo.uuid)


class PhotoDeleteView(ContributorRequiredMixin, View):
    def post(self, request, uuid):
        photo = _own_photo_or_404(request.user, uuid, with_relations=False)
        name = str(photo)
        try:
            services.photo_delete(photo=photo)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("contributors:photo_detail", uuid=photo.uuid)
        messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
        return redirect("contributors:photo_list")


class TagSuggestView(ContributorRequiredMixin, View):
    """Keywords already on the platform that start with (then contain) what is typed, most used first.

    Only keywords of approved (public) photos and of the contributor's own photos: another
    contributor's drafts and photos in review stay theirs until a reviewer approves them.
    """

    def get(self, request):
        query = services.normalise_tag(request.GET.get("q", ""))
        if not query:
            return JsonResponse({"tags": []})
        visible = Q(photos__status=Photo.Status.APPROVED) | Q(photos__contributor=request.user)
        tags = Tag.objects.annotate(uses=Count("photos", filter=visible, distinct=True)).filter(uses__gt=0)
        tags = tags.order_by("-uses", "name")
        names = list(tags.filter(name__startswith=query).values_list("name", flat=True)[:TAG_SUGGESTIONS])
        if len(names) < TAG_SUGGESTIONS:
            more = tags.filter(name__contains=query).exclude(name__in=names)
            names += list(more.values_list("name", flat=True)[: TAG_SUGGESTIONS - len(names)])
        return JsonResponse({"tags": names})
