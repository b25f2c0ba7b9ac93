"""Delivery benchmark: what one more buyer costs, and a download broken at 40 % and resumed with curl.

Run from the repository root (PostgreSQL answering on 127.0.0.1:5432 as ``postgres``)::

    .venv/bin/python bench/delivery/run.py [--gb 5] [--mb 5] [--reps 5] [--database NAME]

Corpus: JPEGs of about ``--mb`` MB (the bundle benchmark's cached noise JPEG, each copy with its
own COM segment) adding up to ``--gb`` GB (default 1,000 x 5 MB = 5 GB, a 1,000-photo 12 MP
dataset), made the cleaned copies of a frozen annotated version in the product's file storage
(``FileSystemStorage`` under a temp ``STOCKDATA_MEDIA_ROOT``) on a throw-away PostgreSQL database.

What is measured:

* first buyer (not a target, context) - ``licensing.delivery.services.bundle_build`` (what
  ``bundle_build_task`` runs) for the first order line: the shared base written once + the
  buyer's tail, + fsync.
* personalise - ``bundle_build`` for each of ``--reps`` more buyers of the same edition (the
  base as one archive: ``STOCKDATA_BUNDLE_PART_BYTES`` raised above its size for these runs): the base
  is reused untouched and only the buyer's tail is written (LICENSE.txt, MANIFEST.sha256, the
  central directory; the whole-archive SHA-256 resumed from the base prefix's saved state),
  + fsync of what it wrote. ``personalise_ms`` is the median wall time; ``personal_mb`` the
  largest number of bytes the product's storage grew by for one buyer (the sum of the sizes of
  the files that appeared), in MB (10^6). Excludes: the broker round trip, worker start-up,
  e-mail (locmem), the database's own WAL.
* reference in the same run - the path the product ran before tail-only storage: the buyer's
  full archive written by ``archive.personalise_bundle`` (the base prefix copied with
  ``copy_file_range`` + tail) + fsync, and the prefix read once to hash it (``copy_ms``).
* resume - gunicorn (production's WSGI app, 2 gthread workers) serves the download link
  ``bundle_download`` issues to the buyer (a real session cookie); ``curl`` downloads it, is
  killed once 40 % of the bytes are on disk, and ``curl -C -`` resumes (an HTTP ``Range``
  request answered 206 from the base prefix + tail). ``resume_ok=1`` when the resumed file's
  SHA-256 equals the archive's (as the order page shows it) and the server logged one counted
  download and one resumed fetch.
* parts - the same version built as a parted bundle (``--part-gb`` GB per part, default 1.25:
  4 parts of the 5 GB base) by real Celery workers (prefork, Redis broker ``--broker``) with
  ``--concurrency 1`` and then ``2``: from queueing the first buyer's ``bundle_build_task`` to the
  bundle being ready (the part tasks as a group, the join, the buyer's tails and index part),
  bases deleted between runs; medians of ``--part-reps``. ``two_workers_vs_one`` = one worker's
  time / two workers' time. Bounded on this machine by its 2 cores (each part is CRC-32 +
  SHA-256 + a disk write of its bytes, one core per part) and by the one disk both write to;
  the other sessions' load takes cores away from the second worker.

Last line::

    RESULT delivery personalise_ms=<ms> personal_mb=<MB> resume_ok=<0|1> parts=<n> two_workers_vs_one=<x>
        copy_ms=<ms> personalise_cpu_ms=<ms> base_gb=<GB> one_worker_s=<s> two_workers_s=<s>
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bundle.run import Product, django_setup, fsync_path, make_corpus
from bench.common import database_create, database_drop, free_port, log, wait_for

BIN = Path(sys.executable).parent


def storage_files(root: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def personalise_reference(bundle, work: Path) -> float:
    """The pre-tail path: the buyer's whole archive as a byte copy of the base prefix + tail, hashed, + fsync."""
    from django.core.files.storage import default_storage

    from licensing.delivery import archive as core
    from licensing.delivery import services

    base = bundle.base
    index = core.BaseIndex.from_json(base.index)
    line = bundle.order_line
    out_path = work / "copy.zip"
    subprocess.run(["sync"], check=True)
    t0 = time.perf_counter()
    info = services.version_info(line.version, excluded=base.excluded)
    sha = hashlib.sha256()
    with default_storage.open(base.archive, "rb") as src:  # the prefix hashed by reading it once
        left = index.local_end
        while left:
            chunk = src.read(min(1 << 20, left))
            sha.update(chunk)
            left -= len(chunk)
    with default_storage.open(base.archive, "rb") as src, open(out_path, "wb") as out:
        core.personalise_bundle(src, index, out, info=info, edition=line.edition, license=services.licence_text(line))
        out.flush()
        os.fsync(out.fileno())
    wall = time.perf_counter() - t0
    out_path.unlink()
    return wall


