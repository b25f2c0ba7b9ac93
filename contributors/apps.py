from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributorsConfig(AppConfig):
    name = "contributors"
    verbose_name = _("Contributors")

    def ready(self):
        # Django's hook for registrations: the receivers of accounts' and commerce's signals.
        from contributors import receivers  # noqa: F401
