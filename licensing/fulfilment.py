"""What happens, once, when an order line is paid or refunded.

Called inside the transaction that changes the order's status, so a line's provision
records and royalty entries exist exactly when it is paid (and are reversed when it is
refunded); the bundle build is queued after commit.
"""

from __future__ import annotations

from licensing.models import OrderLine


def on_line_paid(*, line: OrderLine) -> None:
    from contributors.services import royalties_record_sale
    from licensing.bundles import bundle_request
    from licensing.services import provision_records_create

    provision_records_create(line=line)
    royalties_record_sale(line=line)
    bundle_request(line=line)


def on_line_refunded(*, line: OrderLine) -> None:
    from contributors.services import royalties_reverse_sale
    from licensing.bundles import bundle_revoke

    royalties_reverse_sale(line=line)
    bundle_revoke(line=line)
