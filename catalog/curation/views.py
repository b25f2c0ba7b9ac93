"""Staff pages: the dataset list and card, the curation page, and the box editor.

Every change goes through ``catalog.curation.services``; a refusal is shown as the service words it.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from catalog.curation import services
from catalog.curation.forms import AddPhotosForm, CurationQueryForm, DatasetForm, FreezeForm
from catalog.curation.selectors import CurationQuery, curation_count, curation_select, eligible_photos, tag_suggestions
from catalog.models import AnnotationBox, Dataset, DatasetPhoto, DatasetVersion, Photo
from catalog.photos.selectors import photos_annotation_state
from stockdata.accounts.permissions import StaffRequiredMixin
from stockdata.errors import ApplicationError

SAMPLE_SIZE = 24
SELECTION_PAGE = 120


def _count_per_dataset(model):
    rows = model.objects.filter(dataset=OuterRef("pk")).order_by().values("dataset").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows[:1], output_field=IntegerField()), 0)


class DatasetListView(StaffRequiredMixin, TemplateView):
    template_name = "catalog/staff/dataset_list.html"

    def get_context_data(self, **kwargs):
        datasets = (
            Dataset.objects.select_related("latest_version")
            .annotate(
                version_count=_count_per_dataset(DatasetVersion),
                selection_count=_count_per_dataset(DatasetPhoto),
            )
            .order_by("-updated_at")
        )
        return super().get_context_data(datasets=datasets, **kwargs)


class DatasetCreateView(StaffRequiredMixin, View):
    template = "catalog/staff/dataset_form.html"

    def get(self, request):
        return render(request, self.template, {"form": DatasetForm(), "dataset": None})

    def post(self, request):
        form = DatasetForm(request.POST)
        if form.is_valid():
            try:
                dataset = services.dataset_create(**form.service_fields())
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("Dataset created. Now build its selection."))
                return redirect("curation:curate", slug=dataset.slug)
        return render(request, self.template, {"form": form, "dataset": None}, status=400)


class DatasetEditView(StaffRequiredMixin, View):
    template = "catalog/staff/dataset_form.html"

    def get(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        return render(request, self.template, {"form": DatasetForm(dataset=dataset), "dataset": dataset})

    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        form = DatasetForm(request.POST, dataset=dataset)
        if form.is_valid():
            try:
                services.dataset_update(dataset=dataset, **form.service_fields())
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("Dataset saved."))
                return redirect("curation:curate", slug=dataset.slug)
        return render(request, self.template, {"form": form, "dataset": dataset}, status=400)


def _preview_context(dataset: Dataset, query: CurationQuery) -> dict:
    selected = curation_select(dataset=dataset, query=query)
    sample = list(Photo.objects.filter(pk__in=[p.pk for p in selected[:SAMPLE_SIZE]]).order_by("created_at", "pk"))
    in_selection = set(
        DatasetPhoto.objects.filter(dataset=dataset, photo__in=sample).values_list("photo_id", flat=True)
    )
    return {
        "count": curation_count(dataset=dataset, query=query),
        "selected": len(selected),
        "sample": sample,
        "dataset": dataset,
        "in_selection": in_selection,
    }


class CurateView(StaffRequiredMixin, View):
    template = "catalog/staff/curate.html"

    def context(self, dataset: Dataset, *, form=None, freeze_form=None, add_form=None) -> dict:
        query = CurationQuery.from_dict(dataset.curation_query)
        if form is None:
            form = CurationQueryForm(initial=CurationQueryForm.initial_from(query))
        selection = (
            Photo.objects.filter(datasetphoto__dataset=dataset)
            .annotate(box_count=Count("boxes"))
            .order_by("datasetphoto__added_at", "pk")
        )
        versions = dataset.versions.select_related("frozen_by").order_by("-number")
        unconfirmed = AnnotationBox.objects.filter(photo__datasetphoto__dataset=dataset, confirmed=False).count()
        # Photos in the selection that may no longer enter (consent withdrawn, a scope gone, no
        # longer approved): freezing leaves them out, the curator should see which before.
        eligible = eligible_photos(required_scopes=dataset.required_scopes, stored=True).filter(
            datasetphoto__dataset=dataset
        )
        ineligible = set(
            Photo.objects.filter(datasetphoto__dataset=dataset)
            .exclude(pk__in=eligible.values("pk"))
            .values_list("pk", flat=True)
        )
        return {
            "dataset": dataset,
            "form": form,
            "freeze_form": freeze_form or FreezeForm(),
            "add_form": add_form or AddPhotosForm(),
            "selection": selection[:SELECTION_PAGE],
            "selection_count": DatasetPhoto.objects.filter(dataset=dataset).count(),
            "versions": versions,
            "unconfirmed": unconfirmed,
            "incomplete": sum(
                1
                for st in photos_annotation_state(
                    DatasetPhoto.objects.filter(dataset=dataset).values_list("photo_id", flat=True)
                ).values()
                if not st["complete"]
            ),
            "ineligible": ineligible,
            "excluded": len(query.exclude),
            "preview": _preview_context(dataset, query),
        }

    def get(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        return render(request, self.template, self.context(dataset))


class PreviewView(StaffRequiredMixin, View):
    """The live count and sample grid for the query as it is being edited (htmx)."""

    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        form = CurationQueryForm(request.POST)
        if not form.is_valid():
            return render(request, "catalog/staff/_preview.html", {"form_errors": form.errors, "dataset": dataset})
        query = form.to_query(exclude=CurationQuery.from_dict(dataset.curation_query).exclude)
        return render(request, "catalog/staff/_preview.html", {"preview": _preview_context(dataset, query)})


class TagSuggestionsView(StaffRequiredMixin, View):
    """Datalist options for a comma-separated tag field: what is typed so far, plus each known tag."""

    def get(self, request, slug):
        typed = next((request.GET[n] for n in ("tags_all", "tags_any", "tags_none", "q") if request.GET.get(n)), "")
        typed = typed.replace("、", ",")
        head, _sep, prefix = typed.rpartition(",")
        head = f"{head}, " if head.strip() else ""
        tags = tag_suggestions(prefix.strip()) if prefix.strip() else []
        return render(request, "catalog/staff/_tag_options.html", {"options": [head + t for t in tags]})


class ApplyQueryView(StaffRequiredMixin, View):
    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        form = CurationQueryForm(request.POST)
        if not form.is_valid():
            return render(request, CurateView.template, CurateView().context(dataset, form=form), status=400)
        query = form.to_query(exclude=CurationQuery.from_dict(dataset.curation_query).exclude)
        total = services.dataset_apply_query(dataset=dataset, query=query)
        messages.success(request, _("Query applied: the working selection holds %(count)d photos.") % {"count": total})
        return redirect("curation:curate", slug=slug)


class AddPhotosView(StaffRequiredMixin, View):
    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        form = AddPhotosForm(request.POST)
        if form.is_valid():
            uuids = form.cleaned_data["uuids"]
            photos = list(Photo.objects.filter(uuid__in=uuids))
            if len(photos) != len(set(uuids)):
                form.add_error("uuids", _("No photo has one of these ids; check them and try again."))
            else:
                try:
                    added = services.dataset_add_photos(dataset=dataset, photos=photos)
                except ApplicationError as exc:
                    exc.add_to_form(form)
                else:
                    messages.success(request, _("%(count)d photo(s) added by hand.") % {"count": added})
                    return redirect("curation:curate", slug=slug)
        return render(request, CurateView.template, CurateView().context(dataset, add_form=form), status=400)


class RemovePhotoView(StaffRequiredMixin, View):
    def post(self, request, slug, uuid):
        dataset = get_object_or_404(Dataset, slug=slug)
        photo = get_object_or_404(Photo, uuid=uuid)
        services.dataset_remove_photos(dataset=dataset, photos=[photo])
        messages.success(request, _("Photo removed from the selection; re-applying the query will not bring it back."))
        return redirect(reverse("curation:curate", kwargs={"slug": slug}) + "#selection")


class FreezeView(StaffRequiredMixin, View):
    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        form = FreezeForm(request.POST)
        if form.is_valid():
            try:
                version = services.dataset_version_freeze(
                    dataset=dataset,
                    by=request.user,
                    annotated=form.cleaned_data["edition"] == "annotated",
                    notes=form.cleaned_data["notes"],
                )
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                messages.success(
                    request,
                    _("Version %(number)d frozen with %(count)d photos.")
                    % {"number": version.number, "count": version.photo_count},
                )
                return redirect(reverse("curation:curate", kwargs={"slug": slug}) + "#versions")
        return render(request, CurateView.template, CurateView().context(dataset, freeze_form=form), status=400)


class StatusView(StaffRequiredMixin, View):
    action = ""

    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        try:
            if self.action == "publish":
                services.dataset_publish(dataset=dataset)
                messages.success(request, _("Dataset published: buyers can see it in the catalogue."))
            else:
                services.dataset_retire(dataset=dataset)
                messages.success(request, _("Dataset retired: it is no longer for sale."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("curation:curate", slug=slug)


# --- Box editor -------------------------------------------------------------------------


def _box_data(box: AnnotationBox) -> dict:
    return {
        "id": box.pk,
        "label": box.label,
        "x": box.x,
        "y": box.y,
        "w": box.w,
        "h": box.h,
        "source": box.source,
        "confirmed": box.confirmed,
    }


def _editor_context(photo: Photo, *, dataset: Dataset | None, order: list[int]) -> dict:
    """What the box editor needs; ``order`` is the working selection's photo ids, for next / previous."""
    position = order.index(photo.pk)
    neighbours = {
        "prev": order[position - 1] if position > 0 else None,
        "next": order[position + 1] if position + 1 < len(order) else None,
    }
    uuids = dict(Photo.objects.filter(pk__in=[pk for pk in neighbours.values() if pk]).values_list("pk", "uuid"))
    links = {
        which: (reverse("curation:annotate", kwargs={"slug": dataset.slug}) + f"?photo={uuids[pk]}")
        if pk and dataset is not None
        else ""
        for which, pk in neighbours.items()
    }

    boxes = AnnotationBox.objects.filter(photo=photo).order_by("y", "x", "pk")
    state = photos_annotation_state(order)
    unconfirmed = sum(s["unconfirmed"] for s in state.values())
    incomplete = sum(1 for s in state.values() if not s["complete"])
    editor = {
        "photo": {
            "uuid": str(photo.uuid),
            "width": photo.width,
            "height": photo.height,
            "preview": photo.preview_url,
            "name": photo.original_filename,
        },
        "boxes": [_box_data(b) for b in boxes],
        "api": reverse("api:curation-photo-boxes", kwargs={"uuid": photo.uuid}),
        "propose_api": reverse("api:curation-photo-boxes-propose", kwargs={"uuid": photo.uuid}),
        "prev": links["prev"],
        "next": links["next"],
        "unconfirmed_left": unconfirmed,
        "incomplete_left": incomplete,
        "complete": state[photo.pk]["complete"],
        "text": {
            "saved": _("Saved: every box is confirmed."),
            "completed": _("Saved and marked complete: every face and mask is boxed, no false box."),
            "is_complete": _("Annotation complete"),
            "not_complete": _("Not marked complete"),
            "saving": _("Saving…"),
            "failed": _("Not saved:"),
            "unsaved": _("Unsaved changes: press Enter to save, or press the key again to leave without saving."),
            "proposed": _("Detector proposals added:"),
            "face": _("face"),
            "mask": _("mask"),
        },
    }
    return {
        "photo": photo,
        "dataset": dataset,
        "editor": editor,
        "position": position + 1,
        "total": len(order),
        "unconfirmed": unconfirmed,
        "incomplete": incomplete,
        "state": state[photo.pk],
    }


