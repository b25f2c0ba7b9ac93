from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = _("Licensing")

    def ready(self):
        # Django's hook for registrations: the notification kinds consent sends, and the receivers
        # of signals sent by the layers below (imported here, never by the senders).
        from licensing.consent import notifications, receivers  # noqa: F401
        from licensing.delivery import receivers as delivery_receivers  # noqa: F401
