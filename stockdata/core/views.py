from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from stockdata.accounts.permissions import StaffRequiredMixin
from stockdata.errors import ErrorCode


def home(request):
    return render(request, "core/home.html")


class StaffDashboardView(StaffRequiredMixin, TemplateView):
    template_name = "core/staff_dashboard.html"


def error_404(request, exception=None):
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
