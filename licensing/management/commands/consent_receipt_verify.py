import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from licensing.consent import receipts


class Command(BaseCommand):
    help = (
        "Verify a consent receipt: FILE holds one compact JWS, or the receipts file a subject downloads "
        "(every receipt verified and the chain checked). Exits non-zero when it does not verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the receipt file ('-' for standard input)")
        parser.add_argument("--keys", help="a JWK Set file to verify against (default: this site's published keys)")

    def handle(self, *args, file, keys=None, **options):
        if file == "-":
            import sys

            text = sys.stdin.read()
        else:
            try:
                text = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Cannot read {file}: {exc}") from exc
        key_set = None
        if keys:
            try:
                key_set = json.loads(Path(keys).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the key set {keys}: {exc}") from exc
        try:
            records = receipts.verify_chain(text, key_set)
        except receipts.ReceiptInvalid as exc:
            raise CommandError(f"NOT VALID: {exc}") from exc
        for record in records:
            purposes = ", ".join(f"{p['purpose']}={p['status']}" for p in record.get("purposes", []))
            self.stdout.write(
                f"VALID {record['record_id']} {record['event']['type']} {record['timestamp']} "
                f"subject {record['pii_principal_id']} previous {record['previous_record_id'] or '-'}: {purposes}"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(records)} receipt(s) verified."))
