"""Bundle benchmark: the delivery a buyer gets, through the product's own services, against zip -0 and a plain copy.

Run from the repository root (PostgreSQL answering on 127.0.0.1:5432 as ``postgres``)::

    .venv/bin/python bench/bundle/run.py [--n 250] [--mb 4] [--reps 3] [--no-4gb] [--database NAME]

Corpus: ``--n`` JPEGs of about ``--mb`` MB each (default 250 x 4 MB = ~1 GB).
One noise JPEG (quality 95) is generated once and cached in
``$TMPDIR/stockdata-bench-bundle-seed.jpg``; each corpus file is that JPEG with
a different 64-byte COM segment after SOI (valid JPEG, distinct bytes and
SHA-256).  The corpus and every output live in a temp dir removed at the end
(only the ~4 MB seed stays cached).  Every method reads the images from the page
cache (they were just written); every timed run ends with an fsync of what it
wrote, after an untimed ``sync`` so no earlier dirty data is flushed inside a timing.

What is timed (medians of ``--reps`` runs, interleaved):

* first buyer - what the Celery task ``bundle_build_task`` runs for the first buyer
            of a version+edition: ``licensing.delivery.services.bundle_build`` on
            PostgreSQL (throw-away database ``--database``, migrated, dropped at the
            end) with the product's private file storage (``FileSystemStorage``
            under a temp ``STOCKDATA_MEDIA_ROOT`` on the same disk). A frozen
            annotated version of ``--n`` photos (made with the test factories;
            each photo's cleaned copy in storage is a corpus file) and a paid order
            line.  Includes: the base lease and progress rows, ``version_info`` /
            ``version_items`` queries, the base ZIP (annotations generated, every
            image STORED with CRC-32 and SHA-256 computed while copying, written to
            storage), then the buyer's tail (LICENSE.txt, MANIFEST.sha256, central
            directory; the archive's SHA-256 resumed from the base prefix's saved
            state) and the row updates; plus an fsync of both files (the base and
            the tail: the buyer's archive is served as base prefix + tail).
            Excludes: the broker round trip and worker start-up, the e-mail
            (locmem backend), S3.
* second buyer - ``bundle_build`` for another order line of the same
            version+edition: the stored base is reused untouched; only the
            buyer's tail is written (+ fsync).
* zip -0  - ``zip -q -0 -r out.zip <folder>`` over the same files + fsync.
* ceiling - ``cat <files> > out`` + fsync: the bytes copied once, no ZIP, no hash.

MB/s = image bytes / 10^6 / seconds of the first buyer's delivery.

Peak memory (of the streaming ZIP writer, ``licensing.delivery.archive``, not of the
whole service): a fresh child process builds a bundle to a file with ``build_bundle``
and reports its own ``VmHWM`` from /proc/self/status; a second fresh child only imports
the same modules and loads the same item list.  ``peak_mb`` is the difference in MiB.
``peak_mb_4gb`` is the same for a bundle past 4 GiB: the corpus listed under different
names as many times as needed to pass 4.5 GB (5 x 1 GB by default), so that ZIP64
offsets are exercised; that archive is then checked (entry count, the SHA-256 and CRC
of its last image, stored past the 4 GiB offset, read back and found in the manifest).

Last line::

    RESULT bundle mb_s=<MB/s> vs_zip0=<x> vs_ceiling=<x> peak_mb=<MB> peak_mb_4gb=<MB>
        first_buyer_vs_zip0=<x> second_buyer_ms=<ms>

with vs_zip0 = first_buyer_vs_zip0 = zip time / first buyer's delivery time (>1: we are
faster) and vs_ceiling = ceiling time / first buyer's delivery time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
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

from bench.common import database_create, database_drop

SEED = Path(tempfile.gettempdir()) / "stockdata-bench-bundle-seed-v1.jpg"
DATE = "2026-03-01T09:00:00+09:00"


# ---------------------------------------------------------------------------- corpus
def seed_jpeg(target_mb: float) -> bytes:
    """A noise JPEG of about ``target_mb`` MB (quality 95), generated once and cached."""
    if SEED.exists() and abs(SEED.stat().st_size / 1e6 - target_mb) < 0.5:
        return SEED.read_bytes()
    import numpy as np
    from PIL import Image

    side = 1000
    data = b""
    rng = np.random.default_rng(7)
    while True:  # grow until the JPEG is big enough (noise ~ 4.6 bytes/pixel at q95)
        noise = rng.integers(0, 256, size=(side, side, 3), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(noise).save(buf, "JPEG", quality=95)
        data = buf.getvalue()
        if len(data) >= target_mb * 1e6 * 0.97:
            break
        side = int(side * (target_mb * 1e6 / len(data)) ** 0.5) + 8
    SEED.write_bytes(data)
    return data


def make_corpus(folder: Path, n: int, target_mb: float) -> list[Path]:
    seed = seed_jpeg(target_mb)
    assert seed[:2] == b"\xff\xd8"
    folder.mkdir(parents=True)
    paths = []
    for i in range(n):
        com = f"stockdata-bench {i:06d} ".encode().ljust(64, b".")
        data = seed[:2] + b"\xff\xfe" + (len(com) + 2).to_bytes(2, "big") + com + seed[2:]
        path = folder / f"sd_{i:08x}.jpg"
        path.write_bytes(data)
        paths.append(path)
    subprocess.run(["sync"], check=True)
    return paths


def synthetic_version(paths: list[Path], copies: int = 1) -> tuple[list[dict], dict, dict[str, str]]:
    """Items (one face + one mask box each), dataset info, and file_name -> path."""
    items, where = [], {}
    for c in range(copies):
        for i, path in enumerate(paths):
            name = f"sd_{c:02d}{i:06x}.jpg"
            where[name] = str(path)
            items.append(
                {
                    "file_name": name,
                    "width": 2000,
                    "height": 1500,
                    "tags": ["face", "mask", "outdoor"],
                    "attributes": {"setting": "street"},
                    "subjects": [{"subject_id": f"S-{i:08d}", "age_band": "30-39", "gender": "female", "mask": True}],
                    "scopes": ["ai_training", "biometric", "publication"],
                    "boxes": [
                        {"label": "face", "x": 100, "y": 120, "w": 300, "h": 360},
                        {"label": "mask", "x": 150, "y": 300, "w": 200, "h": 150},
                    ],
                }
            )
    info = {
        "slug": "bench-faces",
        "title": "Bench faces",
        "description": "Synthetic benchmark dataset.",
        "version": 1,
        "frozen_at": DATE,
        "content_hash": "0" * 64,
        "required_scopes": ["ai_training", "biometric"],
        "licence_name": "Stockdata ML licence",
        "url": "https://example.invalid/d/bench-faces",
    }
    return items, info, where


LICENSE = b"Licensee: Bench Corp\nOrder: B-0001\n"


def opener(where: dict[str, str]):
    def open_image(name: str):
        return open(where[name], "rb", buffering=0)

    return open_image


# ---------------------------------------------------------------------------- methods
def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run_zip(paths: list[Path], out: Path) -> None:
    folder = paths[0].parent
    subprocess.run(["zip", "-q", "-0", "-r", str(out), folder.name], cwd=folder.parent, check=True)
    subprocess.run(["sync", str(out)], check=True)


def run_cat(paths: list[Path], out: Path) -> None:
    with open(out, "wb") as f:
        subprocess.run(["cat", *map(str, paths)], stdout=f, check=True)
    subprocess.run(["sync", str(out)], check=True)


def timed(fn, paths: list[Path], out: Path) -> float:
    out.unlink(missing_ok=True)
    subprocess.run(["sync"], check=True)
    t0 = time.perf_counter()
    fn(paths, out)
    wall = time.perf_counter() - t0
    out.unlink(missing_ok=True)
    return wall


# ---------------------------------------------------------------------------- memory
_CHILD = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
from licensing.delivery.archive import ANNOTATED, build_bundle
mode, spec, out = sys.argv[2], sys.argv[3], sys.argv[4]
with open(spec) as f:
    items, info, where = json.load(f)
if mode == "build":
    def open_image(name):
        return open(where[name], "rb", buffering=0)
    with open(out, "wb") as f:
        build_bundle(f, items, info, edition=ANNOTATED, open_image=open_image, license=b"Licensee: Bench Corp\n")
        f.flush()
        os.fsync(f.fileno())
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]))
"""


