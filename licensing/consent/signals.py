"""What consent tells the layers above it (delivery's notices to buyers) without importing them.

Sent inside the withdrawal's transaction; receivers are connected in their app's ``ready()``.
"""

from django.dispatch import Signal

#: A subject withdrew some scopes or the whole consent (``withdrawal``: a ConsentWithdrawal).
consent_withdrawn = Signal()
