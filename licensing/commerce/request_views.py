"""Datasets made to order: the buyer's requests and offers, and staff's review of them.

Buyers: owners and purchasers of the requesting organisation (``PURCHASING``); anyone else in
another organisation gets 404, as for orders. Staff: the review list and the offer or refusal.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from catalog.models import Dataset
from licensing.commerce import selectors, services
from licensing.commerce.forms import DatasetRequestDeclineForm, DatasetRequestForm, DatasetRequestOfferForm
from licensing.commerce.models import DatasetRequest
from licensing.consent.models import ConsentScope
from stockdata.accounts.permissions import PURCHASING, OrgRoleRequiredMixin, StaffRequiredMixin
from stockdata.errors import ApplicationError


def _scope_names(codes) -> list[str]:
    names = {s.code: s.name for s in ConsentScope.objects.filter(code__in=codes)}
    return [names.get(code, code) for code in codes]


def _form_errors(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class DatasetRequestListView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def get(self, request):
        requests = selectors.organisation_dataset_requests(request.user).select_related("requested_by")
        return render(request, "licensing/requests/list.html", {"requests": requests})


class DatasetRequestCreateView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def get(self, request):
        return render(request, "licensing/requests/form.html", {"form": DatasetRequestForm()})

    def post(self, request):
        form = DatasetRequestForm(request.POST)
        if form.is_valid():
            try:
                created = services.dataset_request_submit(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Your request was sent. Our staff will answer with an offer."))
                return redirect("licensing:dataset_request", uuid=created.uuid)
        return render(request, "licensing/requests/form.html", {"form": form}, status=400)


def _own_request(user, uuid) -> DatasetRequest:
    return get_object_or_404(selectors.organisation_dataset_requests(user).select_related("quotation"), uuid=uuid)


class DatasetRequestDetailView(OrgRoleRequiredMixin, View):
    """The request, staff's answer, and while it is a mission, its live progress."""

    org_roles = PURCHASING

    def get(self, request, uuid):
        dataset_request = _own_request(request.user, uuid)
        context = {
            "req": dataset_request,
            "scopes": _scope_names(dataset_request.required_scopes),
            "progress": selectors.mission_progress(dataset_request) if dataset_request.is_mission else None,
        }
        return render(request, "licensing/requests/detail.html", context)


class DatasetRequestProgressView(OrgRoleRequiredMixin, View):
    """The progress bar alone, polled by htmx."""

    org_roles = PURCHASING

    def get(self, request, uuid):
        dataset_request = _own_request(request.user, uuid)
        progress = selectors.mission_progress(dataset_request) if dataset_request.is_mission else None
        context = {"req": dataset_request, "progress": progress, "poll_url": request.path}
        return render(request, "licensing/requests/_progress.html", context)


class DatasetRequestAcceptView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def post(self, request, uuid):
        dataset_request = _own_request(request.user, uuid)
        try:
            quotation = services.dataset_request_accept(request=dataset_request, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("licensing:dataset_request", uuid=dataset_request.uuid)
        messages.success(request, _("Offer accepted: quotation %(number)s.") % {"number": quotation.number})
        return redirect("licensing:quotation", number=quotation.number)


# --- Staff -----------------------------------------------------------------------------------------


class StaffDatasetRequestListView(StaffRequiredMixin, View):
    def get(self, request):
        requests = DatasetRequest.objects.select_related("organisation", "requested_by")
        status = request.GET.get("status", "")
        if status in DatasetRequest.Status.values:
            requests = requests.filter(status=status)
        context = {"requests": requests[:200], "status": status, "statuses": DatasetRequest.Status.choices}
        return render(request, "licensing/requests/staff_list.html", context)


class StaffDatasetRequestView(StaffRequiredMixin, View):
    """One request: offer a price and a date (it becomes a mission) or decline with a reason."""

    def _render(self, request, dataset_request, offer_form=None, decline_form=None, status=200):
        context = {
            "req": dataset_request,
            "scopes": _scope_names(dataset_request.required_scopes),
            "offer_form": offer_form or DatasetRequestOfferForm(),
            "decline_form": decline_form or DatasetRequestDeclineForm(),
            "progress": selectors.mission_progress(dataset_request) if dataset_request.is_mission else None,
        }
        return render(request, "licensing/requests/staff_detail.html", context, status=status)

    def get(self, request, uuid):
        return self._render(
            request, get_object_or_404(DatasetRequest.objects.select_related("organisation"), uuid=uuid)
        )

    def post(self, request, uuid):
        dataset_request = get_object_or_404(DatasetRequest, uuid=uuid)
        if request.POST.get("action") == "deliver":
            dataset = Dataset.objects.filter(slug=request.POST.get("dataset", "")).first()
            if dataset is None:
                messages.error(request, _("No dataset has that slug."))
                return redirect("licensing:staff_dataset_request", uuid=uuid)
            try:
                services.dataset_request_deliver(request=dataset_request, dataset=dataset)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("Delivered: the mission's bonuses are paid when the buyer's order is paid.")
                )
            return redirect("licensing:staff_dataset_request", uuid=uuid)
        if request.POST.get("action") == "decline":
            form = DatasetRequestDeclineForm(request.POST)
            if form.is_valid():
                try:
                    services.dataset_request_decline(
                        request=dataset_request, staff=request.user, reason=form.cleaned_data["reason"]
                    )
                except ApplicationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("The request was declined."))
                    return redirect("licensing:staff_dataset_request", uuid=uuid)
            return self._render(request, dataset_request, decline_form=form, status=400)
        form = DatasetRequestOfferForm(request.POST)
        if form.is_valid():
            try:
                services.dataset_request_offer(request=dataset_request, staff=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The offer was sent; the request is now a mission for contributors."))
                return redirect("licensing:staff_dataset_request", uuid=uuid)
        return self._render(request, dataset_request, offer_form=form, status=400)