def worker_env(database: str, media_root: Path, broker: str, part_bytes: int) -> dict:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.base",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "STOCKDATA_MEDIA_ROOT": str(media_root),
        "DJANGO_DEBUG": "false",
        "CELERY_BROKER_URL": broker,
        "STOCKDATA_BUNDLE_PART_BYTES": str(part_bytes),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def parted_build(product, work: Path, *, concurrency: int, env: dict) -> tuple[float, int]:
    """Seconds from queueing a first buyer's build to their parted bundle being ready, with one
    worker process of ``concurrency`` children; and the number of parts."""
    from licensing.delivery import services
    from licensing.delivery.tests.test_bundles import make_line
    from licensing.models import Bundle, BundleBasePart, BundlePart, DownloadEvent, DownloadLink
    from stockdata.celery import app

    DownloadEvent.objects.all().delete()  # earlier phases' downloads (their rows protect the bundles)
    DownloadLink.objects.all().delete()
    for part in BundlePart.objects.all():
        product.storage.delete(part.archive)
    BundlePart.objects.all().delete()
    for part in BundleBasePart.objects.all():
        product.storage.delete(part.archive)
    BundleBasePart.objects.all().delete()
    product.reset_bases()
    with app.connection_for_write(env["CELERY_BROKER_URL"]) as conn:
        conn.default_channel.queue_purge("celery")
    log_path = work / f"worker-{concurrency}.log"
    worker = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "stockdata",
            "worker",
            "-l",
            "info",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench{free_port()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(log_path, "wb"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while b" ready." not in log_path.read_bytes():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("worker did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.2)
        line = make_line(product.version)
        subprocess.run(["sync"], check=True)
        t0 = time.perf_counter()
        services.bundle_request(line=line)  # autocommit: queued at once
        bundle = Bundle.objects.get(order_line=line)
        while True:
            bundle.refresh_from_db()
            if bundle.status == Bundle.Status.READY:
                break
            if bundle.status == Bundle.Status.FAILED or time.perf_counter() - t0 > 3600:
                raise RuntimeError(f"parted build failed: {bundle.error}\n" + log_path.read_text()[-3000:])
            time.sleep(0.1)
        for part in BundleBasePart.objects.filter(base=bundle.base):
            fsync_path(Path(product.storage.path(part.archive)))
        wall = time.perf_counter() - t0
        parts = BundleBasePart.objects.filter(base=bundle.base).count()
        assert parts >= 2 and bundle.parts.count() == parts + 1, "the bundle was not built in parts"
        return wall, parts
    finally:
        worker.terminate()
        worker.wait(60)


def resume_check(bundle, work: Path, database: str, media_root: Path) -> tuple[int, str]:
    """Serve the buyer's download with gunicorn, break it at 40 %, resume it with curl -C -."""
    from django.conf import settings
    from django.test import Client

    from licensing.delivery import services
    from licensing.models import DownloadEvent

    buyer = bundle.order_line.order.placed_by
    client = Client()
    client.force_login(buyer)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    path = services.bundle_download(line=bundle.order_line, user=buyer, ip="127.0.0.1")
    port = free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.base",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "STOCKDATA_MEDIA_ROOT": str(media_root),
        "DJANGO_DEBUG": "false",
    }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "stockdata.wsgi", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env | {"GUNICORN_WORKERS": "2", "GUNICORN_TIMEOUT": "600"},
        stdout=open(work / "gunicorn.log", "wb"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )
    out = work / "download.zip"
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz/", timeout=90)
        url = f"http://127.0.0.1:{port}{path}"
        curl = ["curl", "-sS", "--fail", "-b", cookie, "-o", str(out)]
        first = subprocess.Popen([*curl, url])
        cut = int(bundle.byte_size * 0.4)
        while first.poll() is None and (not out.exists() or out.stat().st_size < cut):
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.wait()
        if not out.exists():
            return 0, "the download did not start:\n" + (work / "gunicorn.log").read_text()[-3000:]
        broken_at = out.stat().st_size
        if broken_at >= bundle.byte_size:
            return 0, f"the download finished before it could be broken ({broken_at} bytes)"
        t0 = time.perf_counter()
        subprocess.run([*curl, "-C", "-", url], check=True)
        resume_s = time.perf_counter() - t0
        got = sha256_file(out)
        events = list(DownloadEvent.objects.filter(bundle=bundle).order_by("pk").values_list("range_start", "resumed"))
        ok = (
            got == bundle.sha256
            and out.stat().st_size == bundle.byte_size
            and events == [(0, False), (broken_at, True)]
        )
        detail = (
            f"broken at {broken_at:,} of {bundle.byte_size:,} bytes ({broken_at / bundle.byte_size:.0%}); "
            f"resumed in {resume_s:.1f}s; SHA-256 {'equals' if got == bundle.sha256 else 'DIFFERS FROM'} the "
            f"archive's; fetches logged {events}"
        )
        return int(ok), detail
    finally:
        server.terminate()
        server.wait(30)
        out.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gb", type=float, default=5.0, help="size of the shared base (GB of images)")
    ap.add_argument("--mb", type=float, default=5.0, help="approximate size of each JPEG, MB")
    ap.add_argument("--reps", type=int, default=5, help="buyers after the first (median)")
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    ap.add_argument("--database", default="stockdata_bench_delivery", help="throw-away PostgreSQL database")
    ap.add_argument("--part-gb", type=float, default=1.25, help="GB of images per part in the parted runs")
    ap.add_argument("--part-reps", type=int, default=1, help="runs of each worker count (median)")
    ap.add_argument("--broker", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    ap.add_argument("--no-parts", action="store_true", help="skip the parted builds")
    ap.add_argument("--parts-only", action="store_true", help="only the parted builds")
    args = ap.parse_args()

    n = max(2, round(args.gb * 1000 / args.mb))
    need = 4 * n * args.mb * 1e6  # corpus, cleaned copies, base, the downloaded copy
    free = shutil.disk_usage(args.workdir).free
    log(f"free space in {args.workdir}: {free / 1e9:.1f} GB, need about {need / 1e9:.1f} GB")
    if free < need:
        sys.exit("not enough disk space")
    work = Path(tempfile.mkdtemp(prefix="stockdata-bench-delivery-", dir=args.workdir))
    created_db = False
    try:
        t0 = time.perf_counter()
        paths = make_corpus(work / "corpus", n, args.mb)
        total = sum(p.stat().st_size for p in paths)
        log(f"corpus: {n} JPEGs, {total / 1e9:.2f} GB in {time.perf_counter() - t0:.0f}s")
        database_create(args.database)
        created_db = True
        media = work / "media"
        os.environ["CELERY_BROKER_URL"] = args.broker  # the parted runs queue through the workers' broker
        # One archive for the personalise runs (the parted runs give the workers their own part size).
        os.environ["STOCKDATA_BUNDLE_PART_BYTES"] = str(int(args.gb * 4e9))
        django_setup(args.database, media)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        product = Product(paths)
        for p in paths:  # the cleaned copies are in storage now; the corpus is not needed
            p.unlink()
        log(f"frozen version of {n} photos, cleaned copies stored, in {time.perf_counter() - t0:.0f}s")
        log(
            "measures: bundle_build (what bundle_build_task runs) on PostgreSQL + FileSystemStorage + fsync of "
            "what it wrote, for the first buyer (base + tail) and for each later buyer (tail only); reference: "
            "the buyer's full copy (prefix hashed and copied, + fsync); a gunicorn download broken at 40 % and "
            "resumed with curl -C -. Excludes: broker, worker start-up, e-mail, S3, database WAL."
        )

        personalise_ms = personal_mb = copy_ms = cpu_ms = float("nan")
        resume_ok = "skipped" if args.parts_only else 0
        first_s, first = product.deliver() if not args.parts_only else (0.0, None)
        personalise, written, copies, cpu = [], [], [], []
        bundle = first
        for rep in range(0 if args.parts_only else args.reps):
            before = storage_files(media)
            c0 = time.process_time()
            wall, bundle = product.deliver()
            cpu.append(time.process_time() - c0)
            after = storage_files(media)
            grew = sum(size for name, size in after.items() if name not in before) + sum(
                max(0, after[name] - before[name]) for name in before if name in after
            )
            assert bundle.base_id == first.base_id, "a later buyer did not reuse the base"
            personalise.append(wall)
            written.append(grew)
            copies.append(personalise_reference(bundle, work))
            log(
                f"  buyer {rep + 2}: personalise {wall * 1000:7.1f} ms, storage grew {grew:,} bytes; "
                f"reference full copy {copies[-1] * 1000:8.0f} ms"
            )
        if not args.parts_only:
            log(f"first buyer: {first_s:.1f}s (base + tail), {first.byte_size / 1e9:.2f} GB archive")
            log(f"last buyer: {product.check(bundle)}")
            personalise_ms = statistics.median(personalise) * 1000
            personal_mb = max(written) / 1e6
            copy_ms = statistics.median(copies) * 1000
            cpu_ms = statistics.median(cpu) * 1000
            log(
                f"personalise median {personalise_ms:.1f} ms vs full copy {copy_ms:.0f} ms "
                f"({copy_ms / personalise_ms:.0f}x)"
            )
            resume_ok, detail = resume_check(bundle, work, args.database, media)
            log(f"resume: {detail}")
        parts, one_s, two_s = 0, float("nan"), float("nan")
        if not args.no_parts:
            env = worker_env(args.database, media, args.broker, int(args.part_gb * 1e9))
            runs: dict[int, list[float]] = {1: [], 2: []}
            for _rep in range(args.part_reps):
                for concurrency in (1, 2):
                    wall, parts = parted_build(product, work, concurrency=concurrency, env=env)
                    runs[concurrency].append(wall)
                    log(f"  parted build, {parts} parts, {concurrency} worker(s): {wall:.1f}s")
            one_s, two_s = statistics.median(runs[1]), statistics.median(runs[2])
            log(f"parted: one worker {one_s:.1f}s, two workers {two_s:.1f}s ({one_s / two_s:.2f}x)")
    finally:
        if created_db:
            database_drop(args.database)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"RESULT delivery personalise_ms={personalise_ms:.1f} personal_mb={personal_mb:.3f} resume_ok={resume_ok} "
        f"parts={parts} two_workers_vs_one={one_s / two_s:.2f} copy_ms={copy_ms:.0f} "
        f"personalise_cpu_ms={cpu_ms:.0f} base_gb={total / 1e9:.2f} one_worker_s={one_s:.1f} two_workers_s={two_s:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
