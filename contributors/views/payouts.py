"""Staff payout pages: payout runs, their files, marking transfers paid or failed, the revenue report.

Writes go through ``contributors.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from contributors import selectors, services
from contributors.forms import RunStartForm
from contributors.models import Payout, PayoutRun
from stockdata.accounts.permissions import StaffRequiredMixin
from stockdata.errors import ApplicationError


class RunListView(StaffRequiredMixin, View):
    def get(self, request, form=None):
        runs = list(PayoutRun.objects.all()[:36])
        return render(
            request,
            "contributors/payouts/run_list.html",
            {
                "runs": runs,
                "form": form or RunStartForm(initial={"period": services.previous_period()}),
            },
        )

    def post(self, request):
        form = RunStartForm(request.POST)
        if form.is_valid():
            try:
                run = services.payout_run_start(period=form.cleaned_data["period"], by=request.user)
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                return redirect("payouts:run_detail", period=run.period)
        return self.get(request, form=form)


def _run(period: str) -> PayoutRun:
    return get_object_or_404(PayoutRun, period=period)


class RunDetailView(StaffRequiredMixin, View):
    def get(self, request, period: str):
        run = _run(period)
        payouts = Paginator(
            Payout.objects.filter(run=run).select_related("contributor__contributor_profile").order_by("id"), 100
        ).get_page(request.GET.get("page"))
        return render(
            request,
            "contributors/payouts/run_detail.html",
            {
                "run": run,
                "totals": selectors.payout_run_totals(run=run),
                "payouts": payouts,
            },
        )


class RunExportView(StaffRequiredMixin, View):
    def post(self, request, period: str):
        try:
            services.payout_run_export(run=_run(period), by=request.user)
            messages.success(request, _("The transfer files were written."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("payouts:run_detail", period=period)


class RunFileView(StaffRequiredMixin, View):
    def get(self, request, period: str, kind: str):
        run = _run(period)
        field = {"csv": run.csv_file, "zengin": run.zengin_file}.get(kind)
        if not field:
            raise Http404
        content_type = "text/csv" if kind == "csv" else "text/plain; charset=shift_jis"
        return FileResponse(
            default_storage.open(field.name, "rb"),
            as_attachment=True,
            filename=field.name.rsplit("/", 1)[-1],
            content_type=content_type,
        )


class RunMarkPaidView(StaffRequiredMixin, View):
    def post(self, request, period: str):
        count = services.payout_run_mark_paid(run=_run(period), by=request.user)
        messages.success(request, _("%(count)s payouts marked paid.") % {"count": count})
        return redirect("payouts:run_detail", period=period)


class PayoutMarkView(StaffRequiredMixin, View):
    def post(self, request, pk: int, outcome: str):
        payout = get_object_or_404(Payout.objects.select_related("run"), pk=pk)
        try:
            if outcome == "paid":
                services.payout_mark_paid(payout=payout, by=request.user)
            elif outcome == "failed":
                services.payout_mark_failed(payout=payout, reason=request.POST.get("reason", ""), by=request.user)
            else:
                raise Http404
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("payouts:run_detail", period=payout.run.period)


class RevenueReportView(StaffRequiredMixin, View):
    def get(self, request):
        return render(request, "contributors/payouts/revenue.html", {"months": selectors.platform_revenue_by_month()})
