from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        # The receivers of signals sent by the layers below curation (consent), imported here, never by the senders.
        from catalog.curation import receivers  # noqa: F401
