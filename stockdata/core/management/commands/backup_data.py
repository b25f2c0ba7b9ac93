from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stockdata.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database and every file of the private and public storage into one tar archive "
        "with a manifest (sha256 per file, row count per table). Restore it with restore_data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="Archive to write (default: var/backups/stockdata-<UTC time>.tar). Must not exist yet.",
        )

    def handle(self, *args, output=None, **options):
        if output is None:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.VAR_DIR) / "backups" / f"stockdata-{stamp}.tar"
        try:
            manifest = backup.backup_create(Path(output), out=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {output} ({len(manifest['files'])} files, "
                f"{sum(manifest['database']['tables'].values())} rows)"
            )
        )
