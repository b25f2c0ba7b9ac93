"""The contributor's earnings pages: the dashboard, payout account, statements, withholding.

Every query is filtered by the signed-in contributor, so another contributor's payout or
statement is a 404. Writes go through ``contributors.services``.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from contributors import selectors, services
from contributors.forms import PayoutDetailsForm
from contributors.models import ContributorProfile, Payout
from stockdata.accounts.permissions import ContributorRequiredMixin
from stockdata.csv_export import csv_writer
from stockdata.errors import ApplicationError
from stockdata.i18n import is_japanese
from stockdata.money import format_yen
from stockdata.royalty_terms import royalty_terms

ENTRIES_PER_PAGE = 50

# --- Contributor ------------------------------------------------------------------------------------


class EarningsView(ContributorRequiredMixin, View):
    template_name = "contributors/earnings.html"

    def get(self, request):
        uid = request.user.pk
        profile = ContributorProfile.objects.filter(user=request.user).first()
        entries = selectors.royalty_ledger(contributor_id=uid)
        page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
        japanese = is_japanese()
        for entry in page.object_list:
            entry.yen = format_yen(int(entry.amount))
            if entry.version_id:
                dataset = entry.version.dataset
                entry.dataset_title = dataset.title_ja if japanese and dataset.title_ja else dataset.title_en
        chart = selectors.earnings_by_month(contributor_id=uid)
        for i, bar in enumerate(chart):
            bar["height"] = round(bar["percent"] * 1.4)
            bar["x"], bar["y"], bar["cx"] = 8 + i * 50, 165 - bar["height"], 25 + i * 50
            bar["label_y"] = max(bar["y"] - 4, 10)
            bar["yen"], bar["short"] = format_yen(bar["amount"]), bar["label"][2:]
        balance = selectors.royalty_balance(contributor_id=uid)
        return render(
            request,
            self.template_name,
            {
                "balance": balance,
                "balance_yen": format_yen(balance),
                "minimum_yen": format_yen(services.payout_minimum()),
                "next_payout_date": services.next_payout_date(contributor_id=uid),
                "terms": royalty_terms(),
                "chart": chart,
                "chart_width": 16 + 50 * len(chart),
                "page": page,
                "payouts": selectors.payouts_for(contributor_id=uid)[:12],
                "profile": profile,
                "has_bank": bool(profile and profile.has_bank_account),
            },
        )


class PayoutAccountView(ContributorRequiredMixin, View):
    template_name = "contributors/earnings_account.html"

    def _profile(self, request):
        return get_object_or_404(ContributorProfile, user=request.user)

    def get(self, request):
        profile = self._profile(request)
        initial = {
            "entity_type": profile.entity_type,
            "tax_residency": profile.tax_residency,
            "bank_code": profile.bank_code,
            "branch_code": profile.branch_code,
            "account_type": str(profile.account_type or 1),
            "account_number": profile.account_number,
            "holder_name": profile.account_holder_kana,
        }
        return render(request, self.template_name, {"form": PayoutDetailsForm(initial=initial), "profile": profile})

    def post(self, request):
        profile = self._profile(request)
        form = PayoutDetailsForm(request.POST)
        if form.is_valid():
            try:
                services.contributor_payout_details_set(profile=profile, **form.cleaned_data)
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("Your payout details were saved."))
                return redirect("contributors:earnings")
        return render(request, self.template_name, {"form": form, "profile": profile}, status=400)


def _own_payout(request, pk: int) -> Payout:
    return get_object_or_404(Payout.objects.select_related("run"), pk=pk, contributor=request.user)


def statement_lines(payout: Payout) -> list[dict]:
    """Each sale (and refund) the payout pays: date, dataset, version, edition, your photos, your share."""
    japanese = is_japanese()
    lines = []
    for entry in selectors.payout_statement_entries(payout=payout):
        dataset = entry.version.dataset if entry.version_id else None
        title = ""
        if dataset is not None:
            title = dataset.title_ja if japanese and dataset.title_ja else dataset.title_en
        lines.append(
            {
                "date": timezone.localtime(entry.created_at).date(),
                "kind": entry.kind,
                "kind_label": entry.get_kind_display(),
                "dataset": title,
                "version": entry.version.number if entry.version_id else None,
                "edition": entry.order_line.edition if entry.order_line_id else "",
                "edition_label": entry.order_line.get_edition_display() if entry.order_line_id else "",
                "photo_count": entry.photo_count,
                "amount": int(entry.amount),
            }
        )
    return lines


class PayoutStatementView(ContributorRequiredMixin, View):
    def get(self, request, pk: int):
        payout = _own_payout(request, pk)
        profile = ContributorProfile.objects.filter(user=request.user).first()
        context = {"payout": payout, "profile": profile, "lines": statement_lines(payout)}
        return render(request, "contributors/payouts/statement.html", context)


def statement_rows(payout: Payout) -> list[tuple[str, str]]:
    return [
        (_("Period"), payout.run.period),
        (_("Transfer date"), payout.run.transfer_date.isoformat()),
        (_("Gross royalties"), format_yen(payout.gross)),
        (_("Income tax withheld"), format_yen(payout.withholding)),
        (_("Transfer fee"), format_yen(payout.fee)),
        (_("Net paid"), format_yen(payout.net)),
        (_("Status"), str(payout.get_status_display())),
    ]


class PayoutStatementCsvView(ContributorRequiredMixin, View):
    def get(self, request, pk: int):
        payout = _own_payout(request, pk)
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        writer.writerow(["period", "transfer_date", "gross", "withholding", "fee", "net", "status"])
        writer.writerow(
            [
                payout.run.period,
                payout.run.transfer_date.isoformat(),
                payout.gross,
                payout.withholding,
                payout.fee,
                payout.net,
                payout.status,
            ]
        )
        # The sales the gross is made of, as a second table after a blank line.
        writer.writerow([])
        writer.writerow(["date", "kind", "dataset", "version", "edition", "your_photos", "amount"])
        for line in statement_lines(payout):
            writer.writerow(
                [
                    line["date"].isoformat(),
                    line["kind"],
                    line["dataset"],
                    line["version"] or "",
                    line["edition"],
                    line["photo_count"] or "",
                    line["amount"],
                ]
            )
        response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="statement-{payout.run.period}-{payout.pk}.csv"'
        return response


def statement_pdf(payout: Payout, *, name: str) -> bytes:
    """A one-page statement; Japanese text through reportlab's CID font HeiseiKakuGo-W5."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "HeiseiKakuGo-W5"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(f"Stockdata payout statement {payout.run.period}")
    width, height = A4
    y = height - 72
    pdf.setFont(font, 16)
    pdf.drawString(56, y, _("Payout statement"))
    y -= 28
    pdf.setFont(font, 11)
    pdf.drawString(56, y, name)
    y -= 28
    for label, value in statement_rows(payout):
        pdf.drawString(56, y, str(label))
        pdf.drawRightString(width - 56, y, str(value))
        y -= 20
    y -= 12
    pdf.setFont(font, 9)
    pdf.drawString(
        56, y, _("Income tax is withheld under the Income Tax Act, article 204 (incl. reconstruction surtax).")
    )
    y -= 28
    pdf.setFont(font, 12)
    pdf.drawString(56, y, _("Sales in this payout"))
    y -= 20
    pdf.setFont(font, 9)
    for line in statement_lines(payout):
        if y < 72:  # a new page keeps every sale listed
            pdf.showPage()
            pdf.setFont(font, 9)
            y = height - 72
        what = line["dataset"] or line["kind_label"]
        if line["version"]:
            what = f"{what} v{line['version']}"
        pdf.drawString(56, y, line["date"].isoformat())
        pdf.drawString(380, y, str(line["edition_label"]))
        pdf.drawRightString(width - 120, y, str(line["photo_count"] or ""))
        pdf.drawRightString(width - 56, y, format_yen(line["amount"]))
        for part in simpleSplit(what, font, 9, 250):  # long titles wrap, never cut
            pdf.drawString(120, y, part)
            y -= 12
        y -= 4
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class PayoutStatementPdfView(ContributorRequiredMixin, View):
    def get(self, request, pk: int):
        payout = _own_payout(request, pk)
        profile = ContributorProfile.objects.filter(user=request.user).first()
        data = statement_pdf(payout, name=profile.display_name if profile else request.user.email)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="statement-{payout.run.period}-{payout.pk}.pdf"'
        return response


class WithholdingSummaryView(ContributorRequiredMixin, View):
    def get(self, request):
        return render(
            request,
            "contributors/earnings_withholding.html",
            {"years": selectors.withholding_summary(contributor_id=request.user.pk)},
        )
