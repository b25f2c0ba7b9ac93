from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "stockdata.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from stockdata.accounts import receivers  # noqa: F401 - connects the receivers


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that asks staff for their second factor."""

    default = False
    default_site = "stockdata.accounts.two_factor.StaffAdminSite"
