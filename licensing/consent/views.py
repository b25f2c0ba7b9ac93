"""Pages: the contributor's releases and notifications, the staff review queue, the subject's link.

Contributors only ever see their own releases (anything else is a 404) and never the
personal data or the scan again; staff see both; the subject sees their consent through
a secret link and nothing else.
"""

from __future__ import annotations

import uuid as uuid_lib
from urllib.parse import urlencode

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Photo, PhotoSubject
from licensing.consent import documents, receipts, rendering, selectors, services
from licensing.consent.forms import (
    LinkResendForm,
    OptOutForm,
    PaperWithdrawalForm,
    RejectForm,
    ReleaseForm,
    ReleaseRequestForm,
    SigningCodeForm,
    SigningForm,
    WithdrawForm,
    data_url_png,
)
from licensing.consent.models import (
    ConsentScope,
    ConsentWithdrawal,
    ContributorOptOut,
    ModelRelease,
    ProvisionRecord,
    ReleaseScope,
    rejection_reason_label,
)
from licensing.consent.services.contact import contact_code_for
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import ContributorRequiredMixin, StaffRequiredMixin, user_has_role
from stockdata.client_ip import client_ip
from stockdata.csv_export import csv_writer
from stockdata.dates import format_date
from stockdata.errors import ApplicationError

RELEASES_PER_PAGE = 30
QUEUE_PER_PAGE = 50
PHOTOS_PER_PAGE = 48
CANDIDATES = 20
AGE_FILTERS = (1, 3, 7, 14)
LATE_SIGNATURE_DAYS = 30

STATUS_BADGE = {
    ModelRelease.Status.PENDING: "warn",
    ModelRelease.Status.APPROVED: "ok",
    ModelRelease.Status.REJECTED: "bad",
    ModelRelease.Status.WITHDRAWN: "",
}
PHOTO_BADGE = {
    Photo.Status.DRAFT: "",
    Photo.Status.SUBMITTED: "warn",
    Photo.Status.APPROVED: "ok",
    Photo.Status.REJECTED: "bad",
}
OPEN_PHOTO_STATUSES = (Photo.Status.DRAFT, Photo.Status.SUBMITTED, Photo.Status.REJECTED)


def _scopes_prefetch():
    return Prefetch("release_scopes", queryset=ReleaseScope.objects.select_related("scope"))


def _decorate_release(release: ModelRelease) -> ModelRelease:
    release.badge = STATUS_BADGE.get(release.status, "")
    release.rejection_text = rejection_reason_label("release", release.rejection_reason)
    return release


def _decorate_photo(photo: Photo) -> Photo:
    photo.badge = PHOTO_BADGE.get(photo.status, "")
    photo.rejection_text = rejection_reason_label("photo", photo.rejection_reason)
    return photo


# --- Contributor: releases ----------------------------------------------------------------------


def _own_release_or_404(user, release_uuid) -> ModelRelease:
    return get_object_or_404(
        ModelRelease.objects.filter(contributor=user).prefetch_related(_scopes_prefetch()), uuid=release_uuid
    )


def _photos_needing_release(user):
    unlinked = PhotoSubject.objects.filter(photo=OuterRef("pk"), release_link__isnull=True)
    return Photo.objects.filter(contributor=user, no_people=False, status__in=OPEN_PHOTO_STATUSES).filter(
        Exists(unlinked)
    )


class ReleaseListView(ContributorRequiredMixin, View):
    def get(self, request):
        query = request.GET.get("q", "")
        status = request.GET.get("status", "")
        releases = selectors.contributor_releases(request.user, query=query, status=status)
        page = Paginator(releases, RELEASES_PER_PAGE).get_page(request.GET.get("page"))
        for release in page.object_list:
            _decorate_release(release)
        needing = _photos_needing_release(request.user)
        return render(
            request,
            "licensing/release_list.html",
            {
                "page_obj": page,
                "releases": page.object_list,
                "query": query,
                "status": status,
                "statuses": ModelRelease.Status.choices,
                "page_query": urlencode({k: v for k, v in (("q", query), ("status", status)) if v}),
                "needing": list(needing.order_by("-created_at")[:12]),
                "needing_count": needing.count(),
            },
        )


def _subject_from_photo_page(request) -> PhotoSubject | None:
    """The person a release is being uploaded for, when it comes from the photo's page
    (``?photo=<uuid>&person=<n>``): only in the contributor's own open photos, else a 404."""
    photo_uuid = request.POST.get("photo") or request.GET.get("photo")
    if not photo_uuid:
        return None
    try:
        photo_uuid, position = uuid_lib.UUID(photo_uuid), int(request.POST.get("person") or request.GET.get("person"))
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(
        PhotoSubject.objects.select_related("photo"),
        photo__contributor=request.user,
        photo__uuid=photo_uuid,
        photo__status__in=OPEN_PHOTO_STATUSES,
        position=position,
    )