def child_peak_kb(mode: str, spec: Path, out: Path) -> int:
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT), mode, str(spec), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(res.stdout.strip().splitlines()[-1])


def peak_mb(paths: list[Path], work: Path, copies: int) -> tuple[float, Path]:
    spec = work / f"spec{copies}.json"
    spec.write_text(json.dumps(synthetic_version(paths, copies)))
    out = work / f"mem{copies}.zip"
    base = child_peak_kb("import", spec, out)
    peak = child_peak_kb("build", spec, out)
    return (peak - base) / 1024, out


def check_big_archive(path: Path, expected_entries: int, last_source: str) -> str:
    import hashlib
    import zipfile

    size = path.stat().st_size
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert len(infos) == expected_entries, (len(infos), expected_entries)
        images = [i for i in infos if i.filename.endswith(".jpg")]
        last = images[-1]
        assert last.header_offset > 0xFFFFFFFF, "last image should sit past 4 GiB"
        h = hashlib.sha256()
        with zf.open(last) as f:  # checks the CRC too
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        want = hashlib.sha256(Path(last_source).read_bytes()).hexdigest()
        assert h.hexdigest() == want
        manifest = zf.read(next(i for i in infos if i.filename.endswith("MANIFEST.sha256"))).decode()
        assert f"{want}  images/{Path(last.filename).name}" in manifest
    return f"{size / 1e9:.2f} GB, {len(infos)} entries, last image at offset {last.header_offset:,} reads back OK"


