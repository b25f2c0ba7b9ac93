"""Delivery's answers to what happens below it: a paid line gets its bundle, a refunded one loses it,
a withdrawal of consent tells every buyer who received the person's photos, and a member removed
from their organisation loses the links issued to them.

Connected by ``LicensingConfig.ready``; each runs inside the sender's transaction.
"""

from django.dispatch import receiver

from licensing.commerce.signals import line_paid, line_refunded
from licensing.consent.signals import consent_withdrawn
from licensing.delivery import services
from stockdata.accounts.signals import member_removed


@receiver(line_paid, dispatch_uid="delivery.bundle_request")
def _bundle_request(sender, *, line, **kwargs):
    services.bundle_request(line=line)


@receiver(line_refunded, dispatch_uid="delivery.bundle_revoke")
def _bundle_revoke(sender, *, line, **kwargs):
    services.bundle_revoke(line=line)


@receiver(consent_withdrawn, dispatch_uid="delivery.withdrawal_notices")
def _withdrawal_notices(sender, *, withdrawal, **kwargs):
    services.bundle_withdrawal_notices(withdrawal=withdrawal)


@receiver(member_removed, dispatch_uid="delivery.member_links_expire")
def _member_links_expire(sender, *, user, **kwargs):
    services.download_links_expire(user=user)