class ReleaseCreateView(ContributorRequiredMixin, View):
    """Upload a signed release. From a photo's page it is for one person in that photo: the form
    starts with what the photo says, the release is attached to that person on saving, and the
    contributor lands back on the photo."""

    template_name = "licensing/release_form.html"

    def _render(self, request, form, subject, status=200):
        context = {"form": form, "for_subject": subject}
        if subject is not None:
            context["cancel_url"] = reverse("contributors:photo_detail", args=[subject.photo.uuid]) + "#people-releases"
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        subject = _subject_from_photo_page(request)
        initial = {"signed_on": timezone.localdate(), "photographer_name": request.user.get_full_name()}
        if subject is not None:
            initial.update(
                {
                    "shoot_date": subject.photo.shoot_date,
                    "shoot_place": subject.photo.prefecture,
                    "age_band": subject.age_band,
                }
            )
        return self._render(request, ReleaseForm(initial=initial), subject)

    def post(self, request):
        subject = _subject_from_photo_page(request)
        form = ReleaseForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                release = services.release_create(
                    contributor=request.user,
                    document=form.cleaned_data["document"],
                    scopes=[s.code for s in form.cleaned_data["scopes"]],
                    **form.release_fields(),
                )
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                if subject is None:
                    messages.success(
                        request,
                        _("Release %(id)s saved and sent to review. Now attach it to the people in your photos.")
                        % {"id": release.subject_id},
                    )
                    return redirect("licensing:release_detail", uuid=release.uuid)
                return self._attached(request, release, subject)
        return self._render(request, form, subject, status=400)

    def _attached(self, request, release, subject):
        try:
            services.release_attach(release=release, subject=subject, by=request.user)
        except ApplicationError as exc:
            messages.error(
                request,
                _("Release %(id)s was saved, but could not be attached to person %(n)s: %(reason)s")
                % {"id": release.subject_id, "n": subject.position, "reason": exc.message},
            )
        else:
            messages.success(
                request,
                _("Release %(id)s saved, sent to review and attached to person %(n)s.")
                % {"id": release.subject_id, "n": subject.position},
            )
        return redirect(reverse("contributors:photo_detail", args=[subject.photo.uuid]) + "#people-releases")


class ReleaseDetailView(ContributorRequiredMixin, View):
    def get(self, request, uuid):
        release = _decorate_release(_own_release_or_404(request.user, uuid))
        photos = [
            _decorate_photo(p)
            for p in Photo.objects.filter(subjects__release_link__release=release).distinct().order_by("-created_at")
        ]
        return render(
            request,
            "licensing/release_detail.html",
            {
                "release": release,
                "photos": photos,
                "scopes": release.release_scopes.all(),
                "decisions": selectors.review_history(release=release),
                "withdrawals": release.withdrawals.prefetch_related("scopes"),
            },
        )


class ReleaseEditView(ContributorRequiredMixin, View):
    """Correct a pending or rejected release; a rejected one goes back to review when saved."""

    template_name = "licensing/release_form.html"

    def _release(self, request, uuid):
        release = _own_release_or_404(request.user, uuid)
        if release.origin == ModelRelease.Origin.DIGITAL:
            messages.error(
                request,
                _("The person signed this release themselves: it cannot be changed. Ask them to sign a new one."),
            )
            return release, False
        if not release.is_editable:
            messages.error(
                request,
                _("This release is %(status)s and can no longer be changed.")
                % {"status": release.get_status_display().lower()},
            )
            return release, False
        return release, True

    def get(self, request, uuid):
        release, editable = self._release(request, uuid)
        if not editable:
            return redirect("licensing:release_detail", uuid=release.uuid)
        return render(request, self.template_name, {"form": ReleaseForm(instance=release), "release": release})

    def post(self, request, uuid):
        release, editable = self._release(request, uuid)
        if not editable:
            return redirect("licensing:release_detail", uuid=release.uuid)
        form = ReleaseForm(request.POST, request.FILES, instance=release)
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.release_update(
                        release=release,
                        scopes=[s.code for s in form.cleaned_data["scopes"]],
                        **form.release_fields(),
                    )
                    if form.cleaned_data.get("document"):
                        services.release_document_replace(release=release, document=form.cleaned_data["document"])
                    resubmitted = release.status == ModelRelease.Status.REJECTED
                    if resubmitted:
                        services.release_resubmit(release=release)
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                if resubmitted:
                    messages.success(
                        request, _("Release %(id)s corrected and sent to review again.") % {"id": release.subject_id}
                    )
                else:
                    messages.success(request, _("Your changes were saved."))
                return redirect("licensing:release_detail", uuid=release.uuid)
        return render(request, self.template_name, {"form": form, "release": release}, status=400)


