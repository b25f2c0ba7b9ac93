from django.views.generic import TemplateView

from stockdata.accounts.permissions import ContributorRequiredMixin


class DashboardView(ContributorRequiredMixin, TemplateView):
    template_name = "contributors/dashboard.html"
