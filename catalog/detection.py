"""Face detection with OpenCV's bundled Haar cascade: proposals that a person then confirms.

Runs on the preview-size image (about 1,200 px), never on the full original, and
returns boxes scaled to the photo's displayed size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps

DETECTOR_NAME = "opencv-haar-frontalface-default"
DETECT_LONG_SIDE = 1200


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


@lru_cache(maxsize=1)
def _cascade():
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise RuntimeError("OpenCV's frontal-face cascade could not be loaded")
    return cascade


def detect_faces(data: bytes, *, display_size: tuple[int, int] | None = None) -> list[Box]:
    """Boxes around frontal faces in ``data`` (any size), in the coordinates of ``display_size``.

    ``display_size`` is the photo's size after EXIF orientation; by default the image's own.
    """
    import cv2

    img = Image.open(io.BytesIO(data))
    img.draft("L", (DETECT_LONG_SIDE, DETECT_LONG_SIDE))
    img = ImageOps.exif_transpose(img).convert("L")
    full_w, full_h = display_size or img.size
    img.thumbnail((DETECT_LONG_SIDE, DETECT_LONG_SIDE))
    scale_x, scale_y = full_w / img.width, full_h / img.height
    grey = cv2.equalizeHist(np.asarray(img))
    min_side = max(24, int(min(img.size) * 0.06))
    found = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    boxes = [
        Box(
            x=max(0, round(x * scale_x)),
            y=max(0, round(y * scale_y)),
            w=max(1, min(round(w * scale_x), full_w - round(x * scale_x))),
            h=max(1, min(round(h * scale_y), full_h - round(y * scale_y))),
        )
        for (x, y, w, h) in (found if len(found) else [])
    ]
    return sorted(boxes, key=lambda b: (b.y, b.x))