class AnnotateView(StaffRequiredMixin, View):
    """The working selection one photo at a time, in the order photos joined it.

    Without ``?photo=`` it opens on the first photo with a proposal left to check, else the first
    not yet marked complete, so a curator picks up where the work stops.
    """

    def get(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        order = list(
            DatasetPhoto.objects.filter(dataset=dataset)
            .order_by("added_at", "photo_id")
            .values_list("photo_id", flat=True)
        )
        if not order:
            messages.warning(request, _("The working selection is empty; apply a query or add photos first."))
            return redirect("curation:curate", slug=slug)
        wanted = request.GET.get("photo")
        if wanted:
            photo = get_object_or_404(Photo, uuid=wanted, pk__in=order)
        else:
            state = photos_annotation_state(order)
            first = next((pk for pk in order if state[pk]["unconfirmed"]), None)
            first = first or next((pk for pk in order if not state[pk]["complete"]), order[0])
            photo = Photo.objects.get(pk=first)
        return render(request, "catalog/staff/box_editor.html", _editor_context(photo, dataset=dataset, order=order))


class PhotoBoxesView(StaffRequiredMixin, View):
    def get(self, request, uuid):
        photo = get_object_or_404(Photo, uuid=uuid)
        if not photo.preview:
            raise Http404
        return render(request, "catalog/staff/box_editor.html", _editor_context(photo, dataset=None, order=[photo.pk]))
