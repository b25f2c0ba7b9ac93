"""Face-detector benchmark: the detector's proposals against ground truth.

Run from the repository root::

    .venv/bin/python bench/detector/run.py [--synthetic 200]

Ground truth:

* synthetic -- ``stockdata.demo.synthetic.make_photo``: half the photos with everybody masked,
  half with nobody masked (portraits and groups, frontal, three-quarter and profile), the
  generator's own face boxes (the drawn head);
* real -- scikit-image's ``astronaut`` (512x512; the face at x 170..260, y 30..140), the same
  with a light-blue surgical mask drawn over nose and mouth, each also flipped left-right and
  scaled to 1,536 px: 6 photos, 6 faces (3 masked).

A proposal matches a face when their intersection over union is at least 0.3 (the generator's
head box includes forehead and chin, a Haar box is tighter, so 0.5 would count good proposals as
misses); each face matches at most one proposal. precision = matched proposals / proposals,
recall = matched faces / faces, recall_masked = the same over masked faces, ms_per_photo = CPU
time of ``catalog.detection.detect_faces`` per photo (the product's detector).

Alternatives compared on the real photos and the first ``--compare`` synthetic ones (the
cascades OpenCV's wheel ships; nothing downloaded): frontalface_alt, frontalface_alt2 and
default+profileface (both orientations). The RESULT line is the product's detector over all
the photos (real and synthetic together). The last line is machine-readable::

    RESULT detector precision=<p> recall=<r> recall_masked=<r> ms_per_photo=<ms>
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from catalog.detection import Box, detect_faces


def _synthetic_module():
    # The generator is Django-free, but its package (stockdata.demo) is not: load the file alone.
    import importlib.util

    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "stockdata" / "demo" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = module
    spec.loader.exec_module(module)
    return module


make_photo = _synthetic_module().make_photo

IOU = 0.3
ASTRONAUT_FACE = (170, 30, 90, 110)  # x, y, w, h


def jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def real_photos() -> list[tuple[str, bytes, list[tuple[tuple[int, int, int, int], bool]]]]:
    from skimage import data

    base = Image.fromarray(data.astronaut())
    masked = base.copy()
    x, y, w, h = ASTRONAUT_FACE
    ImageDraw.Draw(masked).polygon(
        [(x + 8, y + 58), (x + w - 8, y + 58), (x + w - 4, y + 80), (x + w / 2, y + h + 4), (x + 4, y + 80)],
        fill=(170, 205, 232),
    )
    out = []
    for name, img, is_masked in (("astronaut", base, False), ("astronaut-masked", masked, True)):
        out.append((name, jpeg(img), [(ASTRONAUT_FACE, is_masked)]))
        flipped = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        out.append((f"{name}-flipped", jpeg(flipped), [((512 - x - w, y, w, h), is_masked)]))
        big = img.resize((1536, 1536), Image.Resampling.BICUBIC)
        out.append((f"{name}-scaled", jpeg(big), [((x * 3, y * 3, w * 3, h * 3), is_masked)]))
    return out


def synthetic_photos(n: int):
    for i in range(n):
        p = make_photo(700_000 + i, mask=i % 2 == 0, kind="portrait" if i % 3 else "group", gps=False)
        faces = [((l, t, r - l, b - t), s.mask) for (l, t, r, b), s in zip(p.face_boxes, p.subjects, strict=True)]
        yield f"synthetic-{i}", p.data, faces


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter) if inter else 0.0


class Score:
    def __init__(self):
        self.proposals = self.matched = self.faces = self.masked = self.matched_masked = 0
        self.cpu = 0.0
        self.photos = 0

    def add(self, proposals: list[tuple[int, int, int, int]], faces, cpu: float) -> None:
        self.photos += 1
        self.cpu += cpu
        self.proposals += len(proposals)
        free = list(proposals)
        for box, is_masked in faces:
            self.faces += 1
            self.masked += is_masked
            best = max(free, key=lambda p: iou(box, p), default=None)
            if best is not None and iou(box, best) >= IOU:
                free.remove(best)
                self.matched += 1
                self.matched_masked += is_masked

    def line(self) -> str:
        precision = self.matched / self.proposals if self.proposals else 0.0
        recall = self.matched / self.faces if self.faces else 0.0
        recall_masked = self.matched_masked / self.masked if self.masked else 0.0
        return (
            f"precision={precision:.3f} recall={recall:.3f} recall_masked={recall_masked:.3f} "
            f"ms_per_photo={1000 * self.cpu / max(1, self.photos):.1f}"
        )


def product(data: bytes) -> tuple[list, float]:
    t = time.process_time()
    found = detect_faces(data)
    return [(b.x, b.y, b.w, b.h) for b in found], time.process_time() - t


def alternative(cascades: list[str], flip_profile: bool):
    import cv2

    loaded = [cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in cascades]

    def run(data: bytes) -> tuple[list, float]:
        t = time.process_time()
        img = Image.open(io.BytesIO(data)).convert("L")
        full_w = img.size[0]
        img.thumbnail((1200, 1200))
        scale = full_w / img.width
        grey = cv2.equalizeHist(np.asarray(img))
        min_side = max(24, int(min(img.size) * 0.06))
        boxes: list[Box] = []
        for c in loaded:
            views = [(grey, False)] + (
                [(grey[:, ::-1].copy(), True)] if flip_profile and "profile" in "".join(cascades) else []
            )
            for view, flipped in views:
                for x, y, w, h in c.detectMultiScale(
                    view, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
                ):
                    if flipped:
                        x = view.shape[1] - x - w
                    boxes.append((round(x * scale), round(y * scale), round(w * scale), round(h * scale)))
        # Merge overlapping boxes from several cascades: keep the first of any pair with IoU >= 0.3.
        kept: list = []
        for b in boxes:
            if all(iou(b, k) < 0.3 for k in kept):
                kept.append(b)
        return kept, time.process_time() - t

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=200)
    parser.add_argument("--compare", type=int, default=50, help="synthetic photos the alternatives are run on")
    args = parser.parse_args()

    real = real_photos()
    synthetic = list(synthetic_photos(args.synthetic))
    detectors = {
        "haar frontalface_default (product)": product,
        "haar frontalface_alt": alternative(["haarcascade_frontalface_alt.xml"], False),
        "haar frontalface_alt2": alternative(["haarcascade_frontalface_alt2.xml"], False),
        "haar default + profileface": alternative(
            ["haarcascade_frontalface_default.xml", "haarcascade_profileface.xml"], True
        ),
    }
    print(
        f"{len(synthetic)} synthetic photos ({sum(len(f) for _n, _d, f in synthetic)} faces), {len(real)} real photos"
    )
    print(f"{'detector':<38} {'set':<10} result")
    totals = {}
    for name, run in detectors.items():
        sets = (("real", real), ("synthetic", synthetic if "product" in name else synthetic[: args.compare]))
        for label, photos in sets:
            score = Score()
            for _photo, data, faces in photos:
                proposals, cpu = run(data)
                score.add(proposals, faces, cpu)
            totals[(name, label)] = score
            print(f"{name:<38} {label:<10} {score.line()}")
    overall = Score()
    for label in ("real", "synthetic"):
        s = totals[("haar frontalface_default (product)", label)]
        for attr in ("proposals", "matched", "faces", "masked", "matched_masked", "cpu", "photos"):
            setattr(overall, attr, getattr(overall, attr) + getattr(s, attr))
    print(f"RESULT detector {overall.line()}")


if __name__ == "__main__":
    main()
