"""Bundle benchmark: licensing.bundle's streaming ZIP writer against zip -0 and a plain copy.

Run from the repository root::

    .venv/bin/python bench/bundle/run.py [--n 250] [--mb 4] [--reps 3] [--no-4gb]

Corpus: ``--n`` JPEGs of about ``--mb`` MB each (default 250 x 4 MB = ~1 GB).
One noise JPEG (quality 95) is generated once and cached in
``$TMPDIR/stockdata-bench-bundle-seed.jpg``; each corpus file is that JPEG with
a different 64-byte COM segment after SOI (valid JPEG, distinct bytes and
SHA-256).  The corpus and every output live in a temp dir removed at the end
(only the ~4 MB seed stays cached).  All methods read the corpus from the page
cache (it was just written); every timed run writes a new file on the same
disk and ends with an fsync of that file (``sync FILE`` for the shell tools),
after an untimed ``sync`` so no earlier dirty data is flushed inside a timing.

Methods (medians of ``--reps`` runs, interleaved ours / zip / cat):

* ours    - ``licensing.bundle.build_bundle``: annotated edition of a
            synthetic version (metadata.jsonl/csv, COCO, YOLO, VOC, Croissant,
            README, LICENSE generated) + every image STORED + MANIFEST.sha256,
            CRC-32 and SHA-256 of every entry computed while copying, written
            to a file + fsync.
* zip -0  - ``zip -q -0 -r out.zip <folder>`` over the same files + fsync.
* ceiling - ``cat <files> > out`` + fsync: the bytes copied with no ZIP, no hash.

MB/s = image bytes / 10^6 / seconds.

Peak memory: a fresh child process builds the bundle (to a file) and reports
its own ``VmHWM`` from /proc/self/status; a second fresh child only imports
the same modules and loads the same item list.  ``peak_mb`` is the difference
in MiB.  ``peak_mb_4gb`` is the same for a bundle past 4 GiB: the corpus
listed under different names as many times as needed to pass 4.5 GB (5 x 1 GB
by default), so that ZIP64 offsets are exercised.  That archive is then
checked: entry count, and the SHA-256 (and CRC) of its last image, stored past
the 4 GiB offset, read back through Python's zipfile and found in the manifest.

Reuse across buyers: ``build_base`` of the 1 GB version (+fsync), then
``personalise`` for a second buyer (base local records copied with
copy_file_range, LICENSE + manifest + central directory appended) + fsync, and
``personal_tail`` alone (the only bytes that differ between buyers, for an
upload that server-side-copies the base prefix); medians of ``--reps``.

Last line::

    RESULT bundle mb_s=<MB/s> vs_zip0=<x> vs_ceiling=<x> peak_mb=<MB> peak_mb_4gb=<MB>

with vs_zip0 = zip time / our time (>1: we are faster) and vs_ceiling =
ceiling time / our time (1.0 would be as fast as a plain copy).
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


def run_ours(paths: list[Path], out: Path) -> None:
    from licensing.delivery.archive import ANNOTATED, build_bundle

    items, info, where = synthetic_version(paths)
    with open(out, "wb") as f:
        build_bundle(f, items, info, edition=ANNOTATED, open_image=opener(where), license=LICENSE)
        f.flush()
        os.fsync(f.fileno())


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
from licensing.bundle import ANNOTATED, build_bundle
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


# ---------------------------------------------------------------------------- personalise
def time_personalise(paths: list[Path], work: Path, reps: int) -> dict[str, float]:
    """Median seconds: build_base (+fsync), personalise for a 2nd buyer (+fsync), personal_tail alone."""
    from licensing.delivery.archive import (
        ANNOTATED,
        BaseIndex,
        base_entries,
        build_base,
        bundle_date_time,
        bundle_root,
        manifest_name,
        personal_entries,
        personal_tail,
        personalise,
    )

    items, info, where = synthetic_version(paths)
    root = bundle_root(info, ANNOTATED)
    base_path = work / "base.zip"
    out = work / "buyer2.zip"
    times: dict[str, list[float]] = {"base": [], "personalise": [], "tail": []}
    ok = True
    for _rep in range(reps):
        base_path.unlink(missing_ok=True)
        subprocess.run(["sync"], check=True)
        t0 = time.perf_counter()
        with open(base_path, "wb") as f:
            index = build_base(
                f,
                base_entries(items, info, edition=ANNOTATED, open_image=opener(where)),
                date_time=bundle_date_time(info),
            )
            f.flush()
            os.fsync(f.fileno())
        times["base"].append(time.perf_counter() - t0)
        index = BaseIndex.from_json(index.to_json())
        licence = personal_entries(root=root, license=b"Licensee: Second Buyer\nOrder: B-0002\n")
        out.unlink(missing_ok=True)
        subprocess.run(["sync"], check=True)
        t0 = time.perf_counter()
        with open(base_path, "rb") as base, open(out, "wb") as f:
            personalise(base, index, licence, f, manifest_name=manifest_name(root))
            f.flush()
            os.fsync(f.fileno())
        times["personalise"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tail = io.BytesIO()
        personal_tail(index, licence, tail, manifest_name=manifest_name(root))
        times["tail"].append(time.perf_counter() - t0)
        with open(base_path, "rb") as base:
            ok = ok and base.read(index.local_end) + tail.getvalue() == out.read_bytes()
        ok = ok and subprocess.run(["unzip", "-tq", str(out)], check=False, capture_output=True).returncode == 0
    out.unlink(missing_ok=True)
    base_path.unlink(missing_ok=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    med["ok"] = float(ok)
    med["tail_bytes"] = float(len(tail.getvalue()))
    return med


# ---------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=250, help="number of JPEGs")
    ap.add_argument("--mb", type=float, default=4.0, help="approximate size of each JPEG, MB")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-4gb", action="store_true", help="skip the 4 GB memory run")
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    args = ap.parse_args()

    free = shutil.disk_usage(args.workdir).free
    need = max(args.n * args.mb * 1e6 * 3, 5.5e9 if not args.no_4gb else 0) + args.n * args.mb * 1e6
    print(f"free space in {args.workdir}: {free / 1e9:.1f} GB, need about {need / 1e9:.1f} GB", flush=True)
    if free < need:
        sys.exit("not enough disk space")

    work = Path(tempfile.mkdtemp(prefix="stockdata-bench-bundle-", dir=args.workdir))
    try:
        t0 = time.perf_counter()
        paths = make_corpus(work / "corpus", args.n, args.mb)
        total = sum(p.stat().st_size for p in paths)
        print(f"corpus: {len(paths)} JPEGs, {total / 1e6:.0f} MB in {time.perf_counter() - t0:.1f}s", flush=True)

        out = work / "out.zip"
        run_ours(paths, out)  # warm-up (imports, page cache)
        times: dict[str, list[float]] = {"ours": [], "zip -0": [], "ceiling": []}
        for rep in range(args.reps):
            for label, fn in (("ours", run_ours), ("zip -0", run_zip), ("ceiling", run_cat)):
                wall = timed(fn, paths, out)
                times[label].append(wall)
                print(f"  rep {rep + 1} {label:8s} {wall:6.2f}s  {total / 1e6 / wall:7.1f} MB/s", flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\n{'method':10s} {'median s':>9s} {'MB/s':>8s}")
        for label, wall in med.items():
            print(f"{label:10s} {wall:9.2f} {total / 1e6 / wall:8.1f}")
        mb_s = total / 1e6 / med["ours"]
        vs_zip = med["zip -0"] / med["ours"]
        vs_ceiling = med["ceiling"] / med["ours"]

        reuse = time_personalise(paths, work, args.reps)
        print(
            f"\nreuse across buyers (medians):\n"
            f"  full one-pass build (ours above)          {med['ours']:6.2f}s\n"
            f"  build_base + fsync                        {reuse['base']:6.2f}s\n"
            f"  personalise, 2nd buyer (copy + fsync)     {reuse['personalise']:6.2f}s "
            f"= {reuse['personalise'] / reuse['base']:.2f} x build_base (a plain copy: cat took {med['ceiling']:.2f}s)\n"
            f"  personal_tail only ({reuse['tail_bytes'] / 1e3:.0f} kB: base prefix + tail = archive) "
            f"{reuse['tail'] * 1000:6.1f} ms\n"
            f"  prefix + tail == personalised archive, unzip -t: {'OK' if reuse['ok'] else 'FAILED'}"
        )

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
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"RESULT bundle mb_s={mb_s:.0f} vs_zip0={vs_zip:.2f} vs_ceiling={vs_ceiling:.2f} "
        f"peak_mb={mem1:.1f} peak_mb_4gb={mem4:.1f}"
    )


if __name__ == "__main__":
    main()