# ---------------------------------------------------------------------------- the product's path
def django_setup(database: str, media_root: Path) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "stockdata.settings.base"
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["STOCKDATA_MEDIA_ROOT"] = str(media_root)
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()


class Product:
    """A frozen annotated version whose photos' cleaned copies are the corpus, in the product's storage."""

    def __init__(self, paths: list[Path]):
        from django.core.files.storage import default_storage

        from licensing.delivery.tests.test_bundles import factory_version

        self.version = factory_version(photos=len(paths))
        items = list(self.version.items.select_related("photo").order_by("position"))
        assert len(items) == len(paths), (len(items), len(paths))
        for item, path in zip(items, paths, strict=True):
            photo = item.photo
            default_storage.delete(photo.cleaned.name)
            with open(path, "rb") as fh:
                photo.cleaned.name = default_storage.save(f"cleaned/bench/{photo.uuid}.jpg", fh)
            photo.save(update_fields=["cleaned"])
        self.storage = default_storage

    def reset_bases(self) -> None:
        """Forget every bundle and base (rows and files), so the next buyer is a first buyer again."""
        from licensing.models import Bundle, BundleBase

        for name in [
            *Bundle.objects.values_list("archive", flat=True),
            *BundleBase.objects.values_list("archive", flat=True),
        ]:
            if name:
                self.storage.delete(name)
        Bundle.objects.all().delete()
        BundleBase.objects.all().delete()

    def deliver(self) -> tuple[float, object]:
        """One buyer's delivery as the task runs it, + fsync of every archive it wrote; (seconds, bundle)."""
        from licensing.delivery import services
        from licensing.delivery.tests.test_bundles import make_line
        from licensing.models import Bundle, BundleBase

        line = make_line(self.version)
        bundle = Bundle.objects.create(order_line=line)
        had_base = set(BundleBase.objects.exclude(archive="").values_list("archive", flat=True))
        subprocess.run(["sync"], check=True)
        t0 = time.perf_counter()
        bundle = services.bundle_build(bundle_id=bundle.pk)
        written = [bundle.archive] + [
            a for a in BundleBase.objects.exclude(archive="").values_list("archive", flat=True) if a not in had_base
        ]
        for name in written:
            fsync_path(Path(self.storage.path(name)))
        wall = time.perf_counter() - t0
        assert bundle.status == Bundle.Status.READY, (bundle.status, bundle.error)
        return wall, bundle

    def check(self, bundle) -> str:
        """The delivered file is what the row says: SHA-256, size, and unzip -t."""
        import hashlib

        from licensing.delivery import services

        # The archive as served: the base's prefix + this buyer's stored tail, written out once to check it.
        path = Path(self.storage.path(bundle.archive)).with_suffix(".served.zip")
        h = hashlib.sha256()
        with open(path, "wb") as f:
            for chunk in services.bundle_read(bundle):
                h.update(chunk)
                f.write(chunk)
        assert h.hexdigest() == bundle.sha256, "the stored SHA-256 is not the file's"
        assert os.path.getsize(path) == bundle.byte_size
        subprocess.run(["unzip", "-tq", path], check=True, capture_output=True)
        path.unlink()
        return f"{bundle.byte_size / 1e9:.2f} GB, {bundle.files_total} entries, SHA-256 and unzip -t OK"


