from django.core.management.base import BaseCommand

from licensing.consent.services import photos_scope_masks_refresh


class Command(BaseCommand):
    help = "Recompute every photo's stored consent scopes (Photo.scope_mask) from releases, withdrawals and opt-outs."

    def handle(self, *args, **options):
        changed = photos_scope_masks_refresh()
        self.stdout.write(f"{changed} photo mask(s) changed.")
