"""What commerce tells the layers above it (delivery, royalties) without importing them.

Sent inside the transaction that changes the line, so a receiver's writes commit or roll back
with it; receivers are connected in their app's ``ready()``.
"""

from django.dispatch import Signal

#: An order line was paid (``line``): royalties are recorded and its bundle requested.
line_paid = Signal()
#: A paid order line was refunded (``line``): royalties are reversed and its bundle revoked.
line_refunded = Signal()
