from django.core.management.base import BaseCommand

from stockdata import demo


class Command(BaseCommand):
    help = "Create demo accounts and data for every feature. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--logins-only", action="store_true", help="Only print the demo logins.")

    def handle(self, *args, logins_only=False, **options):
        if logins_only:
            demo.print_logins(out=self.stdout.write)
        else:
            demo.seed(out=self.stdout.write)
