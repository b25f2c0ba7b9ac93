from django.shortcuts import render
from django.views.generic import TemplateView

from stockdata.accounts.permissions import StaffRequiredMixin


def home(request):
    return render(request, "core/home.html")


class StaffDashboardView(StaffRequiredMixin, TemplateView):
    template_name = "core/staff_dashboard.html"


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