class ReleaseAttachView(ContributorRequiredMixin, View):
    """Attach one release to people in many photos of the same shoot."""

    template_name = "licensing/release_attach.html"

    def _subjects(self, request, release):
        query = request.GET.get("q", "").strip()
        show = request.GET.get("show", "unlinked")
        photos = Photo.objects.filter(
            contributor=request.user, no_people=False, status__in=OPEN_PHOTO_STATUSES
        ).prefetch_related(
            Prefetch(
                "subjects",
                queryset=PhotoSubject.objects.select_related("release_link__release").order_by("position"),
            )
        )
        if show == "unlinked":
            photos = photos.filter(Exists(PhotoSubject.objects.filter(photo=OuterRef("pk"), release_link__isnull=True)))
        elif show == "shoot" and release.shoot_date:
            photos = photos.filter(shoot_date=release.shoot_date)
        if query:
            photos = photos.filter(Q(title__icontains=query) | Q(title_ja__icontains=query))
        page = Paginator(photos.order_by("-created_at"), PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
        return page, query, show

    def get(self, request, uuid):
        release = _own_release_or_404(request.user, uuid)
        page, query, show = self._subjects(request, release)
        return render(
            request,
            self.template_name,
            {
                "release": _decorate_release(release),
                "page_obj": page,
                "photos": [_decorate_photo(p) for p in page.object_list],
                "query": query,
                "show": show,
                "page_query": urlencode({k: v for k, v in (("q", query), ("show", show)) if v}),
            },
        )

    def post(self, request, uuid):
        release = _own_release_or_404(request.user, uuid)
        wanted = request.POST.getlist("subjects")
        ids = []
        for value in wanted:
            try:
                ids.append(int(value))
            except ValueError:
                raise Http404 from None
        subjects = list(
            PhotoSubject.objects.filter(pk__in=ids, photo__contributor=request.user).select_related("photo")
        )
        if len(subjects) != len(set(ids)):
            raise Http404
        if not subjects:
            messages.error(request, _("Tick at least one person."))
            return redirect(request.get_full_path())
        attached = 0
        for subject in subjects:
            try:
                services.release_attach(release=release, subject=subject, by=request.user)
            except ApplicationError as exc:
                messages.error(request, f"{subject.photo} #{subject.position}: {exc.message}")
            else:
                attached += 1
        if attached:
            messages.success(
                request,
                ngettext(
                    "Release %(id)s now covers %(count)s person.",
                    "Release %(id)s now covers %(count)s people.",
                    attached,
                )
                % {"id": release.subject_id, "count": attached},
            )
        return redirect("licensing:release_detail", uuid=release.uuid)


class PhotoReleasesView(ContributorRequiredMixin, View):
    """The people in one photo and their releases; pick a release for each from a search of your own."""

    template_name = "licensing/photo_releases.html"

    def _photo(self, request, uuid) -> Photo:
        return get_object_or_404(
            Photo.objects.filter(contributor=request.user).prefetch_related(
                Prefetch(
                    "subjects",
                    queryset=PhotoSubject.objects.select_related("release_link__release").order_by("position"),
                )
            ),
            uuid=uuid,
        )

    def get(self, request, uuid):
        photo = _decorate_photo(self._photo(request, uuid))
        query = request.GET.get("q", "")
        candidates = (
            selectors.contributor_releases(request.user, query=query)
            .exclude(status=ModelRelease.Status.WITHDRAWN)
            .order_by("-created_at")[:CANDIDATES]
        )
        if photo.shoot_date and not query:
            # Releases of the same shoot first.
            candidates = sorted(candidates, key=lambda r: r.shoot_date != photo.shoot_date)
        candidates = list(candidates)
        # Each release shows a photo it already covers, so the contributor recognises the person.
        covered = {}
        for subject in (
            PhotoSubject.objects.filter(release_link__release__in=candidates, photo__contributor=request.user)
            .select_related("photo", "release_link")
            .order_by("-photo__created_at")
        ):
            covered.setdefault(subject.release_link.release_id, subject.photo)
        for release in candidates:
            release.cover_photo = covered.get(release.pk)
        return render(
            request,
            self.template_name,
            {
                "photo": photo,
                "subjects": photo.subjects.all(),
                "candidates": [_decorate_release(r) for r in candidates],
                "query": query,
                "scopes": ConsentScope.objects.filter(code__in=selectors.photo_consent_scopes(photo)),
            },
        )

    def post(self, request, uuid):
        photo = self._photo(request, uuid)
        try:
            position = int(request.POST.get("position", ""))
        except ValueError:
            raise Http404 from None
        subject = next((s for s in photo.subjects.all() if s.position == position), None)
        if subject is None:
            raise Http404
        try:
            if request.POST.get("action") == "detach":
                services.release_detach(subject=subject)
                messages.success(request, _("Person %(n)s no longer has a release.") % {"n": position})
            else:
                try:
                    release_uuid = uuid_lib.UUID(request.POST.get("release", ""))
                except ValueError:
                    messages.error(request, _("Choose a release."))
                    return redirect(request.get_full_path())
                release = _own_release_or_404(request.user, release_uuid)
                services.release_attach(release=release, subject=subject, by=request.user)
                messages.success(
                    request,
                    _("Person %(n)s is now covered by release %(id)s.") % {"n": position, "id": release.subject_id},
                )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect(request.get_full_path())


class OptOutView(ContributorRequiredMixin, View):
    """Keep all or some photos out of AI training or biometric uses (like the agencies' AI opt-outs)."""

    template_name = "licensing/opt_out.html"

    def _context(self, request, form=None):
        photos = Photo.objects.filter(contributor=request.user)
        page = Paginator(photos.order_by("-created_at"), PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
        own = dict(ContributorOptOut.objects.filter(photo__in=list(page.object_list)).values_list("photo_id", "kind"))
        for photo in page.object_list:
            photo.opt_out = own.get(photo.pk, "")
        return {
            "form": form or OptOutForm(initial={"kind": selectors.contributor_opt_out(request.user)}),
            "page_obj": page,
            "photos": page.object_list,
            "kinds": ContributorOptOut.Kind.choices,
        }

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        if "photos" in request.POST:
            try:
                uuids = {uuid_lib.UUID(v) for v in request.POST.getlist("photos")}
            except ValueError:
                raise Http404 from None
            photos = list(Photo.objects.filter(contributor=request.user, uuid__in=uuids))
            if len(photos) != len(uuids):
                raise Http404
            kind = request.POST.get("photo_kind", "")
            try:
                services.opt_out_set(contributor=request.user, kind=kind, photos=photos)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    ngettext("%(count)s photo updated.", "%(count)s photos updated.", len(photos))
                    % {"count": len(photos)},
                )
            return redirect(request.get_full_path())
        form = OptOutForm(request.POST)
        if form.is_valid():
            services.opt_out_set(contributor=request.user, kind=form.cleaned_data["kind"])
            messages.success(request, _("Your AI opt-out is saved. It applies at once."))
            return redirect(request.get_full_path())
        return render(request, self.template_name, self._context(request, form), status=400)


# --- Staff: the review queue ------------------------------------------------------------------------


def _queue_from(params) -> tuple[selectors.ReviewQueue, dict]:
    kind = params.get("kind", "")
    try:
        contributor = int(params.get("contributor") or 0) or None
    except ValueError:
        contributor = None
    try:
        age = int(params.get("age") or 0) or None
    except ValueError:
        age = None
    queue = selectors.ReviewQueue(kind=kind, contributor_id=contributor, older_than_days=age)
    filters = {k: v for k, v in (("kind", queue.kind), ("contributor", contributor or ""), ("age", age or "")) if v}
    return queue, filters


def _item_url(item: selectors.QueueItem, filters: dict) -> str:
    name = "licensing:review_photo" if item.kind == "photo" else "licensing:review_release"
    return reverse(name, args=[item.uuid]) + (f"?{urlencode(filters)}" if filters else "")


def _queue_url(filters: dict) -> str:
    return reverse("licensing:review_queue") + (f"?{urlencode(filters)}" if filters else "")


class ReviewQueueView(StaffRequiredMixin, View):
    def get(self, request):
        queue, filters = _queue_from(request.GET)
        total = queue.count()
        paginator = Paginator(range(total), QUEUE_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        items = queue.page(page.start_index() - 1 if total else 0, QUEUE_PER_PAGE)
        for item in items:
            item.url = _item_url(item, filters)
            if item.kind == "photo":
                item.releases = list(
                    {
                        s.release_link.release_id: s.release_link.release
                        for s in item.obj.subjects.all()
                        if getattr(s, "release_link", None) is not None
                    }.values()
                )
                for release in item.releases:
                    _decorate_release(release)
                item.missing = sum(1 for s in item.obj.subjects.all() if getattr(s, "release_link", None) is None)
        return render(
            request,
            "licensing/review_queue.html",
            {
                "items": items,
                "total": total,
                "page_obj": page,
                "filters": filters,
                "filter_query": urlencode(filters),
                "contributors": queue.contributors(),
                "age_filters": AGE_FILTERS,
                "first_url": items[0].url if items else "",
            },
        )


def _checklist(release: ModelRelease, photos=()) -> list[dict]:
    """What the reviewer compares against the scan, with the facts that help and what looks wrong."""
    dates = [_("signed %(date)s") % {"date": format_date(release.signed_on)}]
    date_warnings = []
    if release.shoot_date:
        dates.append(_("shoot %(date)s") % {"date": format_date(release.shoot_date)})
        if (release.signed_on - release.shoot_date).days > LATE_SIGNATURE_DAYS:
            date_warnings.append(
                _("Signed %(days)s days after the shoot.") % {"days": (release.signed_on - release.shoot_date).days}
            )
        for photo in photos:
            if photo.shoot_date and photo.shoot_date != release.shoot_date:
                date_warnings.append(
                    _("The photo says it was shot on %(date)s.") % {"date": format_date(photo.shoot_date)}
                )
                break
    if release.date_of_birth:
        dates.append(_("born %(date)s") % {"date": format_date(release.date_of_birth)})
    if release.expires_on:
        dates.append(_("expires %(date)s") % {"date": format_date(release.expires_on)})
        if release.is_expired:
            date_warnings.append(_("This release has expired."))
    if release.is_minor:
        guardian_ok = bool(release.guardian_name.strip() and release.guardian_signed)
        guardian = (
            _("Minor. Guardian: %(name)s, signature declared.") % {"name": release.guardian_name}
            if guardian_ok
            else _("Minor without a guardian's name and signature: cannot be approved.")
        )
    else:
        guardian_ok, guardian = True, _("Not a minor.")
    names = _("Subject: %(subject)s · photographer: %(photographer)s") % {
        "subject": release.subject_name,
        "photographer": release.photographer_name,
    }
    if release.witness_name:
        names += " · " + _("witness: %(name)s") % {"name": release.witness_name}
    scopes = ", ".join(s.name for s in selectors.release_active_scopes(release)) or _("none")
    return [
        {
            "key": "signature",
            "label": _("Signature present"),
            "fact": _("Check the subject's signature on the scan."),
            "ok": True,
        },
        {"key": "names", "label": _("Names match"), "fact": names, "ok": True},
        {
            "key": "dates",
            "label": _("Dates consistent"),
            "fact": " · ".join(dates),
            "warnings": date_warnings,
            "ok": not date_warnings,
        },
        {"key": "guardian", "label": _("Guardian for minors"), "fact": guardian, "ok": guardian_ok},
        {
            "key": "scopes",
            "label": _("Scopes legible"),
            "fact": _("Ticked: %(scopes)s") % {"scopes": scopes},
            "ok": True,
        },
    ]


def _release_panel(release: ModelRelease, photos=()) -> ModelRelease:
    _decorate_release(release)
    release.checklist = _checklist(release, photos)
    release.history = list(selectors.review_history(release=release))
    release.withdrawal_list = list(release.withdrawals.select_related("recorded_by").prefetch_related("scopes"))
    release.document_url = reverse("licensing:release_document", args=[release.uuid])
    if release.document_format == "pdf":
        with default_storage.open(release.document.name, "rb") as f:
            count = rendering.pdf_page_count(f.read())
        release.document_pages = [f"{release.document_url}?page={n}" for n in range(1, count + 1)]
    return release


class _ReviewItemView(StaffRequiredMixin, View):
    kind = ""

    def get_object(self, uuid):
        raise NotImplementedError

    def context(self, obj) -> dict:
        raise NotImplementedError

    def render_item(self, request, obj, reject_form=None, status=200):
        queue, filters = _queue_from(request.GET)
        key = selectors.queue_key(obj)
        following = queue.after(key)
        previous = queue.before(key)
        context = self.context(obj)
        context.update(
            {
                "kind": self.kind,
                "obj": obj,
                "filters": filters,
                "filter_query": urlencode(filters),
                "queue_url": _queue_url(filters),
                "next_url": _item_url(following, filters) if following else "",
                "prev_url": _item_url(previous, filters) if previous else "",
                "reject_form": reject_form
                or RejectForm(photo=self.kind == "photo", release=context["has_pending_release"]),
                "remaining": queue.count(),
            }
        )
        return render(request, "licensing/review_item.html", context, status=status)

    def get(self, request, uuid):
        return self.render_item(request, self.get_object(uuid))

    def post(self, request, uuid):
        obj = self.get_object(uuid)
        action = request.POST.get("action")
        reject_form = None
        try:
            if action == "approve":
                self.approve(request, obj)
                messages.success(request, _("Approved: %(item)s.") % {"item": self.label(obj)})
            elif action == "reject":
                context = self.context(obj)
                reject_form = RejectForm(
                    request.POST, photo=self.kind == "photo", release=context["has_pending_release"]
                )
                if not reject_form.is_valid():
                    return self.render_item(request, obj, reject_form, status=400)
                self.reject(request, obj, reject_form.cleaned_data["reason"], reject_form.cleaned_data["note"])
                messages.success(request, _("Rejected: %(item)s.") % {"item": self.label(obj)})
            else:
                raise Http404
        except ApplicationError as exc:
            if reject_form is not None:
                exc.add_to_form(reject_form)
            else:
                messages.error(request, exc.message)
            return self.render_item(request, self.get_object(uuid), reject_form, status=exc.status)
        queue, filters = _queue_from(request.GET)
        following = queue.after(selectors.queue_key(obj)) or queue.first()
        if following is None:
            messages.info(request, _("The queue is empty. Well done."))
            return redirect(_queue_url(filters))
        return redirect(_item_url(following, filters))


class ReviewPhotoView(_ReviewItemView):
    kind = "photo"

    def get_object(self, uuid):
        return get_object_or_404(
            Photo.objects.select_related("contributor__contributor_profile").prefetch_related(
                "tags",
                Prefetch(
                    "subjects",
                    queryset=PhotoSubject.objects.select_related("release_link__release").order_by("position"),
                ),
            ),
            uuid=uuid,
        )

    def label(self, photo):
        return str(photo)

    def context(self, photo) -> dict:
        _decorate_photo(photo)
        subjects = list(photo.subjects.all())
        release_ids = {s.release_link.release_id for s in subjects if getattr(s, "release_link", None)}
        releases = list(
            ModelRelease.objects.filter(pk__in=release_ids).prefetch_related(_scopes_prefetch()).order_by("subject_id")
        )
        for release in releases:
            _release_panel(release, [photo])
        by_id = {r.pk: r for r in releases}
        for subject in subjects:
            link = getattr(subject, "release_link", None)
            subject.release = by_id.get(link.release_id) if link else None
        return {
            "photo": photo,
            "subjects": subjects,
            "releases": releases,
            "photos": [photo],
            "history": selectors.review_history(photo=photo),
            "scopes": selectors.photo_consent_scopes(photo),
            "decidable": photo.status == Photo.Status.SUBMITTED,
            "revision": selectors.photo_revision(photo),
            "has_pending_release": any(r.status == ModelRelease.Status.PENDING for r in releases),
        }

    def approve(self, request, photo):
        releases = ModelRelease.objects.filter(links__subject__photo=photo).distinct()
        services.photo_review_approve(
            photo=photo,
            reviewer=request.user,
            revision=request.POST.get("revision", ""),
            checklists={str(r.uuid): request.POST.getlist(f"checklist-{r.uuid}") for r in releases},
        )

    def reject(self, request, photo, reason, note):
        group, _sep, code = reason.partition(":")
        if group == "release":
            services.photo_review_reject(
                photo=photo, reviewer=request.user, reason="no_release", note=note, release_reason=code
            )
        else:
            services.photo_review_reject(photo=photo, reviewer=request.user, reason=code, note=note)


class ReviewReleaseView(_ReviewItemView):
    kind = "release"

    def get_object(self, uuid):
        return get_object_or_404(
            ModelRelease.objects.select_related("contributor__contributor_profile").prefetch_related(
                _scopes_prefetch()
            ),
            uuid=uuid,
        )

    def label(self, release):
        return release.subject_id

    def context(self, release) -> dict:
        photos = [
            _decorate_photo(p)
            for p in Photo.objects.filter(subjects__release_link__release=release)
            .distinct()
            .order_by("-created_at")[:24]
        ]
        _release_panel(release, photos)
        return {
            "release": release,
            "releases": [release],
            "photos": photos,
            "history": [],
            "decidable": release.status == ModelRelease.Status.PENDING,
            "revision": selectors.release_revision(release),
            "has_pending_release": True,
            "paper_form": PaperWithdrawalForm(
                scopes=selectors.release_active_scopes(release), initial={"received_on": timezone.localdate()}
            ),
        }

    def approve(self, request, release):
        services.release_approve(
            release=release,
            reviewer=request.user,
            revision=request.POST.get("revision", ""),
            checklist=request.POST.getlist(f"checklist-{release.uuid}"),
        )

    def reject(self, request, release, reason, note):
        _group, _sep, code = reason.partition(":")
        services.release_reject(release=release, reviewer=request.user, reason=code, note=note)


class ReviewBulkApproveView(StaffRequiredMixin, View):
    def post(self, request):
        photo_uuids, release_uuids = set(), set()
        for value in request.POST.getlist("items"):
            kind, _sep, raw = value.partition(":")
            try:
                (photo_uuids if kind == "photo" else release_uuids).add(uuid_lib.UUID(raw))
            except ValueError:
                raise Http404 from None
        photos = list(Photo.objects.filter(uuid__in=photo_uuids))
        releases = list(ModelRelease.objects.filter(uuid__in=release_uuids))
        _queue, filters = _queue_from(request.POST)
        if not photos and not releases:
            messages.error(request, _("Select at least one item."))
            return redirect(_queue_url(filters))
        result = services.review_bulk_approve(reviewer=request.user, photos=photos, releases=releases)
        if result.approved:
            messages.success(
                request,
                ngettext("%(count)s item approved.", "%(count)s items approved.", result.approved)
                % {"count": result.approved},
            )
        for label, message in result.errors:
            messages.error(request, f"{label}: {message}")
        return redirect(_queue_url(filters))


# --- Staff: the document, paper withdrawals, the subject's link -------------------------------------------


@require_GET
@xframe_options_sameorigin
def release_document(request, uuid):
    """The signed scan, for staff only. Anyone else, signed in or not, gets the same 404 as a missing page.

    A PDF is never sent as a PDF (it could carry scripts for the reviewer's browser): ``?page=N``
    answers page N rendered to a PNG on the server (``rendering``); no such page is a 404.
    """
    if not user_has_role(request.user, Role.STAFF):
        raise Http404
    release = get_object_or_404(ModelRelease, uuid=uuid)
    if release.document_format == "pdf":
        page = request.GET.get("page", "1")
        if not (page.isascii() and page.isdigit() and len(page) <= 3):
            raise Http404
        with default_storage.open(release.document.name, "rb") as f:
            png = rendering.pdf_page_png(f.read(), int(page))
        if png is None:
            raise Http404
        response = HttpResponse(png, content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="{release.subject_id}-page{int(page)}.png"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    content_type = {"jpg": "image/jpeg", "png": "image/png"}[release.document_format]
    response = FileResponse(default_storage.open(release.document.name, "rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{release.subject_id}.{release.document_format}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PaperWithdrawalView(StaffRequiredMixin, View):
    """Record a withdrawal the subject sent on paper; it takes effect at once, like one made online."""

    def post(self, request, uuid):
        release = get_object_or_404(ModelRelease.objects.prefetch_related(_scopes_prefetch()), uuid=uuid)
        form = PaperWithdrawalForm(request.POST, scopes=selectors.release_active_scopes(release))
        if form.is_valid():
            try:
                services.consent_withdraw(
                    release=release,
                    scopes=form.chosen(),
                    channel=ConsentWithdrawal.Channel.PAPER,
                    recorded_by=request.user,
                    received_on=form.cleaned_data["received_on"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The withdrawal is recorded and in effect."))
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        return redirect("licensing:review_release", uuid=release.uuid)


class ReleaseLinkIssueView(StaffRequiredMixin, View):
    """Make a new secret link for the subject (the old one stops working) and show it once."""

    def post(self, request, uuid):
        release = get_object_or_404(ModelRelease, uuid=uuid)
        path = services.release_withdrawal_link_issue(release=release, send_to_subject=request.POST.get("send") == "1")
        return render(
            request,
            "licensing/review_link.html",
            {"release": release, "link": request.build_absolute_uri(path)},
        )


# --- The subject --------------------------------------------------------------------------------------


def _no_referrer(response):
    # The token is in the URL: never send it to another site (image hosts included) and never
    # cache it. Not "no-referrer": the browser would then send "Origin: null" with the withdrawal
    # form and fail Django's CSRF origin check.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


class ConsentView(View):
    """The subject's page, opened with the secret link: what they consented to, for which photos,
    who received them, and the means to withdraw. A wrong token is an ordinary 404."""

    def _release(self, token):
        release = selectors.release_for_withdrawal_token(token)
        if release is None:
            raise Http404
        return release

    def _render(self, request, release, form=None, status=200):
        token = request.resolver_match.kwargs["token"]
        granted = list(release.release_scopes.select_related("scope", "withdrawal"))
        active = [rs.scope for rs in granted if rs.withdrawn_at is None]
        photos = list(
            Photo.objects.filter(subjects__release_link__release=release)
            .exclude(thumbnail="")
            .distinct()
            .order_by("-created_at")
        )
        withdrawable = release.status != ModelRelease.Status.WITHDRAWN and bool(active)
        return _no_referrer(
            render(
                request,
                "licensing/consent.html",
                {
                    "release": release,
                    "token": token,
                    "granted": granted,
                    "photos": photos,
                    "recipients": selectors.subject_recipients(release),
                    "withdrawals": release.withdrawals.prefetch_related("scopes"),
                    "confirmed_contact": selectors.confirmed_contact_email(release),
                    "form": form or (WithdrawForm(scopes=active) if withdrawable else None),
                    "photographer": getattr(
                        getattr(release.contributor, "contributor_profile", None), "display_name", ""
                    )
                    or release.photographer_name,
                },
                status=status,
            )
        )

    def get(self, request, token):
        return self._render(request, self._release(token))

    def post(self, request, token):
        release = self._release(token)
        form = WithdrawForm(request.POST, scopes=selectors.release_active_scopes(release))
        if form.is_valid() and form.chosen() is None and request.POST.get("confirm") != "yes":
            # Withdrawing everything cannot be undone here: say what follows and ask once more.
            return _no_referrer(
                render(
                    request,
                    "licensing/consent_confirm.html",
                    {
                        "release": release,
                        "recipients": selectors.subject_recipients(release),
                        "photo_count": Photo.objects.filter(subjects__release_link__release=release).distinct().count(),
                    },
                )
            )
        if form.is_valid():
            try:
                services.consent_withdraw(release=release, scopes=form.chosen(), channel=ConsentWithdrawal.Channel.LINK)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your withdrawal is recorded. It took effect immediately."))
                return _no_referrer(redirect(request.get_full_path()))
        return self._render(request, release, form, status=400)


@require_POST
def consent_digest(request, token):
    """The subject turns the e-mails about provisions to third parties on or off (APPI's notice)."""
    release = selectors.release_for_withdrawal_token(token)
    if release is None:
        raise Http404
    enabled = request.POST.get("enabled") == "yes"
    services.release_provision_digest_set(release=release, enabled=enabled)
    messages.success(
        request,
        _("We will e-mail you when your photos are provided to a buyer.")
        if enabled
        else _("We will no longer e-mail you about provisions to buyers."),
    )
    return _no_referrer(redirect("licensing:consent", token=token))


# --- Staff: third-party provision records ------------------------------------------------------

RECORDS_PER_PAGE = 100


class ProvisionRecordListView(StaffRequiredMixin, View):
    def get(self, request):
        q = request.GET.get("subject", "").strip()
        records = ProvisionRecord.objects.select_related("order_line__order", "evaluation_pack")
        if q:
            records = records.filter(subject_id__iexact=q)
        if request.GET.get("format") == "csv":
            return _records_csv(records)
        page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "licensing/orders/provision_records.html",
            {"page": page, "records": page.object_list, "subject": q},
        )


def _records_csv(records) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="provision-records.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 Japanese text correctly with a BOM
    writer = csv_writer(response)
    writer.writerow(
        [
            "subject_id",
            "provided_on",
            "recipient",
            "recipient_address",
            "order",
            "dataset",
            "version",
            "files",
            "release_id",
            "scopes",
            "retain_until",
        ]
    )
    for r in records.iterator():
        writer.writerow(
            [
                r.subject_id,
                r.provided_on.isoformat(),
                r.recipient_name,
                r.recipient_address,
                r.reference,
                r.dataset_title,
                r.dataset_version,
                " ".join(r.items.get("files", [])),
                r.consent_basis.get("release_id") or "",
                " ".join(r.consent_basis.get("scopes", [])),
                r.retain_until.isoformat(),
            ]
        )
    return response


# --- The subject's contact and receipts ---------------------------------------------------------


class ContactConfirmView(View):
    """The one-time link that confirms a subject's address. GET only asks (mail scanners follow
    links); the POST confirms, and the private link is e-mailed to the address."""

    def get(self, request, token):
        code = contact_code_for(token)
        return _no_referrer(
            render(request, "licensing/contact_confirm.html", {"valid": code is not None}, status=200 if code else 404)
        )

    def post(self, request, token):
        try:
            release = services.contact_confirm(token=token)
        except ApplicationError as exc:
            return _no_referrer(
                render(request, "licensing/contact_confirm.html", {"valid": False, "error": exc.message}, status=404)
            )
        return _no_referrer(render(request, "licensing/contact_confirm.html", {"confirmed": True, "release": release}))


class LinkResendView(View):
    """ "Send me my link again": the same answer whatever the address, so it reveals nobody."""

    def get(self, request):
        return render(request, "licensing/link_resend.html", {"form": LinkResendForm()})

    def post(self, request):
        form = LinkResendForm(request.POST)
        if not form.is_valid():
            return render(request, "licensing/link_resend.html", {"form": form}, status=400)
        try:
            services.subject_links_resend(email=form.cleaned_data["email"], client=client_ip(request) or "")
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return render(request, "licensing/link_resend.html", {"form": form}, status=exc.status)
        return render(request, "licensing/link_resend.html", {"sent": True})


class IdentityCheckView(StaffRequiredMixin, View):
    """Staff record that they checked a paper release's subject in person, and the address they gave."""

    def post(self, request, uuid):
        release = get_object_or_404(ModelRelease, uuid=uuid)
        try:
            services.release_identity_check_record(
                release=release,
                staff=request.user,
                method=request.POST.get("method", ""),
                email=request.POST.get("email", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The identity check is recorded; the subject's link goes to that address."))
        return redirect("licensing:review_release", uuid=release.uuid)


@require_GET
def consent_receipt_keys(request):
    """The public keys that sign consent receipts, as a JWK Set (RFC 7517). Anyone may fetch it."""
    response = JsonResponse(receipts.jwks())
    response["Content-Type"] = "application/jwk-set+json"
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


class ReceiptVerifyView(View):
    """Paste or upload a receipt; the page says whether our published key signed it, and what it records."""

    def get(self, request):
        return render(request, "licensing/receipt_verify.html", {})

    def post(self, request):
        text = request.POST.get("receipt", "")
        upload = request.FILES.get("file")
        if upload is not None:
            text = upload.read(64 * 1024).decode("ascii", errors="replace")
        context = {"submitted": text.strip()}
        try:
            context["record"] = receipts.verify(text)
            context["sha256"] = receipts.token_sha256(text)
        except receipts.ReceiptInvalid as exc:
            context["error"] = str(exc)
        return render(request, "licensing/receipt_verify.html", context, status=200 if "record" in context else 400)


def subject_receipts(request, token):
    """All of the subject's receipts, oldest first, as one JSON file to keep."""
    release = selectors.release_for_withdrawal_token(token)
    if release is None:
        raise Http404
    body = {
        "subject_id": release.subject_id,
        "verification_keys": request.build_absolute_uri(reverse("licensing:consent_receipt_keys")),
        "receipts": [
            {
                "id": str(r.uuid),
                "event": r.event,
                "issued_at": r.issued_at.isoformat(),
                "previous_id": str(r.previous.uuid) if r.previous_id else None,
                "sha256": r.sha256,
                "jws": r.token,
            }
            for r in release.receipts.select_related("previous").order_by("issued_at", "id")
        ],
    }
    response = JsonResponse(body, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="consent-receipts-{release.subject_id}.json"'
    return _no_referrer(response)


# --- Release requests: the person signs for themselves ------------------------------------------


class ReleaseRequestCreateView(ContributorRequiredMixin, View):
    """A contributor asks a person to sign, by e-mail or here on this device."""

    template_name = "licensing/release_request_form.html"

    def _subjects(self, user):
        return list(
            PhotoSubject.objects.filter(photo__contributor=user, release_link__isnull=True)
            .select_related("photo")
            .order_by("-photo__created_at", "position")[:200]
        )

    def get(self, request):
        subjects = self._subjects(request.user)
        initial = {"photographer_name": request.user.get_full_name(), "language": "ja", "mode": "remote"}
        # From a photo's page (?photo=<uuid>&person=<n>): that person is already chosen.
        photo, person = request.GET.get("photo", ""), request.GET.get("person", "")
        chosen = [s for s in subjects if str(s.photo.uuid) == photo and str(s.position) == person]
        if chosen:
            initial["subjects"] = [str(chosen[0].pk)]
            initial["shoot_date"] = chosen[0].photo.shoot_date
        form = ReleaseRequestForm(subjects=subjects, initial=initial)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = ReleaseRequestForm(request.POST, subjects=self._subjects(request.user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                req, path = services.release_request_create(
                    contributor=request.user,
                    subject_name=data["subject_name"],
                    email=data["email"],
                    is_minor=data["is_minor"],
                    subjects=[form.subject_rows[pk] for pk in data["subjects"]],
                    mode=data["mode"],
                    language=data["language"],
                    photographer_name=data["photographer_name"],
                    shoot_date=data["shoot_date"],
                    shoot_place=data["shoot_place"],
                )
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                if req.mode == "on_location":
                    return redirect(path + "?handover=1")
                messages.success(
                    request,
                    _("We sent the signing link to %(email)s. The release appears here once it is signed.")
                    % {"email": req.email},
                )
                return redirect("licensing:release_list")
        return render(request, self.template_name, {"form": form}, status=400)


def _masked(email: str) -> str:
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


class ReleaseSignView(View):
    """The signing page: confirm the address with a code, then read, tick and sign."""

    template_name = "licensing/release_sign.html"

    def _request(self, token):
        req = services.release_request_for_token(token)
        if req is None:
            raise Http404
        return req

    def _confirmed_here(self, request, req) -> bool:
        return req.email_confirmed_at is not None and request.session.get(f"sign:{req.uuid}") is True

    def _render(self, request, req, token, *, code_form=None, form=None, code_sent=False, status=200):
        scopes = list(ConsentScope.objects.order_by("position", "code"))
        subjects = list(req.subjects.select_related("photo").order_by("photo_id", "position"))
        context = {
            "req": req,
            "token": token,
            "masked_email": _masked(req.email),
            "handover": request.GET.get("handover") == "1",
            "confirmed": self._confirmed_here(request, req),
            "code_sent": code_sent or request.session.get(f"sign-code:{req.uuid}") is True,
            "code_form": code_form or SigningCodeForm(),
            "form": form or SigningForm(scopes=scopes),
            "scopes": scopes,
            "photos": list({s.photo_id: s.photo for s in subjects}.values()),
            "release_text_ja": documents.RELEASE_TEXT_JA,
            "release_text_en": documents.RELEASE_TEXT_EN,
        }
        return _no_referrer(render(request, self.template_name, context, status=status))

    def get(self, request, token):
        return self._render(request, self._request(token), token)

    def post(self, request, token):
        req = self._request(token)
        action = request.POST.get("action")
        try:
            if action == "send":
                services.release_request_code_send(request=req)
                request.session[f"sign-code:{req.uuid}"] = True
                return self._render(request, req, token, code_sent=True)
            if action == "code":
                code_form = SigningCodeForm(request.POST)
                if not code_form.is_valid():
                    return self._render(request, req, token, code_form=code_form, status=400)
                services.release_request_code_check(request=req, code=code_form.cleaned_data["code"])
                request.session[f"sign:{req.uuid}"] = True
                return _no_referrer(redirect(request.get_full_path()))
            if action == "sign":
                if not self._confirmed_here(request, req):
                    raise Http404
                scopes = list(ConsentScope.objects.order_by("position", "code"))
                form = SigningForm(request.POST, scopes=scopes)
                if not form.is_valid():
                    return self._render(request, req, token, form=form, status=400)
                data = form.cleaned_data
                try:
                    services.release_request_sign(
                        request=req,
                        scopes=data["scopes"],
                        full_name=data["full_name"],
                        signature_png=data_url_png(data["signature"]),
                        guardian_name=data["guardian_name"],
                        guardian_relation=data["guardian_relation"],
                        guardian_signature_png=data_url_png(data["guardian_signature"]),
                    )
                except ApplicationError as exc:
                    exc.add_to_form(form)
                    return self._render(request, req, token, form=form, status=exc.status)
                return _no_referrer(redirect(request.path))
        except ApplicationError as exc:
            code_form = SigningCodeForm(request.POST if action == "code" else None)
            code_form.add_error(None, exc.message)
            return self._render(request, req, token, code_form=code_form, status=exc.status)
        raise Http404


def release_sign_photo(request, token, uuid):
    """A thumbnail of a photo the signing request covers (the photo may not be published yet)."""
    req = services.release_request_for_token(token)
    if req is None:
        raise Http404
    photo = Photo.objects.filter(uuid=uuid, subjects__in=req.subjects.all()).exclude(thumbnail="").first()
    if photo is None:
        raise Http404
    response = FileResponse(default_storage.open(photo.thumbnail.name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def subject_release_pdf(request, token):
    """The signed release as a PDF, for the subject with their private link."""
    release = selectors.release_for_withdrawal_token(token)
    if release is None or release.origin != "digital":
        raise Http404
    response = FileResponse(
        default_storage.open(release.document.name, "rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"model-release-{release.subject_id}.pdf",
    )
    return _no_referrer(response)
