"""Consent's answer to what happens below it: when what decides a photo's consent changes (the
people in it, or "no people"), its stored scope mask is recomputed.

Connected by ``LicensingConfig.ready``; runs inside the sender's transaction.
"""

from django.dispatch import receiver

from catalog.photos.signals import photo_consent_changed
from licensing.consent.services import photos_scope_masks_refresh


@receiver(photo_consent_changed, dispatch_uid="consent.scope_masks_refresh")
def _scope_masks_refresh(sender, *, photo_ids, **kwargs):
    photos_scope_masks_refresh(photo_ids)
