"""Curation's answers to what happens below it: when the consent photos hold changes, the datasets
showing them follow (covers replaced, cached pages rebuilt).

Connected by ``CatalogConfig.ready``; runs inside the sender's transaction.
"""

from django.dispatch import receiver

from catalog.curation import services
from licensing.consent.signals import photos_scopes_changed


@receiver(photos_scopes_changed, dispatch_uid="curation.datasets_follow_consent")
def _datasets_follow_consent(sender, *, photo_ids, **kwargs):
    services.datasets_follow_consent(photo_ids=photo_ids)