# ---------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=250, help="number of JPEGs")
    ap.add_argument("--mb", type=float, default=4.0, help="approximate size of each JPEG, MB")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-4gb", action="store_true", help="skip the 4 GB memory run")
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    ap.add_argument("--database", default="stockdata_bench_bundle", help="throw-away PostgreSQL database")
    args = ap.parse_args()

    free = shutil.disk_usage(args.workdir).free
    need = max(args.n * args.mb * 1e6 * 5, 5.5e9 if not args.no_4gb else 0) + args.n * args.mb * 1e6
    print(f"free space in {args.workdir}: {free / 1e9:.1f} GB, need about {need / 1e9:.1f} GB", flush=True)
    if free < need:
        sys.exit("not enough disk space")

    work = Path(tempfile.mkdtemp(prefix="stockdata-bench-bundle-", dir=args.workdir))
    created_db = False
    try:
        t0 = time.perf_counter()
        paths = make_corpus(work / "corpus", args.n, args.mb)
        total = sum(p.stat().st_size for p in paths)
        print(f"corpus: {len(paths)} JPEGs, {total / 1e6:.0f} MB in {time.perf_counter() - t0:.1f}s", flush=True)

        print(
            f"setting up PostgreSQL database {args.database} (migrate) and the version's {len(paths)} photos",
            flush=True,
        )
        database_create(args.database)
        created_db = True
        django_setup(args.database, work / "media")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        product = Product(paths)

        print(
            "measures: bundle_build (the service bundle_build_task calls) on PostgreSQL + FileSystemStorage, "
            "+ fsync of what it wrote; first buyer = base build + their archive, second buyer = their archive "
            "from the stored base. Excludes: broker, worker start-up, e-mail, S3. References: zip -0 + sync, "
            "cat + sync (the disk ceiling).",
            flush=True,
        )
        out = work / "out.zip"
        product.deliver()  # warm-up (imports, page cache, query plans)
        product.reset_bases()
        times: dict[str, list[float]] = {"first buyer": [], "second buyer": [], "zip -0": [], "ceiling": []}
        checked = ""
        for rep in range(args.reps):
            first_s, first = product.deliver()
            second_s, second = product.deliver()
            assert second.base_id == first.base_id, "the second buyer did not reuse the first buyer's base"
            if rep == 0:
                checked = f"first buyer: {product.check(first)}; second buyer: {product.check(second)}"
            product.reset_bases()
            times["first buyer"].append(first_s)
            times["second buyer"].append(second_s)
            for label, fn in (("zip -0", run_zip), ("ceiling", run_cat)):
                times[label].append(timed(fn, paths, out))
            for label in times:
                wall = times[label][-1]
                print(f"  rep {rep + 1} {label:13s} {wall:6.2f}s  {total / 1e6 / wall:7.1f} MB/s", flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\n{'method':13s} {'median s':>9s} {'MB/s':>8s}")
        for label, wall in med.items():
            print(f"{label:13s} {wall:9.2f} {total / 1e6 / wall:8.1f}")
        print(checked)
        mb_s = total / 1e6 / med["first buyer"]
        vs_zip = med["zip -0"] / med["first buyer"]
        vs_ceiling = med["ceiling"] / med["first buyer"]
        second_ms = med["second buyer"] * 1000

        mem1, mem_out = peak_mb(paths, work, 1)
        mem_out.unlink(missing_ok=True)
        print(f"peak memory, {total / 1e9:.1f} GB bundle: {mem1:.1f} MiB above an import-only child")
        mem4 = float("nan")
        if not args.no_4gb:
            # enough copies of the corpus to pass 4.5 GB, so that offsets beyond 4 GiB (ZIP64) are exercised
            copies = max(4, -(-int(4.5e9) // total))
            mem4, mem_out = peak_mb(paths, work, copies)
            print(
                f"peak memory, {copies * total / 1e9:.1f} GB bundle ({copies} x the corpus): "
                f"{mem4:.1f} MiB above an import-only child"
            )
            print(
                "big archive: "
                + check_big_archive(mem_out, expected_entries=3 * copies * len(paths) + 8, last_source=str(paths[-1])),
                flush=True,
            )
            mem_out.unlink(missing_ok=True)
    finally:
        if created_db:
            database_drop(args.database)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"RESULT bundle mb_s={mb_s:.0f} vs_zip0={vs_zip:.2f} vs_ceiling={vs_ceiling:.2f} "
        f"peak_mb={mem1:.1f} peak_mb_4gb={mem4:.1f} first_buyer_vs_zip0={vs_zip:.2f} second_buyer_ms={second_ms:.0f}"
    )


if __name__ == "__main__":
    main()
