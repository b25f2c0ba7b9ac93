"""Ingest benchmark: the image step and the product's upload path, against three references.

Run from the repository root (PostgreSQL answering on 127.0.0.1:5432 as ``postgres``)::

    .venv/bin/python bench/ingest/run.py [--reps 3] [--n12 6] [--n50 3] [--database NAME] [--no-e2e]

What is measured (all on the same photo-like JPEGs with GPS EXIF and an ICC
profile, 12 MP = 4000x3000 and 50 MP = 8660x5773, cached in a temp dir):

* ours  - for each file: read bytes, ``process()`` (probe + lossless strip +
          one draft-scaled decode -> watermarked preview, thumbnail, pHash),
          write cleaned original, preview and thumbnail to disk.
* e2e   - the product's path for each file, as the upload view and the worker
          run it: ``catalog.photos.services.photo_upload`` (read the upload,
          probe, exact-duplicate look-up, the row, the original written to the
          private storage) then ``photo_process`` (read the original back,
          ``process()``, cleaned copy to the private storage, thumbnail and
          preview to the public storage, pHash bands, near-duplicate look-up,
          row update), on PostgreSQL (throw-away database ``--database``,
          migrated, dropped at the end) with the product's file storages under a
          temp ``STOCKDATA_MEDIA_ROOT``.  Excludes: HTTP and multipart parsing,
          the broker round trip between the two services (queued messages go to
          kombu's in-memory transport), and face proposals, which the worker runs
          as a separate task: ``detect_ms`` is the median of
          ``photo_propose_boxes`` (OpenCV on the stored preview) per photo.
          Photos and files are deleted between repetitions.
* naive - for each file: ``Image.open(path)``, ``.resize()`` to the preview
          size and save, ``.resize()`` to the thumbnail size and save (Pillow
          defaults: full decode, bicubic).
* pillow_thumbnail - for each file: ``Image.open(path)``, ``thumbnail()`` to the
          preview size (Pillow picks a reduced DCT scale with ``draft()`` and
          resamples with reducing_gap) and save, then ``thumbnail()`` of that
          preview to the thumbnail size and save: Pillow used well.
* vips  - ``vipsthumbnail --size 1200`` then ``--size 400`` over all files
          (two batch invocations; libvips is multi-threaded and uses JPEG
          shrink-on-load).

Each method runs once untimed (warm-up), then ``--reps`` times; the table
shows the median wall and CPU seconds of a whole batch.  CPU seconds for
vips are the children's user+system time.

Peak memory: a fresh child process imports catalog.imaging and processes ONE
50 MP file; another fresh child only imports catalog.imaging.  Both report
their own peak resident set size, ``VmHWM`` from /proc/self/status (not
``ru_maxrss``: Linux carries that across fork+exec, so a child would inherit
this benchmark's own high-water mark).  ``peak_mb_50mp`` is the difference,
i.e. the extra peak RSS caused by processing that file, including its input
bytes and the cleaned copy.  The same is shown for the naive method.

The last line is machine-readable::

    RESULT ingest rate=<photos/s> vs_naive=<x> vs_vips=<x> peak_mb_50mp=<MB>
        vs_pillow_thumbnail=<x> e2e_rate=<photos/s> e2e_vs_core=<x> detect_ms=<ms>

where rate is the core step's (``ours``), vs_* = reference wall time / our core wall
time (> 1 means we are faster), and e2e_vs_core = e2e_rate / rate.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFilter

from catalog import imaging

SIZES = {"12mp": (4000, 3000), "50mp": (8660, 5773)}
CACHE = Path(tempfile.gettempdir()) / "stockdata-bench-ingest-v2"
PREVIEW_PX, THUMB_PX, QUALITY = 1200, 400, 85


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    """Blurred random shapes drawn at 1/8 size, upscaled, plus texture and noise.

    Texture and noise matter: they give the JPEGs camera-like sizes (about
    3 bits per pixel at quality 90: ~4.4 MB for 12 MP, ~18 MB for 50 MP) and
    so a realistic entropy-decoding cost.
    """
    rng = np.random.default_rng(seed)
    sw, sh = width // 8, height // 8
    small = Image.new("RGB", (sw, sh), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(small)
    for _ in range(60):
        x, y = int(rng.integers(0, sw)), int(rng.integers(0, sh))
        r = int(rng.integers(sw // 40 + 1, sw // 5 + 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        else:
            draw.rectangle([x - r, y - r // 2, x + r, y + r // 2], fill=colour)
    small = small.filter(ImageFilter.GaussianBlur(1.5))
    big = np.asarray(small.resize((width, height), Image.Resampling.BICUBIC))
    noisy = big.astype(np.int16)
    texture = rng.integers(108, 149, size=(height // 4, width // 4), dtype=np.uint8)
    texture = Image.fromarray(texture).resize((width, height), Image.Resampling.BICUBIC)
    noisy += np.asarray(texture, dtype=np.int16)[:, :, None] - 128  # grain, texture
    noisy += rng.integers(-12, 13, size=(height, width, 1), dtype=np.int16)  # luma noise
    noisy += rng.integers(-3, 4, size=(height, width, 3), dtype=np.int16)  # chroma noise
    np.clip(noisy, 0, 255, out=noisy)
    return Image.fromarray(noisy.astype(np.uint8))


def personal_exif(seed: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS R5"  # Model
    exif[0x013B] = "Jane Photographer"  # Artist
    exif[0x0112] = 1 if seed % 2 else 6  # Orientation: some portrait photos
    exif.get_ifd(0x8769)[0x9003] = "2024:05:17 10:21:33"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.6)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.2)
    return exif


def make_corpus(n12: int, n50: int) -> list[Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    files = []
    for label, count in (("12mp", n12), ("50mp", n50)):
        for i in range(count):
            path = CACHE / f"{label}_{i}.jpg"
            if not path.exists():
                t0 = time.perf_counter()
                seed = i + (100 if label == "50mp" else 0)
                img = photo_like(*SIZES[label], seed=seed)
                tmp = path.with_suffix(".tmp")
                img.save(tmp, "JPEG", quality=90, exif=personal_exif(seed), icc_profile=icc)
                tmp.rename(path)
                print(f"  generated {path.name} in {time.perf_counter() - t0:.1f}s", flush=True)
            files.append(path)
    return files


# ---------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------


def run_ours(files: list[Path], out: Path) -> None:
    for path in files:
        data = path.read_bytes()
        _, cleaned, derivatives = imaging.process(data)
        stem = path.stem
        (out / f"{stem}_clean.jpg").write_bytes(cleaned)
        (out / f"{stem}_p.jpg").write_bytes(derivatives.preview)
        (out / f"{stem}_t.jpg").write_bytes(derivatives.thumbnail)


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    scale = long_side / max(size)
    return round(size[0] * scale), round(size[1] * scale)


def run_naive(files: list[Path], out: Path) -> None:
    for path in files:
        with Image.open(path) as im:
            im.resize(_fit(im.size, PREVIEW_PX)).save(out / f"{path.stem}_p.jpg", quality=QUALITY)
            im.resize(_fit(im.size, THUMB_PX)).save(out / f"{path.stem}_t.jpg", quality=QUALITY)


def run_pillow_thumbnail(files: list[Path], out: Path) -> None:
    for path in files:
        with Image.open(path) as im:
            im.thumbnail((PREVIEW_PX, PREVIEW_PX))
            im.save(out / f"{path.stem}_p.jpg", quality=QUALITY)
            im.thumbnail((THUMB_PX, THUMB_PX))
            im.save(out / f"{path.stem}_t.jpg", quality=QUALITY)


def run_vips(files: list[Path], out: Path) -> None:
    names = [str(p) for p in files]
    for size, suffix in ((PREVIEW_PX, "p"), (THUMB_PX, "t")):
        subprocess.run(
            ["vipsthumbnail", "--size", str(size), "-o", f"{out}/%s_{suffix}.jpg[Q={QUALITY}]", *names],
            check=True,
        )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(method: Callable[[list[Path], Path], None], files: list[Path], reps: int) -> tuple[float, float]:
    """Median (wall, cpu) seconds of ``reps`` batches, after one warm-up batch."""
    walls, cpus = [], []
    for rep in range(reps + 1):
        out = Path(tempfile.mkdtemp(prefix="ingest-out-"))
        try:
            w0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
            method(files, out)
            wall = time.perf_counter() - w0
            cpu = (time.process_time() - c0) + (children_cpu() - k0)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if rep:  # rep 0 is the warm-up
            walls.append(wall)
            cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


# ---------------------------------------------------------------------------
# The product's path: photo_upload + photo_process on PostgreSQL and the real storages
# ---------------------------------------------------------------------------


def django_setup(database: str, media_root: Path) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "stockdata.settings.base"
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["STOCKDATA_MEDIA_ROOT"] = str(media_root)
    os.environ["CELERY_BROKER_URL"] = "memory://"  # queued tasks are not run: the bench calls the services
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()


def e2e_timed(files: list[Path], reps: int) -> tuple[float, float, float]:
    """Median wall seconds of upload+process over all files, its CPU seconds, and the median
    ``photo_propose_boxes`` milliseconds per photo (timed apart)."""
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import Photo
    from catalog.photos.services import photo_process, photo_propose_boxes, photo_upload
    from stockdata.accounts.tests.factories import ContributorFactory
    from stockdata.storage import public_storage

    contributor = ContributorFactory()
    datas = [(p.name, p.read_bytes()) for p in files]
    walls, cpus, detects = [], [], []
    for rep in range(reps + 1):
        photos = []
        w0, c0 = time.perf_counter(), time.process_time()
        for name, data in datas:
            photo = photo_upload(contributor=contributor, file=SimpleUploadedFile(name, data, "image/jpeg"))
            photo = photo_process(photo_id=photo.pk)
            assert photo.processing == Photo.Processing.READY, photo.processing_error
            photos.append(photo)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        for photo in photos:
            t0 = time.perf_counter()
            photo_propose_boxes(photo_id=photo.pk)
            if rep:
                detects.append((time.perf_counter() - t0) * 1000)
        if rep:  # rep 0 is the warm-up
            walls.append(wall)
            cpus.append(cpu)
        for photo in photos:
            default_storage.delete(photo.original.name)
            default_storage.delete(photo.cleaned.name)
            public_storage().delete(photo.thumbnail.name)
            public_storage().delete(photo.preview.name)
        Photo.objects.filter(pk__in=[p.pk for p in photos]).delete()
    return statistics.median(walls), statistics.median(cpus), statistics.median(detects)


# ---------------------------------------------------------------------------
# Peak memory in fresh child processes
# ---------------------------------------------------------------------------

_CHILD = r"""
import sys
sys.path.insert(0, {root!r})
from catalog import imaging
from PIL import Image
mode, path = sys.argv[1], sys.argv[2]
if mode == "ours":
    with open(path, "rb") as f:
        data = f.read()
    probed, cleaned, d = imaging.process(data)
    assert d.preview and d.thumbnail
