"""What consent tells the layers above it (delivery's notices to buyers) without importing them.

Sent inside the withdrawal's transaction; receivers are connected in their app's ``ready()``.
"""

from django.dispatch import Signal

#: A subject withdrew some scopes or the whole consent (``withdrawal``: a ConsentWithdrawal).
consent_withdrawn = Signal()

#: The consent scopes some photos hold changed (``photo_ids``; withdrawal, opt-out, a release approved
#: or expired): the storefront's cached pages, covers and counts follow. Sent inside the change's transaction.
photos_scopes_changed = Signal()
