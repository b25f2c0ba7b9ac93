from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stockdata.core import backup


class Command(BaseCommand):
    help = (
        "Restore an archive made by backup_data into an EMPTY database and EMPTY storage, then compare "
        "every table's row count and every file's sha256 with the backup. Stop the web server, worker "
        "and beat first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar file written by backup_data.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete every table of the database and every file of both storages first, then restore.",
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            backup.restore_run(Path(archive), force=force, out=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        pending = backup.pending_migrations()
        if pending:
            self.stdout.write(
                self.style.WARNING(f"This code has {pending} migrations the backup had not applied: run migrate.")
            )
        self.stdout.write(self.style.SUCCESS(f"Restored {archive}."))
