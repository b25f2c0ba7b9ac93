"""Cart, checkout, orders, invoices and payments pages (buyers), and the staff order pages."""

from __future__ import annotations

import csv
import io
import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, RawPostDataException
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from catalog.models import Dataset
from licensing.commerce import payments, selectors, services
from licensing.commerce.documents import invoice_context, licence_pdf, quotation_context
from licensing.commerce.forms import BankStatementForm, CartAddForm, CheckoutForm, DecisionForm, DemoCardForm
from licensing.commerce.models import CartLine, Invoice, LicenceTerms, Order, OrderLine, Quotation
from licensing.commerce.selectors import order_for_buyer, organisation_orders
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import (
    ANY_MEMBER,
    DOWNLOADING,
    PURCHASING,
    OrgRoleRequiredMixin,
    StaffRequiredMixin,
    has_any_org_role,
    org_roles_refused,
    user_has_role,
)
from stockdata.client_ip import client_ip
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.storage import private_storage

logger = logging.getLogger(__name__)

ORDERS_PER_PAGE = 30


def _labelled(events) -> list:
    labels = dict(Order.Status.choices)
    events = list(events)
    for event in events:
        event.label = labels.get(event.to_status, event.to_status)
        event.from_label = labels.get(event.from_status, event.from_status)
    return events


# --- Cart ------------------------------------------------------------------------------


class CartView(LoginRequiredMixin, View):
    def get(self, request):
        if not user_has_role(request.user, Role.BUYER):
            return render(request, "licensing/cart_not_buyer.html", status=403)
        if not has_any_org_role(request.user, request.user.organisation_id, PURCHASING):
            return org_roles_refused(request, PURCHASING)
        summary = selectors.cart_summary(services.cart_for(request.user))
        context = {
            "summary": summary,
            "quotation_valid_days": services.QUOTATION_VALID_DAYS,
            "quotations": list(selectors.organisation_quotations(request.user)[:10]),
            "today": timezone.localdate(),
        }
        return render(request, "licensing/cart.html", context)


