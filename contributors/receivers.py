"""Contributors' answers to what happens below them: a new contributor gets a profile, a paid
line pays royalties (and the bonuses of the mission it was made for), a refunded line reverses
the royalties.

Connected by ``ContributorsConfig.ready``; each runs inside the sender's transaction.
"""

from django.dispatch import receiver

from contributors import services
from licensing.commerce.signals import line_paid, line_refunded
from stockdata.accounts.signals import contributor_registered


@receiver(contributor_registered, dispatch_uid="contributors.profile_create")
def _profile_create(sender, *, user, display_name, **kwargs):
    services.contributor_profile_ensure(user=user, display_name=display_name)


@receiver(line_paid, dispatch_uid="contributors.royalties_record_sale")
def _royalties_record_sale(sender, *, line, **kwargs):
    services.royalties_record_sale(line=line)


@receiver(line_paid, dispatch_uid="contributors.mission_bonuses_record")
def _mission_bonuses_record(sender, *, line, **kwargs):
    services.mission_bonuses_record(line=line)


@receiver(line_refunded, dispatch_uid="contributors.royalties_reverse_sale")
def _royalties_reverse_sale(sender, *, line, **kwargs):
    services.royalties_reverse_sale(line=line)
