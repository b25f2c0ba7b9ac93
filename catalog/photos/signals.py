"""What the photo layer tells the layers above it without importing them."""

from django.dispatch import Signal

#: What decides a photo's consent changed (``photo_ids``: the people in it, or "no people"):
#: consent recomputes the photos' stored scope masks. Sent inside the change's transaction.
photo_consent_changed = Signal()
