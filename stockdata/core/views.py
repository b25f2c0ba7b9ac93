from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from licensing.commerce import selectors as commerce_selectors
from licensing.commerce import services as commerce_services
from licensing.consent.services.provision import RETENTION_YEARS as PROVISION_RETENTION_YEARS
from stockdata.accounts import services as account_services
from stockdata.accounts.forms import TermsAcceptForm
from stockdata.accounts.permissions import StaffRequiredMixin
from stockdata.core import selectors, services
from stockdata.core.forms import ContactAnswerForm, ContactForm
from stockdata.core.models import ContactMessage
from stockdata.errors import ApplicationError, ErrorCode


def home(request):
    return render(request, "core/home.html")


class StaffDashboardView(StaffRequiredMixin, TemplateView):
    """Where staff start the day: every queue with its live count and a link to it."""

    template_name = "core/staff_dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(queues=selectors.staff_queues(), **kwargs)


class StaffWithdrawalsView(StaffRequiredMixin, View):
    """Recent consent withdrawals and whether every buyer who holds the person's photos was told."""

    def get(self, request):
        rows = selectors.withdrawals_recent()
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "core/staff_withdrawals.html",
            {"page_obj": page, "rows": page.object_list, "days": selectors.RECENT_WITHDRAWAL_DAYS},
        )


class StaffFailedJobsView(StaffRequiredMixin, View):
    """Background work that gave up after its retries and waits for a person."""

    def get(self, request):
        photos = list(selectors.photos_processing_failed().select_related("contributor")[:200])
        bundles = list(
            selectors.bundles_failed().select_related("order_line__order__organisation", "order_line__dataset")[:200]
        )
        return render(request, "core/staff_failed_jobs.html", {"photos": photos, "bundles": bundles})


def error_404(request, exception=None):
    # One page for every miss: its switcher links to the home page, not to the address asked for.
    request.error_page = True
    return render(request, "404.html", status=404)


def error_500(request):
    # No request context processors: the session, the user or the database may be what failed.
    if request.path.startswith("/api/"):  # API clients get the API's one error format
        body = {
            "error": {
                "code": ErrorCode.SERVER_ERROR.value,
                "message": _("Something went wrong on our side; try again later."),
            }
        }
        return JsonResponse(body, status=500)
    return HttpResponseServerError(loader.render_to_string("500.html"))


# --- Legal pages -----------------------------------------------------------------------------


class LegalPageView(TemplateView):
    """A legal page in the visitor's language (``legal/<page>_<ja|en>.html``), with the company's
    details from the settings (``stockdata.company``, in every template as ``company``)."""

    page = ""

    def get_template_names(self):
        language = "ja" if (get_language() or "").startswith("ja") else "en"
        return [f"legal/{self.page}_{language}.html"]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **legal_facts()}


def legal_facts() -> dict:
    """What the legal pages state about how the site works, from the code that does it."""
    return {
        "terms_version": account_services.terms_current(),
        "current_licence": commerce_selectors.default_licence(),
        "payment_methods": commerce_selectors.payment_methods_available(),
        "payment_days": commerce_services.PAYMENT_DAYS,
        "quotation_days": commerce_services.QUOTATION_VALID_DAYS,
        "provision_retention_years": PROVISION_RETENTION_YEARS,
    }


@login_required
def terms_accept(request):
    """Ask a signed-in person to accept the terms of use in force, then send them on."""
    version = account_services.terms_to_accept(request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("home")
    if version is None:
        return redirect(next_url)
    form = TermsAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_services.terms_accept(user=request.user, version=version, ip=request.META.get("REMOTE_ADDR") or None)
        messages.success(request, _("Thank you: you accepted the terms of use %(code)s.") % {"code": version.code})
        return redirect(next_url)
    previous = request.user.terms_acceptances.select_related("version").first()
    context = {"form": form, "version": version, "previous": previous, "next": next_url}
    return render(request, "legal/terms_accept.html", context, status=400 if form.is_bound else 200)


class ContactView(View):
    """The contact form: anyone may write; the message is stored for staff to answer."""

    def _initial(self, request):
        user = request.user
        if not user.is_authenticated:
            return {}
        organisation = getattr(user, "organisation", None)
        return {"name": user.full_name, "email": user.email, "organisation": organisation.name if organisation else ""}

    def get(self, request):
        sent = request.GET.get("sent") == "1"
        return self._render(request, ContactForm(initial=self._initial(request)), sent=sent)

    def _render(self, request, form, status=200, sent=False):
        context = {"form": form, "sent": sent, "current_licence": commerce_selectors.default_licence()}
        return render(request, "legal/contact.html", context, status=status)

    def post(self, request):
        form = ContactForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            services.contact_submit(
                **{field: form.cleaned_data[field] for field in ContactForm.Meta.fields},
                user=request.user,
                ip=request.META.get("REMOTE_ADDR") or None,
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
            return self._render(request, form, status=exc.status)
        return redirect(reverse("core:contact") + "?sent=1")


class ContactMessageListView(StaffRequiredMixin, View):
    def get(self, request):
        status = request.GET.get("status", ContactMessage.Status.NEW)
        rows = ContactMessage.objects.select_related("answered_by")
        if status == ContactMessage.Status.NEW:
            rows = selectors.contact_messages_new().select_related("answered_by")
        elif status in ContactMessage.Status.values:
            rows = rows.filter(status=status)
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        context = {
            "page_obj": page,
            "page_query": f"status={status}",
            "rows": page.object_list,
            "status": status,
            "statuses": ContactMessage.Status.choices,
        }
        return render(request, "legal/staff_contact_list.html", context)


class ContactMessageDetailView(StaffRequiredMixin, View):
    def _render(self, request, message, form, status=200):
        return render(request, "legal/staff_contact_detail.html", {"message": message, "form": form}, status=status)

    def get(self, request, pk: int):
        message = get_object_or_404(ContactMessage.objects.select_related("user", "answered_by"), pk=pk)
        return self._render(request, message, ContactAnswerForm(initial={"answer": message.answer}))

    def post(self, request, pk: int):
        message = get_object_or_404(ContactMessage, pk=pk)
        form = ContactAnswerForm(request.POST)
        if not form.is_valid():
            return self._render(request, message, form, status=400)
        try:
            services.contact_answer(message=message, answer=form.cleaned_data["answer"], by=request.user)
        except ApplicationError as exc:
            exc.add_to_form(form)
            return self._render(request, message, form, status=400)
        messages.success(request, _("Answer sent to %(email)s.") % {"email": message.email})
        return redirect("core:contact_messages")