class CartAddView(LoginRequiredMixin, View):
    def post(self, request):
        form = CartAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose an edition."))
            return redirect(request.META.get("HTTP_REFERER") or reverse("licensing:cart"))
        dataset = get_object_or_404(Dataset, slug=form.cleaned_data["dataset"])
        try:
            added = services.cart_add(user=request.user, dataset=dataset, edition=form.cleaned_data["edition"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
            if exc.code == ErrorCode.NOT_A_BUYER:
                return render(request, "licensing/cart_not_buyer.html", status=403)
            return redirect(reverse("catalog:detail", args=[dataset.slug]))
        messages.success(request, _("Added to your cart."))
        if added.note:
            messages.info(request, added.note)
        return redirect(reverse("catalog:detail", args=[dataset.slug]) + "#buy")


class DatasetOwnershipView(OrgRoleRequiredMixin, View):
    org_roles = ANY_MEMBER

    """What the buyer's organisation owns of a dataset, for its page (loaded per request by
    htmx, since the rest of the page is cached for everyone): each owned edition with the
    order to download it from, the upgrade to the annotated edition and its price, and a
    newer version when one is on sale."""

    def get(self, request, slug: str):
        dataset = get_object_or_404(
            Dataset.objects.select_related("latest_version"), slug=slug, status=Dataset.Status.PUBLISHED
        )
        owned = list(selectors.owned_lines(organisation_id=request.user.organisation_id, dataset_id=dataset.pk))
        latest = dataset.latest_version
        upgrade_from = upgrade_price = None
        if latest is not None and latest.annotated:
            upgrade_from = selectors.upgrade_source(organisation_id=request.user.organisation_id, version_id=latest.pk)
            if upgrade_from is not None:
                upgrade_price = selectors.line_price(dataset, "annotated", upgrade_from)
        context = {
            "dataset": dataset,
            "owned": owned,
            "latest": latest,
            "owns_latest": any(line.version_id == latest.pk for line in owned) if latest else False,
            "upgrade_from": upgrade_from,
            "upgrade_price": upgrade_price,
        }
        return render(request, "licensing/orders/_ownership.html", context)


class CartLineView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def post(self, request, line_id: int):
        get_object_or_404(CartLine, cart__user=request.user, pk=line_id)  # another buyer's line: 404
        try:
            if request.POST.get("action") == "update":
                services.cart_line_update_version(user=request.user, line_id=line_id)
                messages.success(request, _("The line now has the newest version."))
            else:
                services.cart_remove(user=request.user, line_id=line_id)
                messages.success(request, _("Removed from your cart."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        except CartLine.DoesNotExist as exc:  # removed meanwhile, in another tab
            raise Http404 from exc
        return redirect("licensing:cart")


# --- Quotations and receipts ------------------------------------------------------------


class QuotationCreateView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def post(self, request):
        try:
            quotation = services.quotation_issue(user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("licensing:cart")
        messages.success(request, _("Quotation %(number)s issued.") % {"number": quotation.number})
        return redirect("licensing:quotation", number=quotation.number)


def _quotation_for_buyer(user, number: str) -> Quotation:
    """A quotation of the buyer's own organisation; anyone else's is a 404."""
    return get_object_or_404(selectors.organisation_quotations(user), number=number)


class QuotationView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def get(self, request, number: str):
        quotation = _quotation_for_buyer(request.user, number)
        context = {
            **quotation_context(quotation),
            "expired": quotation.valid_until < timezone.localdate(),
            "orders": list(quotation.orders.all()),
            "made_to_order": any(line.get("request") for line in quotation.lines),
        }
        return render(request, "licensing/orders/quotation.html", context)


class QuotationPdfView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def get(self, request, number: str):
        quotation = _quotation_for_buyer(request.user, number)
        return _stored_pdf_response(quotation.pdf.name, quotation.number)


class ReceiptPdfView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    """The paid order's receipt (issued on first request, then served as stored)."""

    def get(self, request, uuid):
        order = order_for_buyer(request.user, uuid)
        try:
            receipt = services.receipt_issue(order=order)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("licensing:order_detail", uuid=order.uuid)
        return _stored_pdf_response(receipt.pdf.name, receipt.number)


def _stored_pdf_response(name: str, number: str):
    if not name:
        raise Http404
    handle = private_storage().open(name, "rb")
    return FileResponse(handle, as_attachment=True, filename=f"{number}.pdf", content_type="application/pdf")


# --- Checkout --------------------------------------------------------------------------


class CheckoutView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    """Check out the cart, or (``?quotation=NUMBER``) a quotation of the buyer's organisation at
    its prices. The licence is shown in full and the version shown is the version recorded."""

    def _form(self, request, data=None, quotation=None):
        org = request.user.organisation
        initial = {
            "idempotency_key": secrets.token_urlsafe(24),
            "billing_name": org.billing_name or org.name,
            "billing_address": org.billing_address,
            "billing_country": org.country,
            "billing_registration_number": org.invoice_registration_number,
            "payment_method": Order.PaymentMethod.BANK_TRANSFER,
            "quotation": quotation.number if quotation else "",
        }
        return CheckoutForm(data, initial=initial, payment_methods=selectors.payment_methods_available())

    def _quotation(self, request, number: str):
        return _quotation_for_buyer(request.user, number) if number else None

    def _licence(self, request, quotation):
        if quotation is not None:
            return selectors.checkout_licence(
                datasets=Dataset.objects.filter(pk__in=[line["dataset_id"] for line in quotation.lines])
            )
        return selectors.checkout_licence(services.cart_for(request.user))

    def _render(self, request, form, quotation=None, status=200):
        summary = None
        if quotation is None:
            summary = selectors.cart_summary(services.cart_for(request.user))
            if not summary.lines:
                messages.info(request, _("Your cart is empty."))
                return redirect("licensing:cart")
        licence = self._licence(request, quotation)
        if not form.is_bound:
            form.initial["licence_code"] = licence.code
        context = {
            "form": form,
            "summary": summary,
            "quotation": quotation_context(quotation) if quotation else None,
            "licence": licence,
        }
        return render(request, "licensing/orders/checkout.html", context, status=status)

    def get(self, request):
        quotation = self._quotation(request, request.GET.get("quotation", "").strip())
        if quotation is not None:
            try:
                services.quotation_check(user=request.user, quotation=quotation)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return redirect("licensing:quotation", number=quotation.number)
        return self._render(request, self._form(request, quotation=quotation), quotation)

    def post(self, request):
        form = self._form(request, request.POST)
        quotation = self._quotation(request, (request.POST.get("quotation") or "").strip()[:20])
        if not form.is_valid():
            # A resubmit of an order already placed with this key finds that order.
            key = request.POST.get("idempotency_key", "")
            # Only a key the form could have sent: PostgreSQL refuses a NUL in a query parameter.
            sane = key and len(key) <= 100 and key.isprintable()
            existing = Order.objects.filter(placed_by=request.user, idempotency_key=key).first() if sane else None
            if existing is not None:
                return redirect("licensing:order_detail", uuid=existing.uuid)
            return self._render(request, form, quotation, status=400)
        data = form.cleaned_data
        licence = self._licence(request, quotation)
        if data["licence_code"] and data["licence_code"] != licence.code:
            form.add_error(
                "accept_licence",
                _(
                    "The licence changed while this page was open: %(code)s now applies. "
                    "Read it below and accept it again."
                )
                % {"code": licence.code},
            )
            form.data = form.data.copy()
            form.data["licence_code"] = licence.code
            return self._render(request, form, quotation, status=400)
        try:
            order, _created = services.order_place(
                user=request.user,
                idempotency_key=data["idempotency_key"],
                billing_name=data["billing_name"],
                billing_address=data["billing_address"],
                billing_country=data["billing_country"],
                billing_registration_number=data["billing_registration_number"],
                intended_use=data["intended_use"],
                intended_use_detail=data["intended_use_detail"],
                licence_accepted=data["accept_licence"],
                licence=licence,
                ip=client_ip(request),
                payment_method=data["payment_method"],
                quotation=quotation,
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
            return self._render(request, form, quotation, status=400)
        if order.status == Order.Status.AWAITING_PAYMENT and order.payment_method == Order.PaymentMethod.DEMO_CARD:
            return redirect("licensing:order_pay_demo", uuid=order.uuid)
        return redirect("licensing:order_detail", uuid=order.uuid)


# --- Orders ----------------------------------------------------------------------------


class OrderListView(OrgRoleRequiredMixin, View):
    org_roles = ANY_MEMBER

    def get(self, request):
        # Each order with its datasets, each line's bundle (for the Download shortcut) and how many
        # consent-withdrawal notices its lines carry, in a fixed number of queries.
        orders = (
            organisation_orders(request.user)
            .select_related("placed_by")
            .annotate(notice_count=Count("lines__withdrawal_notices", distinct=True))
            .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("bundle", "order")))
            .order_by("-placed_at", "-id")
        )
        page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
        # Only members who may download see the Download shortcut (the download itself checks it too).
        can_download = has_any_org_role(request.user, request.user.organisation_id, DOWNLOADING)
        return render(
            request,
            "licensing/orders/order_list.html",
            {"page": page, "orders": page.object_list, "can_download": can_download},
        )


class OrderDetailView(OrgRoleRequiredMixin, View):
    org_roles = ANY_MEMBER

    def get(self, request, uuid):
        order = order_for_buyer(request.user, uuid)
        lines = list(
            order.lines.select_related("dataset", "version", "bundle", "order").prefetch_related(
                "withdrawal_notices__confirmation"
            )
        )
        context = {
            "order": order,
            "lines": lines,
            "events": _labelled(order.events.select_related("by")),
            "invoices": list(order.invoices.all()),
            "payable": order.status == Order.Status.AWAITING_PAYMENT,
            "can_download": has_any_org_role(request.user, order.organisation_id, DOWNLOADING),
            "instructions": payments.BankTransfer().start(order).instructions
            if order.payment_method == Order.PaymentMethod.BANK_TRANSFER
            else None,
        }
        return render(request, "licensing/orders/order_detail.html", context)


class OrderPayView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    """Start the order's payment with its provider (card: Stripe's page; demo: the demo form)."""

    def post(self, request, uuid):
        order = order_for_buyer(request.user, uuid)
        if order.status != Order.Status.AWAITING_PAYMENT:
            messages.error(request, _("This order cannot be paid now."))
            return redirect("licensing:order_detail", uuid=order.uuid)
        start = payments.provider_for(order).start(order, request=request)
        return redirect(start.redirect_url or reverse("licensing:order_detail", args=[order.uuid]))


class DemoPayView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def _guard(self, request, uuid):
        if not settings.STOCKDATA_DEMO_PAYMENTS:
            raise Http404
        order = order_for_buyer(request.user, uuid)
        if order.payment_method != Order.PaymentMethod.DEMO_CARD:
            raise Http404
        return order

    def get(self, request, uuid):
        order = self._guard(request, uuid)
        if order.status != Order.Status.AWAITING_PAYMENT:
            return redirect("licensing:order_detail", uuid=order.uuid)
        return render(request, "licensing/orders/demo_pay.html", {"order": order, "form": DemoCardForm()})

    def post(self, request, uuid):
        order = self._guard(request, uuid)
        form = DemoCardForm(request.POST)
        if form.is_valid():
            try:
                payments.DemoCard().pay(order, card_number=form.cleaned_data["card_number"], by=request.user)
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("Payment received. Thank you."))
                return redirect("licensing:order_detail", uuid=order.uuid)
        return render(request, "licensing/orders/demo_pay.html", {"order": order, "form": form}, status=400)


class OrderLicenceView(OrgRoleRequiredMixin, View):
    org_roles = ANY_MEMBER

    def get(self, request, uuid):
        order = order_for_buyer(request.user, uuid)
        return render(request, "licensing/orders/order_licence.html", {"order": order})


class LicenceView(View):
    """A licence version, in both languages, for anyone (signed in or not): what a buyer would
    accept, readable before buying. Every version stays readable at its own code."""

    def get(self, request, code: str):
        licence = get_object_or_404(LicenceTerms, code=code)
        context = {
            "licence": licence,
            "versions": list(LicenceTerms.objects.only("code", "title_en", "title_ja", "effective_from")),
            "current": selectors.default_licence(),
        }
        return render(request, "licensing/licence.html", context)


class LicenceCurrentView(View):
    """The licence new orders are placed under (datasets without a licence of their own)."""

    def get(self, request):
        return redirect("licensing:licence", code=selectors.default_licence().code)


class LicencePdfView(View):
    def get(self, request, code: str):
        licence = get_object_or_404(LicenceTerms, code=code)
        response = HttpResponse(licence_pdf(licence), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{licence.code}.pdf"'
        return response


def _invoice_for_buyer(user, number: str) -> Invoice:
    return get_object_or_404(
        Invoice.objects.select_related("order", "credits"),
        number=number,
        order__in=organisation_orders(user),
    )


class InvoiceView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    """The invoice's HTML twin; ``?format=pdf`` (or the .pdf URL) serves the stored PDF."""

    def get(self, request, number: str):
        invoice = _invoice_for_buyer(request.user, number)
        return render(request, "licensing/orders/invoice.html", invoice_context(invoice))


class InvoicePdfView(OrgRoleRequiredMixin, View):
    org_roles = PURCHASING

    def get(self, request, number: str):
        return invoice_pdf_response(_invoice_for_buyer(request.user, number))


def invoice_pdf_response(invoice: Invoice):
    if not invoice.pdf.name:
        raise Http404
    handle = private_storage().open(invoice.pdf.name, "rb")
    return FileResponse(handle, as_attachment=True, filename=f"{invoice.number}.pdf", content_type="application/pdf")


# --- Staff -----------------------------------------------------------------------------


class StaffOrderListView(StaffRequiredMixin, View):
    def get(self, request):
        status = request.GET.get("status", "")
        orders = (
            Order.objects.select_related("organisation", "placed_by")
            .annotate(line_count=Count("lines"))
            .order_by("-placed_at", "-id")
        )
        if status in Order.Status.values:
            orders = orders.filter(status=status)
        q = request.GET.get("q", "").strip()
        if q:
            orders = orders.filter(Q(number__icontains=q) | Q(organisation__name__icontains=q))
        page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
        awaiting = (
            selectors.orders_awaiting_approval()
            .select_related("organisation", "placed_by")
            .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.filter(restricted=True)))
        )
        to_match = selectors.bank_transfers_to_match().select_related("organisation")
        context = {
            "page": page,
            "orders": page.object_list,
            "awaiting": awaiting,
            "to_match": to_match,
            "status": status,
            "q": q,
            "statuses": Order.Status.choices,
            "statement_form": BankStatementForm(),
        }
        return render(request, "licensing/orders/staff_orders.html", context)


class StaffOrderDetailView(StaffRequiredMixin, View):
    def get(self, request, uuid):
        order = get_object_or_404(Order.objects.select_related("organisation", "placed_by", "licence"), uuid=uuid)
        context = {
            "order": order,
            "lines": list(order.lines.select_related("dataset", "version")),
            "events": _labelled(order.events.select_related("by")),
            "payments": list(order.payments.all()),
            "invoices": list(order.invoices.all()),
            "form": DecisionForm(),
        }
        return render(request, "licensing/orders/staff_order_detail.html", context)

    def post(self, request, uuid):
        order = get_object_or_404(Order, uuid=uuid)
        action = request.POST.get("action", "")
        try:
            if action == "approve":
                services.order_approve(order=order, by=request.user, note=request.POST.get("note", ""))
                messages.success(request, _("Order approved; the buyer was told."))
            elif action == "decline":
                services.order_decline(order=order, by=request.user, reason=request.POST.get("note", ""))
                messages.success(request, _("Order declined; the buyer was told."))
            elif action == "mark_paid":
                services.order_mark_paid(
                    order=order,
                    provider=Order.PaymentMethod.BANK_TRANSFER,
                    amount=order.total,
                    reference=request.POST.get("reference", "").strip(),
                    by=request.user,
                )
                messages.success(request, _("Marked paid."))
            else:
                return HttpResponseBadRequest()
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("licensing:staff_order_detail", uuid=order.uuid)


class BankStatementView(StaffRequiredMixin, View):
    def post(self, request):
        form = BankStatementForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose a CSV file."))
            return redirect("licensing:staff_orders")
        raw = form.cleaned_data["statement"].read()
        try:
            # Banks in Japan often export Shift_JIS (cp932); UTF-8 (with or without a BOM) first.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp932")
            except UnicodeDecodeError:
                text = None
        if text is not None:
            try:
                list(csv.reader(io.StringIO(text)))  # every line readable before any order is marked paid
            except csv.Error:
                text = None
        if text is None or "\x00" in text:
            messages.error(
                request,
                _(
                    "The statement is not a CSV text file (UTF-8 or Shift_JIS). "
                    "Export it from the bank again as CSV and upload that file."
                ),
            )
            return redirect("licensing:staff_orders")
        report = services.bank_statement_import(data=text, by=request.user)
        return render(request, "licensing/orders/statement_report.html", {"report": report})


# --- Stripe ----------------------------------------------------------------------------


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    def post(self, request):
        try:
            payload = request.body
        except RawPostDataException:  # a form, already parsed by a middleware: never a Stripe event
            return HttpResponse(status=400)
        try:
            event = payments.stripe_event_verify(payload, request.headers.get("Stripe-Signature", ""))
        except payments.WebhookRefused as exc:
            logger.warning("stripe webhook refused: %s", exc)
            return HttpResponse(status=400)
        outcome = payments.stripe_event_process(event)
        return HttpResponse(outcome, content_type="text/plain")