elif mode == "naive":
    with Image.open(path) as im:
        for side in (1200, 400):
            s = side / max(im.size)
            im.resize((round(im.width * s), round(im.height * s))).save("/dev/null", "JPEG", quality=85)
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def child_peak_kb(mode: str, path: Path) -> int:
    code = _CHILD.format(root=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code, mode, str(path)], check=True, capture_output=True, text=True)
    return int(result.stdout.strip().splitlines()[-1])


def peak_delta_mb(mode: str, path: Path, runs: int = 3) -> tuple[float, float]:
    """(peak RSS MB of the processing child, delta over an import-only child), median of runs."""
    base = statistics.median(child_peak_kb("baseline", path) for _ in range(runs))
    peak = statistics.median(child_peak_kb(mode, path) for _ in range(runs))
    return peak / 1024, (peak - base) / 1024


# ---------------------------------------------------------------------------


def sanity_check(path: Path) -> None:
    """Make sure the timed function really does the job (no GPS left, sizes right)."""
    _probed, cleaned, d = imaging.process(path.read_bytes())
    with Image.open(io.BytesIO(cleaned)) as im:
        exif = im.getexif()
        assert not exif.get_ifd(0x8825) and 0x013B not in exif, "personal EXIF left"
    assert max(d.preview_size) == PREVIEW_PX and max(d.thumb_size) == THUMB_PX
    with Image.open(io.BytesIO(d.preview)) as im:
        assert "exif" not in im.info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--n12", type=int, default=6)
    parser.add_argument("--n50", type=int, default=3)
    parser.add_argument("--database", default="stockdata_bench_ingest", help="throw-away PostgreSQL database")
    parser.add_argument("--no-e2e", action="store_true", help="skip the upload+process run on PostgreSQL")
    args = parser.parse_args()
    if shutil.which("vipsthumbnail") is None:
        print("vipsthumbnail not found: apt-get install -y libvips-tools", file=sys.stderr)
        return 2

    t_start = time.perf_counter()
    print(f"corpus: {args.n12} x 12 MP + {args.n50} x 50 MP JPEG (cache: {CACHE})", flush=True)
    files = make_corpus(args.n12, args.n50)
    total_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"  {len(files)} files, {total_mb:.1f} MB", flush=True)
    sanity_check(files[0])
    vips_version = subprocess.run(
        ["vipsthumbnail", "--vips-version"], capture_output=True, text=True, check=True
    ).stdout.strip()

    print(
        "measures: core = catalog.imaging.process() + the three files written (no database, no storage API); "
        "e2e = photo_upload + photo_process on PostgreSQL and the product's storages (no HTTP, no broker, "
        "face proposals timed apart); references: naive Pillow, Pillow thumbnail(), vipsthumbnail.",
        flush=True,
    )
    results = {}
    methods = (
        ("ours", run_ours),
        ("naive", run_naive),
        ("pillow_thumbnail", run_pillow_thumbnail),
        ("vips", run_vips),
    )
    for name, method in methods:
        print(f"timing {name} ({args.reps} reps + warm-up)...", flush=True)
        results[name] = timed(method, files, args.reps)
    detect_ms = float("nan")
    if not args.no_e2e:
        from bench.common import database_create, database_drop

        print(f"timing e2e: photo_upload + photo_process on PostgreSQL ({args.database}), {args.reps} reps + warm-up")
        media = Path(tempfile.mkdtemp(prefix="ingest-media-"))
        database_create(args.database)
        try:
            django_setup(args.database, media)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            wall, cpu, detect_ms = e2e_timed(files, args.reps)
            results["e2e"] = (wall, cpu)
        finally:
            database_drop(args.database)
            shutil.rmtree(media, ignore_errors=True)

    path50 = next((p for p in files if p.name.startswith("50mp")), files[-1])
    print(f"peak memory on {path50.name} ({path50.stat().st_size / 1e6:.1f} MB)...", flush=True)
    ours_peak, ours_delta = peak_delta_mb("ours", path50)
    naive_peak, naive_delta = peak_delta_mb("naive", path50)

    ours_wall = results["ours"][0]
    n = len(files)
    print()
    print(f"{'method':<36}{'wall s':>9}{'cpu s':>9}{'photos/s':>10}{'vs ours':>9}")
    labels = {
        "ours": "ours, core: process() + 3 writes",
        "naive": "naive Pillow open+resize",
        "pillow_thumbnail": "Pillow thumbnail() x2",
        "vips": f"vipsthumbnail x2 ({vips_version})",
        "e2e": "ours, e2e: photo_upload+photo_process",
    }
    for name, (wall, cpu) in results.items():
        print(f"{labels[name]:<36}{wall:>9.2f}{cpu:>9.2f}{n / wall:>10.2f}{wall / ours_wall:>8.2f}x")
    print()
    print("peak RSS (VmHWM), one 50 MP file, fresh child; import-only child subtracted:")
    print(f"  ours : {ours_peak:7.1f} MB total, {ours_delta:7.1f} MB over baseline")
    print(f"  naive: {naive_peak:7.1f} MB total, {naive_delta:7.1f} MB over baseline")
    print(f"face proposals (photo_propose_boxes, apart from e2e): median {detect_ms:.0f} ms per photo")
    print(f"cpus: {os.cpu_count()}, total bench time {time.perf_counter() - t_start:.0f}s")
    e2e_rate = n / results["e2e"][0] if "e2e" in results else float("nan")
    print(
        f"RESULT ingest rate={n / ours_wall:.2f} vs_naive={results['naive'][0] / ours_wall:.2f} "
        f"vs_vips={results['vips'][0] / ours_wall:.2f} peak_mb_50mp={ours_delta:.1f} "
        f"vs_pillow_thumbnail={results['pillow_thumbnail'][0] / ours_wall:.2f} e2e_rate={e2e_rate:.2f} "
        f"e2e_vs_core={e2e_rate / (n / ours_wall):.2f} detect_ms={detect_ms:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
