"""Royalties benchmark: the sale split and the monthly payout run, on PostgreSQL.

Run from the repository root (PostgreSQL answering on 127.0.0.1:5432 as ``postgres``)::

    .venv/bin/python bench/royalties/run.py [--pg postgres://postgres@127.0.0.1:5432] [--sizes 10000,100000]

It creates the throw-away database ``stockdata_bench_royalties`` (``BENCH_DB_NAME``), migrates it, and drops
it at the end (also on failure).

* split: a 10,000-photo version whose photos belong to 2,000 contributors (5 each) is
  sold; ``contributors.services.royalties_record_sale`` (the real service: photo counts
  from the version's items, largest-remainder split, 2,000 ledger rows) is timed on three
  fresh order lines; the median is reported.
* payout: for each size N, the contributor set is reset to N contributors with a bank
  account and four ledger rows each (three sales over three months, a refund for every
  tenth; written with COPY), then ``payout_run_start`` runs the period in a fresh child
  process that reports its wall time and ``VmHWM`` (peak RSS) from /proc/self/status.
  A second fresh child does everything except the run (Django set up, services imported,
  database connected); ``payout_peak_mb`` is the difference in MiB. The run reads
  contributors in id batches (STOCKDATA_PAYOUT_BATCH_SIZE, default 1,000), so the peak
  should be the same for 10k and 100k.  The run's payout count must equal the number of
  contributors whose ledger balance reaches the minimum (counted in SQL from the ledger),
  or the benchmark stops with an error.
* export: ``payout_run_export`` of that run (the CSV and the Zengin transfer file, streamed
  row by row through temporary files into the private storage under a temp
  ``STOCKDATA_MEDIA_ROOT``) in a fresh child process: wall time and VmHWM minus the same
  baseline child; the files are then read back (after the measurement) and their transfer
  and row counts must equal the payouts due.  ``export_peak_mb_*`` should be flat from 10k
  to 100k.

Last line::

    RESULT royalties split_s=<s> payout_peak_mb_10k=<MB> payout_peak_mb_100k=<MB>
        export_peak_mb_10k=<MB> export_peak_mb_100k=<MB> export_s_100k=<s> sizes=<list>
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "stockdata_bench_royalties")
PERIOD = "2026-10"


def vmhwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockdata.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    import django

    django.setup()


# ---------------------------------------------------------------------------- child
def child(mode: str, url: str, period: str) -> None:
    django_setup(url)
    from django.db import connection

    from contributors import services
    from contributors.models import Payout

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    result = {"mode": mode}
    if mode == "run":
        start = time.perf_counter()
        run = services.payout_run_start(period=period)
        result["seconds"] = time.perf_counter() - start
        result["payouts"] = Payout.objects.filter(run=run).count()
    elif mode == "export":
        from django.core.files.storage import default_storage

        from contributors.models import PayoutRun
        from contributors.zengin import parse_zengin

        run = PayoutRun.objects.get(period=period)
        start = time.perf_counter()
        run = services.payout_run_export(run=run)
        result["seconds"] = time.perf_counter() - start
        result["vmhwm_kb"] = vmhwm_kb()  # before reading the files back to check them
        with default_storage.open(run.zengin_file.name, "rb") as fh:
            parsed = parse_zengin(fh.read())  # after the measurement: reading it back is not the export's memory
        result["transfers"] = parsed["trailer"]["count"]
        with default_storage.open(run.csv_file.name, "rb") as fh:
            result["csv_rows"] = sum(1 for _ in fh) - 1
    result.setdefault("vmhwm_kb", vmhwm_kb())
    print(json.dumps(result))


def run_child(mode: str, url: str, period: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--url", url, "--period", period],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- data
def make_contributors(n: int):
    from contributors.models import ContributorProfile
    from stockdata.accounts.models import Role, User

    users = [
        User(email=f"bench-{i:07d}@example.com", full_name=f"Bench {i}", role=Role.CONTRIBUTOR, password="!")
        for i in range(n)
    ]
    User.objects.bulk_create(users, batch_size=5000)
    return list(
        User.objects.filter(email__startswith="bench-").order_by("id").values_list("id", flat=True)
    ), ContributorProfile


def bench_split(staff, user_ids: list[int]) -> list[float]:
    import hashlib
    import uuid

    from django.utils import timezone

    from catalog.models import Dataset, DatasetVersion, DatasetVersionItem, Photo
    from contributors.services import royalties_record_sale
    from licensing.models import LicenceTerms, Order, OrderLine

    owners = user_ids[:2000]
    dataset = Dataset.objects.create(slug="bench-royalties", title_en="Bench", title_ja="ベンチ", status="published")
    version = DatasetVersion.objects.create(
        dataset=dataset, number=1, photo_count=10_000, content_hash="0" * 64, frozen_by=staff
    )
    now = timezone.now()
    photos = []
    for i in range(10_000):
        uid = uuid.uuid4()
        photos.append(
            Photo(
                uuid=uid,
                contributor_id=owners[i % 2000],
                status="approved",
                processing="ready",
                original=f"o/{uid}.jpg",
                original_filename="x.jpg",
                format="jpeg",
                width=4000,
                height=3000,
                byte_size=1,
                sha256=hashlib.sha256(uid.bytes).hexdigest(),
                submitted_at=now,
                reviewed_at=now,
            )
        )
    Photo.objects.bulk_create(photos, batch_size=2000)
    DatasetVersionItem.objects.bulk_create(
        [
            DatasetVersionItem(
                version=version,
                photo=p,
                contributor_id=p.contributor_id,
                position=i,
                file_name=f"sd_{i:06d}.jpg",
                sha256=p.sha256,
                width=4000,
                height=3000,
            )
            for i, p in enumerate(photos, start=1)
        ],
        batch_size=2000,
    )
    from stockdata.accounts.models import Organisation, Role, User

    org = Organisation.objects.create(name="Bench buyer", billing_name="Bench", billing_address="Tokyo")
    buyer = User.objects.create(email="bench-buyer@example.com", role=Role.BUYER, organisation=org, password="!")
    licence = LicenceTerms.objects.order_by("id").first()
    timings = []
    for n in range(3):
        order = Order.objects.create(
            number=f"BENCH-{n}",
            organisation=org,
            placed_by=buyer,
            status="paid",
            idempotency_key=f"bench-{n}",
            payment_method="bank_transfer",
            billing_name="Bench",
            billing_address="Tokyo",
            billing_country="JP",
            intended_use="research",
            intended_use_detail="bench",
            licence=licence,
            licence_accepted_at=now,
            total=165_000,
            tax=15_000,
            paid_at=now,
        )
        line = OrderLine.objects.create(
            order=order, dataset=dataset, version=version, edition="annotated", title="Bench", price=165_000
        )
        start = time.perf_counter()
        split = royalties_record_sale(line=line)
        timings.append(time.perf_counter() - start)
        assert split.contributor_count == 2000 and split.pool == 60_000, split
        assert sum(line.royalty_entries.values_list("amount", flat=True)) == 60_000
    return timings


def reset_contributors(user_ids: list[int], n: int) -> None:
    """N contributors with a bank account and four ledger rows each (COPY)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE contributors_royaltyentry, contributors_payout, contributors_payoutrun, "
            "contributors_salesplit, contributors_contributorprofile"
        )
    rng = random.Random(n)
    base = datetime(2026, 7, 15, 12, tzinfo=ZoneInfo("Asia/Tokyo"))
    profiles = io.StringIO()
    entries = io.StringIO()
    for uid in user_ids[:n]:
        profiles.write(
            f"{uid}\tBench {uid}\tindividual\tjp\t{base.isoformat()}\t0001\tﾐｽﾞﾎ\t001\tﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ\t1\t"
            f"{uid % 9_999_999 or 1:07d}\tﾍﾞﾝﾁ ﾀﾛｳ\t{base.isoformat()}\n"
        )
        for month in range(3):
            at = (base + timedelta(days=30 * month)).isoformat()
            entries.write(f"sale\t{uid}\t{rng.randint(2_000, 20_000)}\t{at}\t1\t40000\t4000\t50000\n")
        if uid % 10 == 0:
            at = (base + timedelta(days=75)).isoformat()
            entries.write(f"refund\t{uid}\t-1000\t{at}\t1\t-2500\t4000\t-1000\n")
    raw = connection.connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY contributors_contributorprofile (user_id, display_name, entity_type, tax_residency, created_at, "
            "bank_code, bank_name_kana, branch_code, branch_name_kana, account_type, account_number, "
            "account_holder_kana, bank_updated_at) FROM STDIN"
        ) as copy:
            copy.write(profiles.getvalue())
        with cur.copy(
            "COPY contributors_royaltyentry (kind, contributor_id, amount, created_at, photo_count, net_revenue, "
            "share_bp, pool) FROM STDIN"
        ) as copy:
            copy.write(entries.getvalue())
    raw.commit() if not raw.autocommit else None
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contributors_royaltyentry")
        cursor.execute("ANALYZE contributors_contributorprofile")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--period", default=PERIOD)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.period)
        return

    import psycopg

    media = tempfile.mkdtemp(prefix="stockdata-bench-royalties-")
    os.environ["STOCKDATA_MEDIA_ROOT"] = media  # the export's files; children inherit it
    admin_url = f"{args.pg.rstrip('/')}/postgres"
    url = f"{args.pg.rstrip('/')}/{DB_NAME}"
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        "measures: royalties_record_sale (split), payout_run_start and payout_run_export (the services the "
        "task and the staff page call) on PostgreSQL, each run and export in a fresh process (time, peak RSS "
        "over an import-only process); excludes: HTTP, the worker, S3.",
        flush=True,
    )
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        django_setup(url)
        from django.core.management import call_command

        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated {DB_NAME} in {time.perf_counter() - t:.1f}s")
        from stockdata.accounts.models import Role, User

        staff = User.objects.create(email="bench-staff@example.org", role=Role.STAFF, is_staff=True, password="!")
        t = time.perf_counter()
        user_ids, _ = make_contributors(max([*sizes, 2000]))
        print(f"{len(user_ids):,} contributor accounts in {time.perf_counter() - t:.1f}s")

        timings = bench_split(staff, user_ids)
        split_s = statistics.median(timings)
        print(
            "split 10,000 photos / 2,000 contributors: "
            + ", ".join(f"{s:.3f}s" for s in timings)
            + f" -> median {split_s:.3f}s (target < 1 s)"
        )

        peaks, export_peaks, export_seconds = {}, {}, {}
        for n in sizes:
            t = time.perf_counter()
            reset_contributors(user_ids, n)
            print(f"ledger for {n:,} contributors ({n * 3 + n // 10:,} rows, COPY) in {time.perf_counter() - t:.1f}s")
            from django.db import connection

            # Who must be paid, from the ledger itself: a balance at the cut-off reaching the minimum.
            from contributors.services import payout_minimum

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM (SELECT contributor_id FROM contributors_royaltyentry "
                    "GROUP BY contributor_id HAVING sum(amount) >= %s) AS due",
                    [payout_minimum()],
                )
                due = cursor.fetchone()[0]
            connection.close()  # children open their own
            base = run_child("baseline", url, args.period)
            run = run_child("run", url, args.period)
            if run["payouts"] != due:
                raise RuntimeError(f"{n:,} contributors, {due:,} due a payout, but the run made {run['payouts']:,}")
            peak = (run["vmhwm_kb"] - base["vmhwm_kb"]) / 1024
            peaks[n] = peak
            print(
                f"payout run {n:,} contributors: {run['seconds']:.2f}s, {run['payouts']:,} payouts "
                f"(= the {due:,} due by the ledger), peak {run['vmhwm_kb'] / 1024:.1f} MiB - baseline "
                f"{base['vmhwm_kb'] / 1024:.1f} MiB = {peak:.1f} MiB"
            )
            export = run_child("export", url, args.period)
            if not export["transfers"] == export["csv_rows"] == due:
                raise RuntimeError(
                    f"export wrote {export['transfers']} transfers, {export['csv_rows']} CSV rows; {due} due"
                )
            export_peaks[n] = (export["vmhwm_kb"] - base["vmhwm_kb"]) / 1024
            export_seconds[n] = export["seconds"]
            print(
                f"export (payout_run_export: CSV + Zengin to storage) {n:,} contributors: {export['seconds']:.2f}s, "
                f"{export['transfers']:,} transfers, peak {export['vmhwm_kb'] / 1024:.1f} MiB - baseline "
                f"= {export_peaks[n]:.1f} MiB"
            )
    finally:
        from django.db import connections

        try:
            connections.close_all()
        except Exception as exc:  # noqa: BLE001 - Django may not be set up yet
            print(f"closing connections: {exc}", file=sys.stderr)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(media, ignore_errors=True)
    p10 = peaks.get(10_000, peaks[sizes[0]])
    p100 = peaks.get(100_000, peaks[sizes[-1]])
    e10 = export_peaks.get(10_000, export_peaks[sizes[0]])
    e100 = export_peaks.get(100_000, export_peaks[sizes[-1]])
    print(
        f"RESULT royalties split_s={split_s:.3f} payout_peak_mb_10k={p10:.1f} payout_peak_mb_100k={p100:.1f} "
        f"export_peak_mb_10k={e10:.1f} export_peak_mb_100k={e100:.1f} export_s_100k={export_seconds[sizes[-1]]:.2f} "
        f"sizes={args.sizes}"
    )


if __name__ == "__main__":
    main()
