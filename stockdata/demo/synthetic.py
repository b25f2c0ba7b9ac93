"""Deterministic synthetic "stock photos" for demos, tests and benchmarks.

Pure Pillow (+ numpy for the noise); no Django import.  Everything is derived
from an integer seed through a private ``random.Random(seed)`` (never the
global ``random`` module) and a seeded ``numpy.random.Generator``, so the
same arguments always give byte-identical JPEGs on the same Pillow/numpy.

Three kinds of picture are produced:

* ``"portrait"`` -- one large illustrated face (subjects has 1 entry);
* ``"group"``    -- 2 to 5 faces in a row (2-5 entries);
* ``"scene"``    -- no people: city, rice fields, mountains, beach (``()``).

Faces are simple illustrations (skin-tone head, hair, eyes with pupils,
eyebrows, nose, mouth) optionally wearing a surgical mask (light blue / white /
black / pink / grey, with pleats and ear loops), glasses and a hat, drawn on
varied backgrounds (studio gradient, office, street, park, home) with depth of
field blur, a lighting grade, vignette and fine sensor-like grain so that the
result is photo-like and different seeds look very different.

The picture is drawn on a reduced canvas (long side <= ``DRAW_LONG_SIDE``),
upscaled to the requested size, then grain is added at full resolution.

EXIF: Make, Model, Artist, Software, ImageDescription, DateTime, Orientation=1,
Exif IFD DateTimeOriginal and -- when ``gps=True`` -- a GPS IFD (0x8825) with
GPSVersionID, GPSLatitudeRef/GPSLatitude/GPSLongitudeRef/GPSLongitude for a
place in Japan, jittered by the seed.  ``Software``/``ImageDescription`` state
that the image is synthetic.

Public API::

    make_photo(seed, *, kind=None, width=None, height=None, mask=None,
               gps=True, quality=88) -> SyntheticPhoto
    make_batch(n, *, seed=0, **make_photo_kwargs) -> Iterator[SyntheticPhoto]
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from PIL import ExifTags, Image, ImageChops, ImageDraw
from PIL.TiffImagePlugin import IFDRational

__all__ = [
    "AGE_BANDS",
    "ANGLES",
    "DEFAULT_LONG_SIDE_RANGE",
    "GENDERS",
    "KINDS",
    "LIGHTINGS",
    "PLACES",
    "SETTINGS",
    "TAGS_JA",
    "SyntheticPhoto",
    "SyntheticSubject",
    "make_batch",
    "make_photo",
]

AGE_BANDS = ("child", "teen", "20s", "30s", "40s", "50s", "60plus")
GENDERS = ("female", "male", "nonbinary")
KINDS = ("portrait", "group", "scene")
LIGHTINGS = ("daylight", "indoor", "night", "studio")
ANGLES = ("frontal", "three_quarter", "profile")
PEOPLE_SETTINGS = ("studio", "office", "street", "park", "home")
SCENE_SETTINGS = ("city", "field", "mountain", "beach")
SETTINGS = PEOPLE_SETTINGS + SCENE_SETTINGS

#: Default long side (inclusive) when width/height are not forced.
DEFAULT_LONG_SIDE_RANGE = (1600, 3000)
#: Drawing happens at most at this long side, then the image is upscaled.
DRAW_LONG_SIDE = 960
#: Probability that a person wears a mask when ``mask=None``.
MASK_PROBABILITY = 0.35

#: English tag -> Japanese tag.  ``SyntheticPhoto.tags_ja[i]`` is always the
#: translation of ``SyntheticPhoto.tags[i]``.
TAGS_JA: dict[str, str] = {
    "face": "顔",
    "person": "人物",
    "people": "人々",
    "portrait": "ポートレート",
    "group": "グループ",
    "mask": "マスク",
    "glasses": "眼鏡",
    "hat": "帽子",
    "smile": "笑顔",
    "child": "子ども",
    "teenager": "10代",
    "young adult": "若者",
    "adult": "大人",
    "middle-aged": "中年",
    "senior": "シニア",
    "woman": "女性",
    "man": "男性",
    "nonbinary": "ノンバイナリー",
    "frontal": "正面",
    "three-quarter view": "斜め向き",
    "profile": "横顔",
    "studio": "スタジオ",
    "office": "オフィス",
    "street": "街角",
    "park": "公園",
    "home": "自宅",
    "indoor": "屋内",
    "outdoor": "屋外",
    "daylight": "日中",
    "night": "夜",
    "scenery": "風景",
    "city": "都市",
    "field": "田園",
    "rice field": "田んぼ",
    "mountain": "山",
    "beach": "海辺",
    "sea": "海",
    "sky": "空",
    "clouds": "雲",
    "sunset": "夕焼け",
    "night view": "夜景",
    "trees": "木",
    "snow": "雪",
    "building": "ビル",
    "japan": "日本",
}

#: (English name, Japanese name, latitude, longitude) -- jittered per seed.
PLACES: tuple[tuple[str, str, float, float], ...] = (
    ("Tokyo", "東京", 35.6812, 139.7671),
    ("Shibuya, Tokyo", "東京・渋谷", 35.6580, 139.7016),
    ("Shinjuku, Tokyo", "東京・新宿", 35.6896, 139.7006),
    ("Yokohama", "横浜", 35.4437, 139.6380),
    ("Osaka", "大阪", 34.7025, 135.4959),
    ("Namba, Osaka", "大阪・難波", 34.6659, 135.5013),
    ("Kyoto", "京都", 35.0116, 135.7681),
    ("Kobe", "神戸", 34.6901, 135.1955),
    ("Nagoya", "名古屋", 35.1709, 136.8815),
    ("Fukuoka", "福岡", 33.5902, 130.4017),
    ("Sapporo", "札幌", 43.0618, 141.3545),
    ("Sendai", "仙台", 38.2682, 140.8694),
)

_CAMERAS = (
    ("Canon", "Canon EOS R6"),
    ("Canon", "Canon EOS 5D Mark IV"),
    ("SONY", "ILCE-7M4"),
    ("SONY", "ILCE-7RM5"),
    ("NIKON CORPORATION", "NIKON Z 6_2"),
    ("FUJIFILM", "X-T5"),
    ("OM Digital Solutions", "OM-1"),
    ("Panasonic", "DC-S5M2"),
    ("Apple", "iPhone 15 Pro"),
)

_ARTISTS = (
    "Aoi Tanaka",
    "Haruto Suzuki",
    "Yui Takahashi",
    "Ren Watanabe",
    "Sakura Ito",
    "Sota Yamamoto",
    "Mio Nakamura",
    "Daiki Kobayashi",
)

_SKIN = (
    (255, 226, 204),
    (248, 210, 182),
    (241, 194, 160),
    (232, 180, 145),
    (222, 168, 128),
    (205, 145, 105),
    (180, 120, 85),
    (150, 98, 66),
    (118, 76, 52),
    (92, 60, 42),
)
_HAIR_DARK = ((24, 20, 20), (38, 28, 24), (55, 38, 28), (80, 55, 38), (110, 74, 48))
_HAIR_LIGHT = ((150, 110, 70), (196, 162, 104), (126, 60, 36))
_HAIR_GREY = ((128, 126, 124), (168, 166, 164), (206, 204, 200))
_CLOTHES = (
    (30, 40, 70),
    (200, 200, 205),
    (240, 240, 238),
    (90, 20, 30),
    (40, 90, 60),
    (60, 60, 62),
    (180, 120, 60),
    (90, 120, 170),
    (210, 170, 180),
    (20, 20, 22),
    (150, 40, 40),
    (230, 200, 90),
)
_MASK_COLOURS = (
    ((170, 205, 232), (235, 235, 240)),  # light blue, white loops
    ((170, 205, 232), (235, 235, 240)),
    ((242, 242, 244), (230, 230, 232)),  # white
    ((242, 242, 244), (230, 230, 232)),
    ((32, 32, 36), (28, 28, 30)),  # black
    ((240, 204, 214), (236, 220, 226)),  # pink
    ((150, 152, 158), (140, 142, 148)),  # grey
)
_GLASSES_FRAMES = ((18, 18, 20), (40, 30, 25), (95, 55, 30), (160, 140, 90), (120, 122, 128))

Colour = tuple[int, int, int]


# ---------------------------------------------------------------------------
# data classes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticSubject:
    """One person drawn in a photo."""

    age_band: str  # one of AGE_BANDS
    gender: str  # one of GENDERS
    mask: bool
    glasses: bool
    hat: bool


@dataclass(frozen=True)
class SyntheticPhoto:
    """A generated JPEG plus the ground truth used to draw it.

    ``tags_ja[i]`` is the Japanese translation of ``tags[i]``.  For scenes
    ``subjects == ()`` and ``angle == "frontal"``.  The fields after
    ``title_ja`` are extras (with defaults) for seeding/benchmarks.
    """

    data: bytes
    kind: str
    width: int
    height: int
    subjects: tuple[SyntheticSubject, ...]
    lighting: str
    angle: str
    tags: tuple[str, ...]
    tags_ja: tuple[str, ...]
    title: str
    title_ja: str
    seed: int = 0
    setting: str = ""
    place: str = ""
    place_ja: str = ""
    #: (latitude, longitude) in decimal degrees written to the GPS IFD, or None.
    location: tuple[float, float] | None = None
    #: One (left, top, right, bottom) pixel box per subject (same order as
    #: ``subjects``): the drawn head ellipse (plus the nose for profiles).
    face_boxes: tuple[tuple[int, int, int, int], ...] = ()
    #: Per subject (same order), the (left, top, right, bottom) pixel box of the drawn mask
    #: (within the face box), or None for a subject without a mask.
    mask_boxes: tuple[tuple[int, int, int, int] | None, ...] = ()
    taken_at: str = ""  # EXIF DateTimeOriginal "YYYY:MM:DD HH:MM:SS"
    camera_make: str = ""
    camera_model: str = ""

    def ground_truth(self) -> list[dict]:
        """Where every face and mask was drawn, as boxes ``{"label", "x", "y", "w", "h"}`` in pixels
        (top-left origin, ``w``/``h`` > 0): each face, then its mask, in subject order."""
        out = []
        masks = self.mask_boxes or (None,) * len(self.face_boxes)
        for face, mask in zip(self.face_boxes, masks, strict=True):
            for label, box in (("face", face), ("mask", mask)):
                if box is not None and box[2] > box[0] and box[3] > box[1]:
                    out.append({"label": label, "x": box[0], "y": box[1], "w": box[2] - box[0], "h": box[3] - box[1]})
        return out

    @property
    def orientation(self) -> str:
        if self.width > self.height:
            return "landscape"
        if self.width < self.height:
            return "portrait"
        return "square"


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _clamp(v: float) -> int:
    return 0 if v < 0 else 255 if v > 255 else int(v)


def _mul(c: Colour, f: float) -> Colour:
    return (_clamp(c[0] * f), _clamp(c[1] * f), _clamp(c[2] * f))


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (
        _clamp(a[0] + (b[0] - a[0]) * t),
        _clamp(a[1] + (b[1] - a[1]) * t),
        _clamp(a[2] + (b[2] - a[2]) * t),
    )


def _jitter(rng: random.Random, c: Colour, amount: int) -> Colour:
    return tuple(_clamp(v + rng.randint(-amount, amount)) for v in c)  # type: ignore[return-value]


def _rgba(c: Colour, a: int) -> tuple[int, int, int, int]:
    return (c[0], c[1], c[2], a)


def _random_colour(rng: random.Random, lo: int = 30, hi: int = 230) -> Colour:
    return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))


def _vertical_gradient(size: tuple[int, int], top: Colour, bottom: Colour, power: float = 1.0) -> Image.Image:
    w, h = size
    t = np.linspace(0.0, 1.0, h) ** power
    top_a = np.array(top, dtype=np.float64)
    bot_a = np.array(bottom, dtype=np.float64)
    col = (top_a[None, :] + (bot_a - top_a)[None, :] * t[:, None]).clip(0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(col.reshape(h, 1, 3)), "RGB").resize((w, h), Image.Resampling.NEAREST)


def _radial_gradient(size: tuple[int, int], centre: Colour, edge: Colour, cx: float, cy: float) -> Image.Image:
    # computed on a small grid and upscaled: the gradient is smooth anyway
    w, h = size
    sw, sh = max(2, w // 8), max(2, h // 8)
    ys = (np.arange(sh, dtype=np.float64) - cy * sh) / max(sw, sh)
    xs = (np.arange(sw, dtype=np.float64) - cx * sw) / max(sw, sh)
    r = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2)
    t = np.clip(r / 0.75, 0.0, 1.0)[..., None] ** 1.4
    c = np.array(centre, dtype=np.float64)
    e = np.array(edge, dtype=np.float64)
    arr = c + (e - c) * t
    small = Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")
    return small.resize((w, h), Image.Resampling.BILINEAR)


def _bokeh(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    w: int,
    h: int,
    n: int,
    colours,
    y_range=(0.0, 1.0),
    r_range=(0.01, 0.05),
) -> None:
    for _ in range(n):
        r = rng.uniform(*r_range) * max(w, h)
        x = rng.uniform(0, w)
        y = rng.uniform(y_range[0] * h, y_range[1] * h)
        c = rng.choice(colours)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_rgba(c, rng.randint(40, 110)))


def _clouds(
    draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, horizon: float, n: int, colour: Colour
) -> None:
    for _ in range(n):
        cx = rng.uniform(-0.1, 1.1) * w
        cy = rng.uniform(0.05, horizon * 0.8) * h
        size = rng.uniform(0.04, 0.12) * w
        for _ in range(rng.randint(4, 8)):
            dx = rng.uniform(-1.4, 1.4) * size
            dy = rng.uniform(-0.3, 0.2) * size
            r = size * rng.uniform(0.35, 0.7)
            draw.ellipse(
                [cx + dx - r, cy + dy - r * 0.6, cx + dx + r, cy + dy + r * 0.6],
                fill=_rgba(colour, rng.randint(90, 170)),
            )


def _sky_colours(rng: random.Random, lighting: str) -> tuple[Colour, Colour, str]:
    """Return (top, horizon, mood) where mood is 'day', 'sunset' or 'night'."""
    if lighting == "night":
        return _jitter(rng, (8, 12, 35), 6), _jitter(rng, (40, 45, 80), 10), "night"
    if rng.random() < 0.25:
        return _jitter(rng, (70, 80, 150), 15), _jitter(rng, (250, 160, 90), 15), "sunset"
    return _jitter(rng, (60, 120, 210), 20), _jitter(rng, (190, 215, 240), 12), "day"


# ---------------------------------------------------------------------------
# backgrounds (all return an RGB image of the canvas size)
# ---------------------------------------------------------------------------


def _bg_studio(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    base = rng.choice(
        [
            (200, 200, 205),
            (235, 232, 225),
            (60, 62, 70),
            (30, 30, 34),
            (120, 150, 190),
            (190, 150, 120),
            (150, 180, 150),
            (220, 200, 170),
            (90, 60, 90),
            (140, 140, 140),
        ]
    )
    base = _jitter(rng, base, 15)
    centre = _mul(base, rng.uniform(1.1, 1.35))
    edge = _mul(base, rng.uniform(0.45, 0.75))
    img = _radial_gradient(size, centre, edge, rng.uniform(0.3, 0.7), rng.uniform(0.25, 0.5))
    return img, []


def _bg_office(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    wall = _jitter(rng, rng.choice([(225, 225, 220), (200, 205, 210), (180, 175, 165), (235, 230, 215)]), 12)
    img = _vertical_gradient(size, _mul(wall, 1.05), _mul(wall, 0.8))
    d = ImageDraw.Draw(img, "RGBA")
    # windows
    night = lighting == "night"
    x = rng.uniform(-0.2, 0.1) * w
    while x < w:
        ww = rng.uniform(0.18, 0.35) * w
        top, bottom = rng.uniform(0.02, 0.15) * h, rng.uniform(0.55, 0.75) * h
        if rng.random() < 0.6:
            glass = (25, 35, 70) if night else _jitter(rng, (185, 215, 240), 10)
            d.rectangle([x, top, x + ww, bottom], fill=glass)
            # distant buildings through the window
            bx = x
            while bx < x + ww:
                bw = rng.uniform(0.03, 0.08) * w
                bh = rng.uniform(0.1, 0.35) * (bottom - top)
                d.rectangle(
                    [bx, bottom - bh, min(bx + bw, x + ww), bottom],
                    fill=(40, 45, 60) if night else _jitter(rng, (150, 165, 185), 15),
                )
                if night:
                    for _ in range(6):
                        wx = rng.uniform(bx, min(bx + bw, x + ww))
                        wy = rng.uniform(bottom - bh, bottom)
                        d.rectangle([wx, wy, wx + 3, wy + 3], fill=(250, 210, 120))
                bx += bw + rng.uniform(0, 0.02) * w
            mull = _mul(wall, 0.6)
            d.rectangle([x, top, x + ww, bottom], outline=mull, width=max(2, w // 200))
            d.line([x + ww / 2, top, x + ww / 2, bottom], fill=mull, width=max(2, w // 250))
        else:
            # shelf with binders
            sy = rng.uniform(0.3, 0.55) * h
            d.rectangle([x, sy, x + ww, sy + 0.02 * h], fill=_mul(wall, 0.5))
            bx = x + 0.01 * w
            while bx < x + ww - 0.02 * w:
                bw = rng.uniform(0.008, 0.02) * w
                d.rectangle([bx, sy - rng.uniform(0.06, 0.1) * h, bx + bw, sy], fill=_random_colour(rng))
                bx += bw + 1
        x += ww + rng.uniform(0.04, 0.12) * w
    # ceiling lights
    for _ in range(rng.randint(2, 4)):
        lx = rng.uniform(0, w)
        d.ellipse([lx - 0.06 * w, -0.02 * h, lx + 0.06 * w, 0.03 * h], fill=(255, 255, 245, 200))
    # desk / partition
    desk = _jitter(rng, rng.choice([(120, 90, 60), (200, 200, 200), (90, 95, 100)]), 10)
    d.rectangle([0, 0.78 * h, w, h], fill=desk)
    # plant
    if rng.random() < 0.6:
        px = rng.uniform(0.05, 0.95) * w
        for _ in range(12):
            r = rng.uniform(0.02, 0.045) * w
            ox, oy = rng.uniform(-0.05, 0.05) * w, rng.uniform(-0.18, 0.0) * h
            d.ellipse(
                [px + ox - r, 0.7 * h + oy - r, px + ox + r, 0.7 * h + oy + r], fill=_jitter(rng, (50, 110, 50), 20)
            )
        d.rectangle([px - 0.03 * w, 0.7 * h, px + 0.03 * w, 0.8 * h], fill=(200, 200, 195))
    _bokeh(d, rng, w, h, rng.randint(4, 12), [(255, 250, 230), (255, 230, 180)], (0.0, 0.5))
    return img, ["indoor"]


def _buildings(
    d: ImageDraw.ImageDraw,
    rng: random.Random,
    w: int,
    h: int,
    base_y: float,
    max_h: float,
    night: bool,
    palette: list[Colour],
    window_p: float = 0.5,
) -> None:
    x = rng.uniform(-0.1, 0) * w
    while x < w:
        bw = rng.uniform(0.06, 0.16) * w
        bh = rng.uniform(0.25, 1.0) * max_h
        top = base_y - bh
        col = _jitter(rng, rng.choice(palette), 12)
        if night:
            col = _mul(col, 0.25)
        d.rectangle([x, top, x + bw, base_y], fill=col)
        # windows grid
        cols = max(2, int(bw / (0.018 * w)))
        rows = max(2, int(bh / (0.03 * h)))
        cw = bw / cols
        rh = bh / rows
        lit = (255, 214, 140)
        for r in range(rows):
            for c in range(cols):
                if night:
                    if rng.random() > window_p:
                        continue
                    fill = _jitter(rng, lit, 20)
                else:
                    fill = _mul(col, rng.choice((0.65, 0.75, 1.2)))
                wx = x + c * cw + cw * 0.25
                wy = top + r * rh + rh * 0.3
                d.rectangle([wx, wy, wx + cw * 0.5, wy + rh * 0.45], fill=fill)
        x += bw + rng.uniform(0.0, 0.03) * w


def _bg_street(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    night = lighting == "night"
    top, horizon_col, _mood = _sky_colours(rng, lighting)
    img = _vertical_gradient(size, top, horizon_col, 0.8)
    d = ImageDraw.Draw(img, "RGBA")
    ground = rng.uniform(0.55, 0.7) * h
    palette = [(180, 170, 160), (150, 150, 155), (200, 190, 170), (120, 110, 105), (210, 205, 200), (160, 120, 100)]
    _buildings(d, rng, w, h, ground, ground * 0.95, night, palette, 0.55)
    _buildings(d, rng, w, h, ground, ground * 0.6, night, palette, 0.7)
    road = (30, 30, 35) if night else _jitter(rng, (110, 110, 115), 10)
    d.rectangle([0, ground, w, h], fill=road)
    d.rectangle([0, ground, w, ground + 0.04 * h], fill=_mul(road, 1.3))  # sidewalk kerb
    # lane markings in perspective
    vx = rng.uniform(0.3, 0.7) * w
    for k in range(-3, 4):
        d.line([vx, ground, vx + k * 0.4 * w, h], fill=(230, 230, 220, 150), width=max(2, w // 160))
    # signs
    for _ in range(rng.randint(2, 6)):
        sx = rng.uniform(0, w)
        sy = rng.uniform(0.15, 0.5) * h
        sw, sh = rng.uniform(0.02, 0.05) * w, rng.uniform(0.06, 0.18) * h
        c = rng.choice([(220, 40, 40), (250, 200, 40), (40, 120, 220), (240, 240, 240), (40, 160, 80)])
        d.rectangle([sx, sy, sx + sw, sy + sh], fill=_mul(c, 1.0 if not night else 0.9))
    if night:
        _bokeh(
            d,
            rng,
            w,
            h,
            rng.randint(25, 50),
            [(255, 220, 150), (255, 120, 80), (200, 220, 255), (255, 80, 120), (120, 255, 200)],
            (0.2, 0.85),
            (0.01, 0.04),
        )
    else:
        _clouds(d, rng, w, h, 0.4, rng.randint(0, 3), (250, 250, 252))
    return img, ["outdoor", "building"]


def _trees(
    d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, base_y: float, n: int, scale: float, dark: float = 1.0
) -> None:
    for _ in range(n):
        tx = rng.uniform(-0.05, 1.05) * w
        th = rng.uniform(0.15, 0.35) * h * scale
        tw = th * rng.uniform(0.04, 0.07)
        d.rectangle([tx - tw, base_y - th * 0.6, tx + tw, base_y], fill=_mul((80, 60, 40), dark))
        green = _mul(_jitter(rng, rng.choice([(60, 120, 50), (40, 100, 45), (90, 140, 60), (120, 150, 70)]), 15), dark)
        for _ in range(rng.randint(6, 12)):
            r = th * rng.uniform(0.18, 0.32)
            ox = rng.uniform(-0.35, 0.35) * th
            oy = rng.uniform(-1.0, -0.45) * th
            d.ellipse(
                [tx + ox - r, base_y + oy - r, tx + ox + r, base_y + oy + r],
                fill=_mix(green, (0, 0, 0), rng.uniform(0, 0.3)),
            )


def _bg_park(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    top, horizon_col, _ = _sky_colours(rng, "daylight" if lighting != "night" else "night")
    img = _vertical_gradient(size, top, horizon_col)
    d = ImageDraw.Draw(img, "RGBA")
    ground = rng.uniform(0.5, 0.68) * h
    grass = _jitter(rng, (90, 150, 70), 20)
    if lighting == "night":
        grass = _mul(grass, 0.3)
    d.rectangle([0, ground, w, h], fill=grass)
    d.rectangle([0, h * 0.85, w, h], fill=_mul(grass, 0.8))
    _trees(d, rng, w, h, ground, rng.randint(4, 9), 1.6, 0.35 if lighting == "night" else 1.0)
    # path
    px = rng.uniform(0.3, 0.7) * w
    d.polygon(
        [(px - 0.02 * w, ground), (px + 0.02 * w, ground), (px + 0.3 * w, h), (px - 0.3 * w, h)],
        fill=_jitter(rng, (190, 175, 150), 10) if lighting != "night" else (60, 55, 50),
    )
    if lighting != "night":
        _clouds(d, rng, w, h, ground / h, rng.randint(1, 4), (252, 252, 255))
        _bokeh(d, rng, w, h, rng.randint(5, 15), [(255, 255, 220), (230, 255, 200)], (0.1, 0.6))
    else:
        _bokeh(d, rng, w, h, rng.randint(10, 20), [(255, 220, 150), (255, 240, 200)], (0.2, 0.7))
    return img, ["outdoor", "trees"]


def _bg_home(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    wall = _jitter(
        rng,
        rng.choice(
            [(230, 215, 190), (200, 210, 200), (240, 235, 230), (170, 150, 130), (150, 170, 190), (110, 90, 80)]
        ),
        15,
    )
    img = _vertical_gradient(size, _mul(wall, 1.0), _mul(wall, 0.75))
    d = ImageDraw.Draw(img, "RGBA")
    floor_y = rng.uniform(0.72, 0.85) * h
    d.rectangle([0, floor_y, w, h], fill=_jitter(rng, (150, 110, 75), 20))
    # window
    if rng.random() < 0.7:
        wx = rng.uniform(0, 0.7) * w
        ww, wh = rng.uniform(0.15, 0.3) * w, rng.uniform(0.25, 0.4) * h
        wy = rng.uniform(0.08, 0.2) * h
        glass = (20, 25, 50) if lighting == "night" else (225, 240, 250)
        d.rectangle([wx, wy, wx + ww, wy + wh], fill=glass, outline=(245, 245, 240), width=max(3, w // 150))
        d.line([wx + ww / 2, wy, wx + ww / 2, wy + wh], fill=(245, 245, 240), width=max(3, w // 150))
        d.rectangle(
            [wx - 0.03 * w, wy - 0.02 * h, wx + 0.02 * w, floor_y], fill=_jitter(rng, (180, 60, 60), 60)
        )  # curtain
    # picture frame
    fx, fy = rng.uniform(0, 0.85) * w, rng.uniform(0.1, 0.3) * h
    fw, fh = rng.uniform(0.08, 0.15) * w, rng.uniform(0.1, 0.18) * h
    d.rectangle([fx, fy, fx + fw, fy + fh], fill=_random_colour(rng), outline=(40, 30, 20), width=max(2, w // 200))
    # sofa
    sofa = _jitter(rng, rng.choice([(90, 100, 120), (150, 60, 50), (200, 190, 170), (70, 90, 70)]), 15)
    sx = rng.uniform(-0.2, 0.4) * w
    d.rounded_rectangle([sx, floor_y - 0.25 * h, sx + 0.7 * w, floor_y + 0.05 * h], radius=0.03 * w, fill=sofa)
    d.rounded_rectangle(
        [sx + 0.02 * w, floor_y - 0.15 * h, sx + 0.68 * w, floor_y], radius=0.02 * w, fill=_mul(sofa, 1.15)
    )
    # lamp
    lx = rng.uniform(0, w)
    d.polygon(
        [(lx - 0.04 * w, 0.45 * h), (lx + 0.04 * w, 0.45 * h), (lx + 0.025 * w, 0.35 * h), (lx - 0.025 * w, 0.35 * h)],
        fill=(255, 240, 200),
    )
    d.line([lx, 0.45 * h, lx, floor_y], fill=(40, 40, 40), width=max(2, w // 300))
    _bokeh(d, rng, w, h, rng.randint(3, 12), [(255, 230, 180), (255, 250, 235)], (0.0, 0.6))
    return img, ["indoor"]


_PEOPLE_BACKGROUNDS = {
    "studio": _bg_studio,
    "office": _bg_office,
    "street": _bg_street,
    "park": _bg_park,
    "home": _bg_home,
}


# ---------------------------------------------------------------------------
# scenes (no people)
# ---------------------------------------------------------------------------


def _scene_city(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    top, horizon_col, mood = _sky_colours(rng, lighting)
    img = _vertical_gradient(size, top, horizon_col, 0.9)
    d = ImageDraw.Draw(img, "RGBA")
    base = rng.uniform(0.5, 0.85) * h
    palette = [(120, 130, 150), (150, 155, 165), (90, 100, 120), (170, 165, 160), (110, 120, 125)]
    far = [_mix(c, horizon_col, 0.5) for c in palette]
    _buildings(d, rng, w, h, base, base * 0.55, mood == "night", far, 0.35)
    _buildings(d, rng, w, h, base, base * 0.35, mood == "night", palette, 0.6)
    # tower
    if rng.random() < 0.5:
        tx = rng.uniform(0.1, 0.9) * w
        th = base * rng.uniform(0.6, 0.85)
        col = (230, 90, 40) if rng.random() < 0.5 else (200, 205, 210)
        d.polygon(
            [(tx - 0.03 * w, base), (tx + 0.03 * w, base), (tx + 0.004 * w, base - th), (tx - 0.004 * w, base - th)],
            fill=_mul(col, 0.5 if mood == "night" else 1.0),
        )
    water = _mul(horizon_col, 0.6)
    d.rectangle([0, base, w, h], fill=water)
    for _ in range(40):
        y = rng.uniform(base, h)
        x = rng.uniform(0, w)
        d.line(
            [x, y, x + rng.uniform(0.02, 0.1) * w, y],
            fill=(255, 220, 150, 90) if mood == "night" else (255, 255, 255, 60),
            width=2,
        )
    tags = ["city", "building", "sky"]
    if mood == "night":
        tags.append("night view")
    elif mood == "sunset":
        tags.append("sunset")
    else:
        _clouds(d, rng, w, h, 0.35, rng.randint(1, 4), (255, 255, 255))
        tags.append("clouds")
    return img, tags


def _scene_field(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    top, horizon_col, mood = _sky_colours(rng, lighting)
    img = _vertical_gradient(size, top, horizon_col)
    d = ImageDraw.Draw(img, "RGBA")
    horizon = rng.uniform(0.25, 0.6) * h
    # distant hills
    hill = _mix((70, 110, 80), horizon_col, 0.45)
    pts = [(0, horizon)]
    for i in range(13):
        pts.append((i * w / 12, horizon - rng.uniform(0.02, 0.12) * h))
    pts.append((w, horizon))
    d.polygon(pts, fill=hill)
    # rice paddies in perspective
    gold = rng.random() < 0.4
    base_col = (200, 170, 70) if gold else (90, 160, 60)
    vx = rng.uniform(0.2, 0.8) * w
    n_rows = rng.randint(6, 10)
    for i in range(n_rows):
        y0 = horizon + (h - horizon) * (i / n_rows) ** 1.8
        y1 = horizon + (h - horizon) * ((i + 1) / n_rows) ** 1.8
        c = _jitter(rng, _mul(base_col, rng.uniform(0.8, 1.15)), 10)
        d.polygon([(-w, y1), (2 * w, y1), (2 * w, y0), (-w, y0)], fill=c)
        d.line([-w, y0, 2 * w, y0], fill=(60, 50, 30, 120), width=2)
    for k in range(-8, 9):
        d.line([vx, horizon, vx + k * 0.35 * w, h], fill=(70, 60, 30, 110), width=max(1, w // 400))
    if rng.random() < 0.6:  # country road towards the vanishing point
        road_x = rng.uniform(-0.3, 1.3) * w
        d.polygon(
            [(vx - 0.005 * w, horizon), (vx + 0.005 * w, horizon), (road_x + 0.25 * w, h), (road_x - 0.25 * w, h)],
            fill=_jitter(rng, (150, 135, 110), 15),
        )
    _trees(d, rng, w, h, horizon + 0.01 * h, rng.randint(3, 8), 0.6)
    if rng.random() < 0.5:  # farmhouse
        fx, fy = rng.uniform(0.05, 0.85) * w, horizon + rng.uniform(0.02, 0.1) * h
        fs = rng.uniform(0.05, 0.12) * w
        d.rectangle([fx, fy - fs * 0.6, fx + fs, fy], fill=_jitter(rng, (200, 190, 170), 20))
        d.polygon(
            [(fx - fs * 0.1, fy - fs * 0.6), (fx + fs * 0.5, fy - fs), (fx + fs * 1.1, fy - fs * 0.6)],
            fill=_jitter(rng, (70, 60, 60), 20),
        )
    # sun
    sx, sy, sr = rng.uniform(0.1, 0.9) * w, rng.uniform(0.08, 0.25) * h, rng.uniform(0.03, 0.06) * w
    d.ellipse(
        [sx - sr, sy - sr, sx + sr, sy + sr], fill=(255, 245, 210, 220) if mood != "night" else (240, 240, 220, 230)
    )
    if mood == "day":
        _clouds(d, rng, w, h, horizon / h, rng.randint(2, 6), (255, 255, 255))
    tags = ["field", "rice field", "sky", "trees"]
    if mood == "sunset":
        tags.append("sunset")
    return img, tags


def _scene_mountain(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    top, horizon_col, mood = _sky_colours(rng, lighting)
    img = _vertical_gradient(size, top, horizon_col)
    d = ImageDraw.Draw(img, "RGBA")
    tags = ["mountain", "sky"]
    # a Fuji-like cone sometimes
    if rng.random() < 0.5:
        px = rng.uniform(0.3, 0.7) * w
        py = rng.uniform(0.15, 0.3) * h
        base_y = rng.uniform(0.6, 0.7) * h
        half = (base_y - py) * rng.uniform(1.6, 2.2)
        body = _mix((70, 90, 140), horizon_col, 0.3)
        d.polygon([(px - half, base_y), (px - 0.03 * w, py), (px + 0.03 * w, py), (px + half, base_y)], fill=body)
        snow_y = py + (base_y - py) * 0.3
        k = (snow_y - py) / (base_y - py)
        d.polygon(
            [
                (px - 0.03 * w - (half - 0.03 * w) * k, snow_y),
                (px - 0.03 * w, py),
                (px + 0.03 * w, py),
                (px + 0.03 * w + (half - 0.03 * w) * k, snow_y),
            ],
            fill=(245, 245, 250),
        )
        tags.append("snow")
    layers = rng.randint(3, 5)
    base_col = _jitter(rng, rng.choice([(40, 70, 60), (60, 60, 90), (50, 80, 50)]), 10)
    for i in range(layers):
        t = (i + 1) / layers
        y_base = h * (0.45 + 0.45 * t)
        col = _mix(base_col, horizon_col, 0.7 * (1 - t))
        if mood == "night":
            col = _mul(col, 0.35)
        pts = [(0, h)]
        x = 0.0
        while x <= w:
            pts.append((x, y_base - rng.uniform(0.05, 0.25) * h * (1.2 - t)))
            x += rng.uniform(0.05, 0.15) * w
        pts.append((w, y_base - rng.uniform(0.05, 0.2) * h))
        pts.append((w, h))
        d.polygon(pts, fill=col)
    if rng.random() < 0.45:  # lake reflecting the sky
        ly = rng.uniform(0.7, 0.85) * h
        lake = _vertical_gradient((w, int(h - ly) + 1), _mul(horizon_col, 0.8), _mul(top, 0.6))
        img.paste(lake, (0, int(ly)))
        d = ImageDraw.Draw(img, "RGBA")
        for _ in range(12):
            y = rng.uniform(ly, h)
            x = rng.uniform(0, w)
            d.line([x, y, x + rng.uniform(0.05, 0.2) * w, y], fill=(255, 255, 255, 60), width=2)
    if mood == "day":
        _clouds(d, rng, w, h, 0.4, rng.randint(1, 5), (255, 255, 255))
        tags.append("clouds")
    elif mood == "sunset":
        tags.append("sunset")
    return img, tags


def _scene_beach(rng: random.Random, size: tuple[int, int], lighting: str) -> tuple[Image.Image, list[str]]:
    w, h = size
    top, horizon_col, mood = _sky_colours(rng, lighting)
    img = _vertical_gradient(size, top, horizon_col)
    d = ImageDraw.Draw(img, "RGBA")
    horizon = rng.uniform(0.28, 0.6) * h
    shore = min(0.95 * h, horizon + rng.uniform(0.12, 0.4) * h)
    tilt = rng.uniform(-0.15, 0.15) * h  # diagonal shoreline
    sea_top = _mix((20, 70, 120), horizon_col, 0.25)
    sea = _vertical_gradient(
        (w, int(h - horizon) + 1),
        _mul(sea_top, 0.9),
        _jitter(rng, rng.choice([(40, 140, 160), (30, 90, 140), (60, 150, 130)]), 15),
    )
    if mood == "night":
        sea = Image.eval(sea, lambda v: v // 3)
    img.paste(sea, (0, int(horizon)))
    d = ImageDraw.Draw(img, "RGBA")
    # headland on one side
    if rng.random() < 0.6:
        side = rng.choice((0, 1))
        reach = rng.uniform(0.2, 0.5) * w
        peak = horizon - rng.uniform(0.03, 0.15) * h
        land = _mix(_jitter(rng, (60, 90, 60), 15), horizon_col, 0.35)
        if mood == "night":
            land = _mul(land, 0.3)
        xs = (0, reach) if side == 0 else (w, w - reach)
        d.polygon(
            [
                (xs[0], horizon + 0.01 * h),
                (xs[0], peak),
                ((xs[0] + xs[1]) / 2, peak + 0.02 * h),
                (xs[1], horizon + 0.01 * h),
            ],
            fill=land,
        )
    sand = _jitter(rng, rng.choice([(225, 205, 160), (200, 185, 150), (235, 220, 190), (120, 110, 100)]), 12)
    if mood == "night":
        sand = _mul(sand, 0.35)
    d.polygon([(0, shore - tilt), (w, shore + tilt), (w, h), (0, h)], fill=sand)
    # rocks
    for _ in range(rng.randint(0, 4)):
        rx = rng.uniform(0, w)
        ry = rng.uniform(shore, h)
        rr = rng.uniform(0.03, 0.12) * w
        rock = _mul(_jitter(rng, (70, 65, 60), 10), 0.4 if mood == "night" else 1.0)
        d.chord([rx - rr, ry - rr * 0.7, rx + rr, ry + rr * 0.7], 180, 360, fill=rock)
    for _ in range(rng.randint(6, 14)):
        y = rng.uniform(horizon + 0.02 * h, shore)
        x = rng.uniform(-0.2, 0.9) * w
        d.line([x, y, x + rng.uniform(0.1, 0.4) * w, y], fill=(255, 255, 255, 120), width=max(1, w // 300))
    d.line([(0, shore - tilt), (w, shore + tilt)], fill=(250, 250, 250, 170), width=max(2, h // 80))
    sx, sy, sr = rng.uniform(0.2, 0.8) * w, horizon - rng.uniform(0.05, 0.25) * h, rng.uniform(0.03, 0.05) * w
    d.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=(255, 240, 200, 230))
    tags = ["beach", "sea", "sky"]
    if mood == "sunset":
        tags.append("sunset")
    elif mood == "day":
        _clouds(d, rng, w, h, horizon / h, rng.randint(1, 4), (255, 255, 255))
        tags.append("clouds")
    return img, tags


_SCENES = {
    "city": _scene_city,
    "field": _scene_field,
    "mountain": _scene_mountain,
    "beach": _scene_beach,
}


# ---------------------------------------------------------------------------
# people
# ---------------------------------------------------------------------------


@dataclass
class _Look:
    skin: Colour
    hair: Colour
    brows: Colour
    clothes: Colour
    long_hair: bool
    bald: bool
    beard: bool
    lips: Colour
    smile: str  # "closed", "open", "neutral"
    mask_colour: Colour
    loop_colour: Colour
    frame: Colour
    hat_kind: str
    hat_colour: Colour
    iris: Colour


def _make_subject(rng: random.Random, mask_mode: bool | None, *, allow_child: bool = True) -> SyntheticSubject:
    bands = AGE_BANDS if allow_child else AGE_BANDS[1:]
    weights = (6, 8, 18, 18, 16, 12, 12) if allow_child else (8, 18, 18, 16, 12, 12)
    age = rng.choices(bands, weights=weights)[0]
    gender = rng.choices(GENDERS, weights=(47, 47, 6))[0]
    mask = rng.random() < MASK_PROBABILITY if mask_mode is None else mask_mode
    glasses = rng.random() < (0.1 if age == "child" else 0.45 if age in ("50s", "60plus") else 0.25)
    hat = rng.random() < 0.15
    return SyntheticSubject(age_band=age, gender=gender, mask=mask, glasses=glasses, hat=hat)


def _make_look(rng: random.Random, s: SyntheticSubject) -> _Look:
    skin = _jitter(rng, rng.choice(_SKIN), 6)
    if s.age_band == "60plus":
        hair = rng.choice(_HAIR_GREY)
    elif s.age_band == "50s" and rng.random() < 0.5:
        hair = _mix(rng.choice(_HAIR_DARK), (150, 148, 146), rng.uniform(0.3, 0.7))
    elif rng.random() < 0.8:
        hair = rng.choice(_HAIR_DARK)
    else:
        hair = rng.choice(_HAIR_LIGHT)
    hair = _jitter(rng, hair, 5)
    # eyebrows stay darkish even for light/grey hair (helps face detectors too)
    brows = _mix(hair, (20, 15, 12), 0.8 if sum(hair) > 300 else 0.55)
    long_p = {"female": 0.7, "male": 0.1, "nonbinary": 0.45}[s.gender]
    long_hair = rng.random() < long_p
    bald = s.gender == "male" and s.age_band in ("50s", "60plus") and rng.random() < 0.35
    beard = s.gender == "male" and s.age_band not in ("child", "teen") and rng.random() < 0.2
    base_lips = _mix(_mul(skin, 0.78), (170, 60, 70), 0.35)
    lips = _mix(base_lips, (190, 40, 60), 0.5) if s.gender == "female" and rng.random() < 0.5 else base_lips
    mask_colour, loop_colour = rng.choice(_MASK_COLOURS)
    hat_kind = rng.choice(("cap", "beanie", "sunhat"))
    return _Look(
        skin=skin,
        hair=hair,
        brows=brows,
        clothes=_jitter(rng, rng.choice(_CLOTHES), 10),
        long_hair=long_hair,
        bald=bald,
        beard=beard,
        lips=lips,
        smile=rng.choice(("closed", "closed", "open", "neutral")),
        mask_colour=mask_colour,
        loop_colour=loop_colour,
        frame=rng.choice(_GLASSES_FRAMES),
        hat_kind=hat_kind,
        hat_colour=_jitter(rng, rng.choice(_CLOTHES), 15),
        iris=rng.choice(((35, 22, 15), (55, 35, 20), (20, 15, 12), (70, 50, 30), (60, 80, 100))),
    )


def _ellipse_points(
    cx: float, cy: float, a: float, b: float, t0: float, t1: float, n: int = 24
) -> list[tuple[float, float]]:
    return [
        (cx + a * math.cos(t0 + (t1 - t0) * i / n), cy + b * math.sin(t0 + (t1 - t0) * i / n)) for i in range(n + 1)
    ]


def _draw_person(
    img: Image.Image, rng: random.Random, cx: float, cy: float, fw: float, s: SyntheticSubject, angle: str, facing: int
) -> _Look:
    """Draw one person whose head (width *fw*) is centred on (cx, cy).

    *facing* is +1 (towards the right of the image) or -1; used for the
    three-quarter and profile angles.
    """
    look = _make_look(rng, s)
    d = ImageDraw.Draw(img, "RGBA")
    child = s.age_band == "child"
    fh = fw * (1.2 if child else 1.32)
    lw = max(1, round(fw * 0.018))

    def box(u0: float, v0: float, u1: float, v1: float) -> list[float]:
        x0, x1 = cx + u0 * fw, cx + u1 * fw
        y0, y1 = cy + v0 * fh, cy + v1 * fh
        return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]

    def pt(u: float, v: float) -> tuple[float, float]:
        return (cx + u * fw, cy + v * fh)

    skin = look.skin
    shadow = _mul(skin, 0.8)
    dark = (18, 14, 12)

    # torso and neck
    sw = 1.05 if child else 1.3
    d.ellipse(box(-sw, 0.62, sw, 0.62 + 2.6), fill=look.clothes)
    d.rectangle(box(-sw, 0.62 + 1.3, sw, 40.0), fill=look.clothes)  # down to the frame edge
    if look.long_hair and not look.bald:
        d.rounded_rectangle(box(-0.62, -0.42, 0.62, 0.9 if not child else 0.7), radius=0.3 * fw, fill=look.hair)
    d.rectangle(box(-0.2, 0.3, 0.2, 0.72), fill=shadow)
    d.polygon([pt(-0.2, 0.62), pt(0.2, 0.62), pt(0.0, 0.85)], fill=shadow)
    d.pieslice(box(-0.22, 0.5, 0.22, 0.75), 0, 180, fill=_mul(skin, 0.72))

    if angle == "profile":
        _draw_profile_head(d, look, s, box, pt, fw, fh, facing, lw)
        return look

    # three-quarter: features shift towards the facing side, far eye narrower
    sh = 0.0 if angle == "frontal" else 0.1 * facing
    near_scale = {-1: 1.0, 1: 1.0}
    if angle == "three_quarter":
        near_scale = {facing: 1.05, -facing: 0.78}

    # ears
    for side in (-1, 1):
        if angle == "three_quarter" and side == facing:
            continue  # far ear hidden behind the cheek
        d.ellipse(box(side * 0.44 - 0.07, -0.13, side * 0.44 + 0.07 + side * 0.02, 0.1), fill=_mul(skin, 0.9))
    # head: nested ellipses give a soft gradient towards the key light
    # (three-quarter: the light side is the side the face turns to)
    light = facing * 0.6 if angle == "three_quarter" else rng.uniform(-0.5, 0.5)
    _shaded_ellipse(d, box, 0.0, 0.0, 0.5, 0.5, _mul(skin, 0.9), _mul(skin, 1.04), light, -0.25)

    # hair (top)
    if not look.bald:
        hair = look.hair
        d.chord(box(-0.55, -0.62, 0.55, 0.16), 180, 360, fill=hair)
        # fringe with a parting
        part = rng.uniform(-0.2, 0.2) + sh
        d.polygon(
            [
                pt(-0.5, -0.24),
                pt(part - 0.12, -0.3),
                pt(part, -0.34),
                pt(part + 0.12, -0.3),
                pt(0.5, -0.24),
                pt(0.5, -0.3),
                pt(-0.5, -0.3),
            ],
            fill=hair,
        )
        d.polygon([pt(-0.52, -0.26), pt(part - 0.05, -0.38), pt(part - 0.32, -0.21)], fill=hair)
        # tapered side locks following the head outline
        bottom = 0.32 if look.long_hair else -0.02
        for sd in (-1, 1):
            d.polygon(
                [
                    pt(sd * 0.5, -0.34),
                    pt(sd * 0.56, -0.1),
                    pt(sd * (0.55 if look.long_hair else 0.51), bottom),
                    pt(sd * 0.47, bottom),
                    pt(sd * 0.44, -0.22),
                    pt(sd * 0.36, -0.3),
                ],
                fill=hair,
            )
    else:
        for sd in (-1, 1):
            d.ellipse(box(sd * 0.47 - 0.06, -0.2, sd * 0.47 + 0.06, 0.02), fill=look.hair)
        d.arc(box(-0.35, -0.48, 0.35, -0.1), 200, 340, fill=(255, 255, 255, 40), width=lw)  # scalp shine

    eye_v = -0.05
    eye_u = 0.2
    eye_w = 0.2 if child else 0.175
    eye_h = 0.075 if child else 0.06
    # soft eye-socket shadow (eye region darker than cheeks), lighter nose bridge
    for k in (1.0, 0.85, 0.7):
        d.ellipse(box(-0.42 * k + sh, eye_v - 0.09 * k, 0.42 * k + sh, eye_v + 0.07 * k), fill=(50, 25, 15, 18))
    for k in (1.0, 0.7):
        d.ellipse(box(-0.05 * k + sh, eye_v - 0.07, 0.05 * k + sh, 0.12), fill=(255, 255, 255, 14))

    # eyebrows
    brow_v = eye_v - (0.12 if child else 0.1)
    bw = max(2, round(fw * (0.045 if s.gender == "male" else 0.038)))
    lift = rng.uniform(-0.015, 0.02)
    for sd in (-1, 1):
        k = near_scale[sd]
        u0 = sd * (eye_u - eye_w * 0.55 * k) + sh
        u1 = sd * (eye_u + eye_w * 0.6 * k) + sh
        um = sd * eye_u + sh
        d.line(
            [
                pt(u0 if sd < 0 else u1, brow_v + 0.02),
                pt(um, brow_v - 0.012 - lift),
                pt(u1 if sd < 0 else u0, brow_v + 0.008),
            ],
            fill=look.brows,
            width=bw,
            joint="curve",
        )

    # eyes
    for sd in (-1, 1):
        k = near_scale[sd]
        ex = sd * eye_u + sh
        hw, hh = eye_w / 2 * k, eye_h / 2
        d.ellipse(box(ex - hw, eye_v - hh, ex + hw, eye_v + hh), fill=_mix(skin, (240, 238, 234), 0.75))
        ir = eye_h * 0.62
        iu = ex + sh * 0.35
        d.ellipse(box(iu - ir * fh / fw, eye_v - ir, iu + ir * fh / fw, eye_v + ir), fill=look.iris)
        pr = ir * 0.5
        d.ellipse(box(iu - pr * fh / fw, eye_v - pr, iu + pr * fh / fw, eye_v + pr), fill=dark)
        hr = ir * 0.25
        d.ellipse(box(iu + 0.012 - hr, eye_v - 0.012 - hr, iu + 0.012 + hr, eye_v - 0.012 + hr), fill=(255, 255, 255))
        # upper lid / lashes
        d.arc(box(ex - hw, eye_v - hh, ex + hw, eye_v + hh), 190, 350, fill=dark, width=max(2, lw + 2))
        if s.age_band in ("50s", "60plus"):
            d.arc(box(ex - hw, eye_v - hh + 0.02, ex + hw, eye_v + hh + 0.03), 20, 160, fill=_mul(skin, 0.7), width=lw)
            d.line(
                [
                    pt(sd * (eye_u + eye_w * 0.55) + sh, eye_v - 0.01),
                    pt(sd * (eye_u + eye_w * 0.75) + sh, eye_v - 0.03),
                ],
                fill=_mul(skin, 0.72),
                width=lw,
            )

    if s.age_band == "60plus":
        for i in range(3):
            v = -0.3 + i * 0.04
            d.arc(box(-0.22 + sh, v, 0.22 + sh, v + 0.08), 200, 340, fill=_mul(skin, 0.75), width=lw)

    # lower face: beard, nose, mouth, cheeks (possibly covered by the mask)
    if look.beard:
        d.chord(box(-0.47 + sh * 0.5, -0.1, 0.47 + sh * 0.5, 0.5), 10, 170, fill=_rgba(look.hair, 110))
    nose_u = sh * 1.3
    d.line(
        [
            pt(nose_u + 0.03 * (1 if sh >= 0 else -1), -0.02),
            pt(nose_u + 0.06 * (1 if sh >= 0 else -1), 0.12),
            pt(nose_u, 0.15),
        ],
        fill=_mul(skin, 0.72),
        width=lw,
    )
    for sd in (-1, 1):
        d.ellipse(box(nose_u + sd * 0.05 - 0.022, 0.14, nose_u + sd * 0.05 + 0.022, 0.165), fill=_mul(skin, 0.55))
    mouth_v = 0.28
    mw = 0.15 if not child else 0.12
    mu = sh * 1.1
    if look.smile == "open":
        d.chord(box(mu - mw, mouth_v - 0.06, mu + mw, mouth_v + 0.07), 0, 180, fill=(120, 30, 40))
        d.rectangle(box(mu - mw * 0.8, mouth_v, mu + mw * 0.8, mouth_v + 0.02), fill=(245, 245, 240))
        d.arc(box(mu - mw, mouth_v - 0.06, mu + mw, mouth_v + 0.07), 0, 180, fill=look.lips, width=lw + 1)
    elif look.smile == "closed":
        d.arc(box(mu - mw, mouth_v - 0.07, mu + mw, mouth_v + 0.04), 20, 160, fill=look.lips, width=lw + 2)
    else:
        d.line([pt(mu - mw * 0.8, mouth_v), pt(mu + mw * 0.8, mouth_v)], fill=look.lips, width=lw + 2)
    d.ellipse(box(mu - 0.06, mouth_v + 0.04, mu + 0.06, mouth_v + 0.07), fill=_rgba(look.lips, 70))
    if s.gender != "male" or child:
        for sd in (-1, 1):
            d.ellipse(box(sd * 0.27 + sh - 0.08, 0.06, sd * 0.27 + sh + 0.08, 0.16), fill=(230, 100, 110, 38))

    if s.mask:
        _draw_mask(d, look, box, pt, fw, fh, cx, cy, sh, angle, facing, lw)
    if s.glasses:
        for sd in (-1, 1):
            k = near_scale[sd]
            ex = sd * eye_u + sh
            hw = eye_w * 0.72 * k
            d.rounded_rectangle(
                box(ex - hw, eye_v - 0.075, ex + hw, eye_v + 0.07),
                radius=0.04 * fw,
                fill=(200, 225, 255, 30),
                outline=look.frame,
                width=max(2, lw + 1),
            )
        d.line(
            [
                pt(-eye_u + eye_w * 0.72 * near_scale[-1] + sh, eye_v - 0.02),
                pt(eye_u - eye_w * 0.72 * near_scale[1] + sh, eye_v - 0.02),
            ],
            fill=look.frame,
            width=max(2, lw + 1),
        )
        for sd in (-1, 1):
            if angle == "three_quarter" and sd == facing:
                continue
            d.line(
                [pt(sd * (eye_u + eye_w * 0.72 * near_scale[sd]) + sh, eye_v - 0.04), pt(sd * 0.49, eye_v - 0.03)],
                fill=look.frame,
                width=max(2, lw),
            )
    if s.hat:
        _draw_hat(d, look, box, pt, fw, fh, lw)
    return look


def _shaded_ellipse(
    d,
    box,
    cu: float,
    cv: float,
    ru: float,
    rv: float,
    edge: Colour,
    centre: Colour,
    light_u: float,
    light_v: float,
    steps: int = 6,
) -> None:
    """Ellipse filled with a stepped radial gradient from *edge* to *centre*,
    the inner ellipses drifting towards (light_u, light_v) (in radii)."""
    for i in range(steps):
        t = i / steps
        k = 1.0 - 0.55 * t
        ou = cu + light_u * ru * (1 - k)
        ov = cv + light_v * rv * (1 - k)
        d.ellipse(box(ou - ru * k, ov - rv * k, ou + ru * k, ov + rv * k), fill=_mix(edge, centre, t))


def _draw_person_aa(
    canvas: Image.Image,
    rng: random.Random,
    cx: float,
    cy: float,
    fw: float,
    s: SyntheticSubject,
    angle: str,
    facing: int,
    factor: int = 2,
) -> _Look:
    """Draw a person supersampled *factor* times (anti-aliased edges).

    The canvas region around the person is upscaled (NEAREST), drawn on at the
    higher resolution and box-reduced back, so the background is unchanged.
    """
    cw, ch = canvas.size
    fh = fw * 1.32
    x0 = max(0, int(cx - 1.45 * fw))
    x1 = min(cw, int(cx + 1.45 * fw) + 2)
    y0 = max(0, int(cy - 0.9 * fh))
    y1 = ch
    if x1 - x0 < 2 or y1 - y0 < 2:
        return _draw_person(canvas, rng, cx, cy, fw, s, angle, facing)
    region = canvas.crop((x0, y0, x1, y1))
    big = region.resize(((x1 - x0) * factor, (y1 - y0) * factor), Image.Resampling.NEAREST)
    look = _draw_person(big, rng, (cx - x0) * factor, (cy - y0) * factor, fw * factor, s, angle, facing)
    canvas.paste(big.reduce(factor), (x0, y0))
    return look


def _draw_mask(
    d, look: _Look, box, pt, fw: float, fh: float, cx: float, cy: float, sh: float, angle: str, facing: int, lw: int
) -> None:
    colour = look.mask_colour
    v_top = 0.045
    a, b = 0.515, 0.52
    mcx = sh * 0.6
    t0 = math.asin(max(-1.0, min(1.0, v_top / b)))
    arc = _ellipse_points(mcx, 0.0, a, b, t0, math.pi - t0, 28)  # right side -> bottom -> left side
    top_edge = [
        (arc[-1][0], v_top),
        (mcx - 0.18, v_top - 0.01),
        (mcx + sh, v_top - 0.035),
        (mcx + 0.18, v_top - 0.01),
        (arc[0][0], v_top),
    ]
    poly = [pt(u, v) for u, v in arc] + [pt(u, v) for u, v in top_edge]
    d.polygon(poly, fill=colour)
    pleat = _mul(colour, 0.82) if sum(colour) > 200 else _mul((60, 60, 66), 1.0)
    v_bot = 0.46
    for k in (1, 2, 3):
        v = v_top + (v_bot - v_top) * k / 4.2
        half = a * math.sqrt(max(0.0, 1 - (v / b) ** 2)) * 0.92
        d.line([pt(mcx - half, v), pt(mcx + half, v + 0.01)], fill=pleat, width=max(1, lw))
    # nose wire and edge binding
    d.line(
        [pt(u, v) for u, v in top_edge[1:4]],
        fill=_mul(colour, 0.75) if sum(colour) > 200 else (80, 80, 86),
        width=max(2, lw + 1),
    )
    d.line([pt(u, v) for u, v in top_edge], fill=_mul(colour, 0.9), width=max(1, lw))
    # ear loops
    for sd in (-1, 1):
        if angle == "three_quarter" and sd == facing:
            continue
        edge_u = arc[0][0] if sd > 0 else arc[-1][0]
        ear = (sd * 0.47, -0.03)
        d.line([pt(edge_u, v_top + 0.01), pt(*ear)], fill=look.loop_colour, width=max(1, lw))
        d.line(
            [pt(sd * 0.38 + mcx, 0.35), pt(sd * 0.47, 0.06), pt(*ear)],
            fill=look.loop_colour,
            width=max(1, lw),
            joint="curve",
        )


def _draw_hat(d, look: _Look, box, pt, fw: float, fh: float, lw: int) -> None:
    c = look.hat_colour
    o = -0.05  # worn slightly high so the eyebrows and forehead stay visible

    def hb(u0: float, v0: float, u1: float, v1: float) -> list[float]:
        return box(u0, v0 + o, u1, v1 + o)

    if look.hat_kind == "cap":
        d.chord(hb(-0.54, -0.68, 0.54, 0.02), 180, 360, fill=c)
        d.chord(hb(-0.5, -0.42, 0.5, -0.24), 0, 180, fill=_mul(c, 0.7))
        d.ellipse(hb(-0.04, -0.7, 0.04, -0.64), fill=_mul(c, 0.8))
    elif look.hat_kind == "beanie":
        d.rounded_rectangle(hb(-0.54, -0.72, 0.54, -0.28), radius=0.35 * fw, fill=c)
        d.rectangle(hb(-0.55, -0.38, 0.55, -0.26), fill=_mul(c, 0.8))
        for i in range(9):
            u = -0.5 + i * 0.125
            d.line([pt(u, -0.38 + o), pt(u, -0.26 + o)], fill=_mul(c, 0.65), width=max(1, lw))
        d.ellipse(hb(-0.09, -0.8, 0.09, -0.66), fill=_mul(c, 1.15))
    else:  # sun hat
        d.ellipse(hb(-0.95, -0.45, 0.95, -0.28), fill=c)
        d.chord(hb(-0.44, -0.8, 0.44, -0.1), 180, 360, fill=_mul(c, 0.95))
        d.rectangle(hb(-0.44, -0.5, 0.44, -0.42), fill=_mul(c, 0.55))


def _draw_profile_head(
    d, look: _Look, s: SyntheticSubject, box, pt, fw: float, fh: float, facing: int, lw: int
) -> None:
    f = facing
    skin = look.skin
    dark = (18, 14, 12)
    # head
    _shaded_ellipse(d, box, 0.0, 0.0, 0.5, 0.5, _mul(skin, 0.9), _mul(skin, 1.04), f * 0.5, -0.25)
    # nose & chin protrusions on the facing side
    d.polygon([pt(f * 0.44, -0.1), pt(f * 0.6, 0.13), pt(f * 0.45, 0.17)], fill=_mul(skin, 0.96))
    d.ellipse(box(f * 0.2, 0.3, f * 0.45, 0.52), fill=_mul(skin, 0.93))
    d.line([pt(f * 0.44, -0.1), pt(f * 0.6, 0.13), pt(f * 0.45, 0.17)], fill=_mul(skin, 0.85), width=lw)
    # hair covers the back half
    if not look.bald:
        d.chord(box(-0.56, -0.6, 0.56, 0.2), 180, 360, fill=look.hair)
        d.pieslice(
            box(-0.56, -0.56, 0.56, 0.5 if look.long_hair else 0.2),
            90 if f > 0 else 270,
            270 if f > 0 else 90,
            fill=look.hair,
        )
    # ear
    d.ellipse(box(-f * 0.08 - 0.07, -0.12, -f * 0.08 + 0.07, 0.1), fill=_mul(skin, 0.9))
    d.arc(box(-f * 0.08 - 0.045, -0.09, -f * 0.08 + 0.045, 0.07), 0, 360, fill=_mul(skin, 0.7), width=lw)
    # eye, brow, mouth
    eu = f * 0.3
    d.line([pt(eu - 0.08, -0.16), pt(eu + f * 0.1, -0.17)], fill=look.brows, width=max(2, round(fw * 0.03)))
    d.polygon([pt(eu - f * 0.05, -0.05), pt(eu + f * 0.06, -0.08), pt(eu + f * 0.07, -0.03)], fill=(238, 236, 232))
    d.ellipse(box(eu + f * 0.02 - 0.022, -0.075, eu + f * 0.02 + 0.022, -0.035), fill=dark)
    d.line([pt(eu - f * 0.05, -0.05), pt(eu + f * 0.07, -0.085)], fill=dark, width=max(2, lw))
    d.line([pt(f * 0.34, 0.28), pt(f * 0.46, 0.27)], fill=look.lips, width=lw + 2)
    if s.mask:
        c = look.mask_colour
        d.polygon(
            [
                pt(-f * 0.02, 0.05),
                pt(f * 0.52, 0.02),
                pt(f * 0.64, 0.14),
                pt(f * 0.56, 0.4),
                pt(f * 0.3, 0.52),
                pt(-f * 0.0, 0.42),
            ],
            fill=c,
        )
        for v in (0.15, 0.25, 0.35):
            d.line(
                [pt(f * 0.02, v), pt(f * 0.56, v)],
                fill=_mul(c, 0.82) if sum(c) > 200 else (70, 70, 76),
                width=max(1, lw),
            )
        d.line([pt(-f * 0.0, 0.1), pt(-f * 0.08, -0.05)], fill=look.loop_colour, width=max(1, lw))
        d.line([pt(-f * 0.0, 0.38), pt(-f * 0.1, 0.08)], fill=look.loop_colour, width=max(1, lw))
    if s.glasses:
        d.rounded_rectangle(
            box(eu - 0.1, -0.12, eu + 0.1, 0.0),
            radius=0.03 * fw,
            fill=(200, 225, 255, 30),
            outline=look.frame,
            width=max(2, lw + 1),
        )
        d.line([pt(eu - f * 0.1, -0.07), pt(-f * 0.05, -0.05)], fill=look.frame, width=max(2, lw))
    if s.hat:
        _draw_hat(d, look, box, pt, fw, fh, lw)


# ---------------------------------------------------------------------------
# titles & tags
# ---------------------------------------------------------------------------

_AGE_TAG = {
    "child": "child",
    "teen": "teenager",
    "20s": "young adult",
    "30s": "adult",
    "40s": "adult",
    "50s": "middle-aged",
    "60plus": "senior",
}
_GENDER_TAG = {"female": "woman", "male": "man", "nonbinary": "nonbinary"}
_ANGLE_TAG = {"frontal": "frontal", "three_quarter": "three-quarter view", "profile": "profile"}
_SETTING_EN = {
    "studio": "in a studio",
    "office": "in an office",
    "street": "on a city street",
    "park": "in a park",
    "home": "at home",
}
_SETTING_JA = {
    "studio": "スタジオで",
    "office": "オフィスで",
    "street": "街角で",
    "park": "公園で",
    "home": "自宅で",
}


def _person_en(s: SyntheticSubject) -> str:
    if s.age_band == "child":
        return {"female": "girl", "male": "boy", "nonbinary": "child"}[s.gender]
    noun = {"female": "woman", "male": "man", "nonbinary": "person"}[s.gender]
    if s.age_band == "teen":
        return {"female": "teenage girl", "male": "teenage boy", "nonbinary": "teenager"}[s.gender]
    if s.age_band == "60plus":
        return f"senior {noun}"
    pron = {"female": "her", "male": "his", "nonbinary": "their"}[s.gender]
    return f"{noun} in {pron} {s.age_band}"


def _person_ja(s: SyntheticSubject) -> str:
    if s.age_band == "child":
        return {"female": "女の子", "male": "男の子", "nonbinary": "子ども"}[s.gender]
    noun = {"female": "女性", "male": "男性", "nonbinary": "人物"}[s.gender]
    if s.age_band == "teen":
        return f"10代の{noun}"
    if s.age_band == "60plus":
        return f"シニア{noun}"
    return f"{s.age_band[:2]}代の{noun}"


def _accessories(s: SyntheticSubject) -> tuple[str, str]:
    en = []
    te = []
    final = []
    if s.mask:
        en.append("a face mask")
        te.append("マスクを着け")
        final.append("マスクを着けた")
    if s.glasses:
        en.append("glasses")
        te.append("眼鏡をかけ")
        final.append("眼鏡をかけた")
    if s.hat:
        en.append("a hat")
        te.append("帽子をかぶり")
        final.append("帽子をかぶった")
    if not en:
        return "", ""
    en_text = en[0] if len(en) == 1 else ", ".join(en[:-1]) + " and " + en[-1]
    ja_text = "、".join([*te[:-1], final[-1]])
    return f" wearing {en_text}", ja_text


def _titles(
    kind: str, subjects: tuple[SyntheticSubject, ...], setting: str, lighting: str, angle: str, scene_tags: list[str]
) -> tuple[str, str]:
    night_en = " at night" if lighting == "night" else ""
    night_ja = "夜の" if lighting == "night" else ""
    if kind == "portrait":
        s = subjects[0]
        person = _person_en(s)
        acc_en, acc_ja = _accessories(s)
        view = " (profile)" if angle == "profile" else ""
        title = f"{person[0].upper()}{person[1:]}{acc_en} {_SETTING_EN[setting]}{night_en}{view}"
        suffix = "の横顔" if angle == "profile" else "のポートレート"
        title_ja = f"{night_ja}{_SETTING_JA[setting]}{acc_ja}{_person_ja(s)}{suffix}"
        return title, title_ja
    if kind == "group":
        n = len(subjects)
        masked = sum(1 for s in subjects if s.mask)
        if masked == n:
            m_en, m_ja = ", all wearing face masks", "（全員マスク着用）"
        elif masked:
            m_en = f", {masked} wearing {'a face mask' if masked == 1 else 'face masks'}"
            m_ja = f"（うち{masked}人がマスク着用）"
        else:
            m_en, m_ja = "", ""
        title = f"Group of {n} people {_SETTING_EN[setting]}{night_en}{m_en}"
        title_ja = f"{night_ja}{_SETTING_JA[setting]}集まった{n}人のグループ{m_ja}"
        return title, title_ja
    # scenes
    mood_en = " at sunset" if "sunset" in scene_tags else night_en if lighting == "night" else ""
    if setting == "city":
        if lighting == "night":
            return "City skyline at night", "都市の夜景"
        if "sunset" in scene_tags:
            return "City skyline at sunset", "夕焼けの都市の風景"
        return "City skyline by the water", "水辺から見た都市の風景"
    if setting == "field":
        ja = (
            "夕焼けの田園風景"
            if "sunset" in scene_tags
            else "夜の田園風景"
            if lighting == "night"
            else "日中の田園風景"
        )
        return f"Rice fields and hills{mood_en}", ja
    if setting == "mountain":
        peak = "Snow-capped mountain" if "snow" in scene_tags else "Mountain ranges"
        peak_ja = "雪をかぶった山" if "snow" in scene_tags else "連なる山々"
        ja_mood = "夕焼けの" if "sunset" in scene_tags else "夜の" if lighting == "night" else ""
        return f"{peak}{mood_en}", f"{ja_mood}{peak_ja}の風景"
    ja_mood = "夕焼けの" if "sunset" in scene_tags else "夜の" if lighting == "night" else ""
    return f"Beach and calm sea{mood_en}", f"{ja_mood}海辺の風景"


def _tags(
    kind: str, subjects: tuple[SyntheticSubject, ...], setting: str, lighting: str, angle: str, extra: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tags: list[str] = []
    if kind == "scene":
        tags += ["scenery", setting]
    else:
        tags += ["face", "person" if kind == "portrait" else "people"]
        tags.append("portrait" if kind == "portrait" else "group")
        if any(s.mask for s in subjects):
            tags.append("mask")
        if any(s.glasses for s in subjects):
            tags.append("glasses")
        if any(s.hat for s in subjects):
            tags.append("hat")
        for s in subjects:
            tags.append(_GENDER_TAG[s.gender])
            tags.append(_AGE_TAG[s.age_band])
        tags.append(_ANGLE_TAG[angle])
        tags.append(setting)
    tags += extra
    tags.append(lighting)
    tags.append("japan")
    unique: list[str] = []
    for t in tags:
        if t not in unique:
            unique.append(t)
    return tuple(unique), tuple(TAGS_JA[t] for t in unique)


# ---------------------------------------------------------------------------
# rendering pipeline
# ---------------------------------------------------------------------------


def _face_box(
    cx: float,
    cy: float,
    fw: float,
    s: SyntheticSubject,
    angle: str,
    facing: int,
    sx: float,
    sy: float,
    width: int,
    height: int,
) -> tuple[int, int, int, int]:
    fh = fw * (1.2 if s.age_band == "child" else 1.32)
    left, right = cx - 0.5 * fw, cx + 0.5 * fw
    if angle == "profile":
        if facing > 0:
            right = cx + 0.6 * fw
        else:
            left = cx - 0.6 * fw
    box = (round(left * sx), round((cy - 0.5 * fh) * sy), round(right * sx), round((cy + 0.5 * fh) * sy))
    return (max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3]))


def _mask_box(
    cx: float,
    cy: float,
    fw: float,
    s: SyntheticSubject,
    angle: str,
    facing: int,
    sx: float,
    sy: float,
    face: tuple[int, int, int, int],
) -> tuple[int, int, int, int] | None:
    """The pixel box of the mask :func:`_draw_mask` (or the profile head) draws, cut to the face box."""
    if not s.mask:
        return None
    fh = fw * (1.2 if s.age_band == "child" else 1.32)
    if angle == "profile":
        u0, u1 = sorted((-0.02 * facing, 0.64 * facing))
        v0, v1 = 0.02, 0.52
    else:
        sh = 0.0 if angle == "frontal" else 0.1 * facing
        half = 0.515 * math.cos(math.asin(0.045 / 0.52))
        u0, u1 = sh * 0.6 - half, sh * 0.6 + half
        v0, v1 = 0.01, 0.52
    box = (
        max(face[0], round((cx + u0 * fw) * sx)),
        max(face[1], round((cy + v0 * fh) * sy)),
        min(face[2], round((cx + u1 * fw) * sx)),
        min(face[3], round((cy + v1 * fh) * sy)),
    )
    return box if box[2] > box[0] and box[3] > box[1] else None


def _light_falloff(img: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """Soft low-frequency light patch (sun glare / window light) or shadow at a
    random place: gives every picture its own large-scale brightness layout."""
    w, h = img.size
    sw, sh = 48, max(2, round(48 * h / w))
    cx, cy = rng.uniform(-0.2, 1.2), rng.uniform(-0.2, 1.0)
    radius = rng.uniform(0.35, 0.9)
    ys = np.linspace(0, 1, sh)[:, None] * (h / max(w, h))
    xs = np.linspace(0, 1, sw)[None, :] * (w / max(w, h))
    dist = np.sqrt((xs - cx * w / max(w, h)) ** 2 + (ys - cy * h / max(w, h)) ** 2)
    alpha = (np.clip(1.0 - dist / radius, 0.0, 1.0) ** 2 * strength * 255).astype(np.uint8)
    mask = Image.fromarray(alpha, "L").resize((w, h), Image.Resampling.BILINEAR)
    colour = rng.choice(((255, 248, 225), (255, 236, 200), (255, 255, 255), (10, 10, 20)))
    return Image.composite(Image.new("RGB", (w, h), colour), img, mask)


def _defocus(img: Image.Image, factor: int) -> Image.Image:
    """Cheap depth-of-field blur: box-reduce then bilinear upscale."""
    if min(img.size) < factor * 8:
        return img
    return img.reduce(factor).resize(img.size, Image.Resampling.BILINEAR)


def _choose_size(rng: random.Random, kind: str, width: int | None, height: int | None) -> tuple[int, int]:
    for name, v in (("width", width), ("height", height)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 16):
            raise ValueError(f"{name} must be an int >= 16, got {v!r}")
    ratio = rng.choice(((3, 2), (3, 2), (4, 3), (16, 9), (5, 4), (1, 1)))
    vertical_p = {"portrait": 0.55, "group": 0.15, "scene": 0.2}[kind]
    vertical = rng.random() < vertical_p
    long_side = rng.randint(*DEFAULT_LONG_SIDE_RANGE)
    if width is not None and height is not None:
        return width, height
    a, b = ratio  # a >= b
    if width is not None:
        return width, max(16, round(width * (a / b if vertical else b / a)))
    if height is not None:
        return max(16, round(height * (b / a if vertical else a / b))), height
    short = round(long_side * b / a)
    return (short, long_side) if vertical else (long_side, short)


def _grade(img: Image.Image, rng: random.Random, lighting: str) -> Image.Image:
    """Colour grade (per-channel LUT) + vignette at canvas resolution."""
    w, h = img.size
    gains = {
        "daylight": (1.03, 1.01, 0.97),
        "indoor": (1.07, 0.99, 0.86),
        "night": (0.82, 0.86, 1.0),
        "studio": (1.0, 1.0, 1.0),
    }[lighting]
    bright = {"daylight": 1.02, "indoor": 0.94, "night": 0.78, "studio": 1.0}[lighting] * rng.uniform(0.88, 1.1)
    contrast = 1.06 if lighting == "studio" else 1.0
    lut: list[int] = []
    for g in gains:
        lut += [_clamp(((i * g * bright) - 128.0) * contrast + 128.5) for i in range(256)]
    img = img.point(lut)
    # vignette: multiplicative radial falloff computed small, upscaled
    strength = rng.uniform(0.12, 0.32)
    sw, sh = 48, max(2, round(48 * h / w))
    ys = np.linspace(-1, 1, sh)[:, None]
    xs = np.linspace(-1, 1, sw)[None, :]
    vig = (255.0 * (1.0 - strength * (xs * xs + ys * ys) / 2.0)).clip(0, 255).astype(np.uint8)
    v = Image.fromarray(vig, "L").resize((w, h), Image.Resampling.BILINEAR)
    return ImageChops.multiply(img, Image.merge("RGB", (v, v, v)))


_NOISE_LUTS: dict[int, list[int]] = {}


def _noise_lut(sigma10: int) -> list[int]:
    lut = _NOISE_LUTS.get(sigma10)
    if lut is None:
        from statistics import NormalDist

        nd = NormalDist(0.0, sigma10 / 10.0)
        lut = [max(0, min(255, 128 + round(nd.inv_cdf((i + 0.5) / 256)))) for i in range(256)]
        _NOISE_LUTS[sigma10] = lut
    return lut


def _add_grain(img: Image.Image, nprng: np.random.Generator, sigma10: int) -> Image.Image:
    """Add gaussian luma grain (sigma = sigma10/10) at full resolution."""
    w, h = img.size
    noise = Image.frombytes("L", (w, h), nprng.bytes(w * h)).point(_noise_lut(sigma10))
    return ImageChops.add(img, Image.merge("RGB", (noise, noise, noise)), 1.0, -128)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Decimal degrees -> EXIF (deg, min, sec) rationals, seconds to 1/100."""
    hundredths = round(abs(value) * 360_000)  # 1/100 arc-second units
    deg, rem = divmod(hundredths, 360_000)
    minutes, sec100 = divmod(rem, 6_000)
    return (IFDRational(deg, 1), IFDRational(minutes, 1), IFDRational(sec100, 100))


def _exif(rng: random.Random, seed: int, gps: bool, size: tuple[int, int], lighting: str) -> tuple[Image.Exif, dict]:
    make, model = rng.choice(_CAMERAS)
    artist = rng.choice(_ARTISTS)
    # deterministic timestamp between 2019-01-01 and 2024-12-31
    day = rng.randrange(0, 6 * 365)
    year = 2019 + day // 365
    doy = day % 365
    month_days = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    month = 1
    for md in month_days:
        if doy < md:
            break
        doy -= md
        month += 1
    hour = rng.randint(18, 23) if lighting == "night" else rng.randint(7, 17)
    stamp = f"{year:04d}:{month:02d}:{doy + 1:02d} {hour:02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    place = rng.choice(PLACES)
    lat = place[2] + rng.uniform(-0.04, 0.04)
    lon = place[3] + rng.uniform(-0.05, 0.05)

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model
    exif[ExifTags.Base.Artist] = artist
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.Base.Software] = "Stockdata synthetic generator"
    exif[ExifTags.Base.ImageDescription] = f"Synthetic image (seed {seed})"
    exif[ExifTags.Base.DateTime] = stamp
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = stamp
    exif_ifd[ExifTags.Base.DateTimeDigitized] = stamp
    exif_ifd[ExifTags.Base.ExifImageWidth] = size[0]
    exif_ifd[ExifTags.Base.ExifImageHeight] = size[1]
    location = None
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps_ifd[ExifTags.GPS.GPSLatitude] = _dms(lat)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps_ifd[ExifTags.GPS.GPSLongitude] = _dms(lon)
        gps_ifd[ExifTags.GPS.GPSMapDatum] = "WGS-84"
        # report the value actually stored (rounded to 1/100 arc-second)
        location = (_from_dms(_dms(lat)), _from_dms(_dms(lon)))
    meta = {
        "place": place[0],
        "place_ja": place[1],
        "location": location,
        "taken_at": stamp,
        "camera_make": make,
        "camera_model": model,
    }
    return exif, meta


def _from_dms(dms: tuple[IFDRational, IFDRational, IFDRational]) -> float:
    total = (
        Fraction(dms[0].numerator, dms[0].denominator)
        + Fraction(dms[1].numerator, dms[1].denominator) / 60
        + Fraction(dms[2].numerator, dms[2].denominator) / 3600
    )
    return round(float(total), 6)


def make_photo(
    seed: int,
    *,
    kind: str | None = None,
    width: int | None = None,
    height: int | None = None,
    mask: bool | None = None,
    gps: bool = True,
    quality: int = 88,
) -> SyntheticPhoto:
    """Generate one deterministic synthetic photo.

    * *seed* -- any int; same arguments -> same bytes.
    * *kind* -- ``"portrait"``, ``"group"`` or ``"scene"``; random when None
      (portrait 50 %, group 25 %, scene 25 %; only portrait/group when
      ``mask=True``).
    * *width*/*height* -- force the pixel size; if only one is given the other
      follows a random aspect ratio; by default the long side is random in
      1,600..3,000 px with landscape or portrait orientation.
    * *mask* -- None: each person wears a mask with probability 0.35;
      True: everybody is masked; False: nobody is.  ``mask=True`` with
      ``kind="scene"`` raises ``ValueError``.
    * *gps* -- write the GPS IFD (a place in Japan) into the EXIF.
    * *quality* -- JPEG quality (1..95).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if mask is True and kind == "scene":
        raise ValueError("mask=True is impossible for a scene (no people)")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be within 1..100, got {quality!r}")

    rng = random.Random(seed)
    if kind is None:
        kind = rng.choices(KINDS, weights=(2, 1, 0) if mask is True else (2, 1, 1))[0]
    width, height = _choose_size(rng, kind, width, height)

    scale = min(1.0, DRAW_LONG_SIDE / max(width, height))
    cw, ch = max(16, round(width * scale)), max(16, round(height * scale))

    subjects: tuple[SyntheticSubject, ...] = ()
    face_boxes: list[tuple[int, int, int, int]] = []
    mask_boxes: list[tuple[int, int, int, int] | None] = []
    extra_tags: list[str]
    if kind == "scene":
        setting = rng.choice(SCENE_SETTINGS)
        lighting = rng.choices(("daylight", "night"), weights=(3, 1) if setting in ("city", "beach") else (5, 1))[0]
        angle = "frontal"
        canvas, extra_tags = _SCENES[setting](rng, (cw, ch), lighting)
    else:
        setting = rng.choice(PEOPLE_SETTINGS)
        lighting = {
            "studio": ("studio",),
            "office": ("indoor", "indoor", "daylight", "night"),
            "street": ("daylight", "daylight", "night"),
            "park": ("daylight", "daylight", "daylight", "night"),
            "home": ("indoor", "indoor", "daylight", "night"),
        }[setting]
        lighting = rng.choice(lighting)
        angle = rng.choices(ANGLES, weights=(70, 20, 10))[0]
        canvas, extra_tags = _PEOPLE_BACKGROUNDS[setting](rng, (cw, ch), lighting)
        canvas = _defocus(canvas, rng.choice((2, 3, 4)))
        facing = rng.choice((-1, 1))
        if kind == "portrait":
            subjects = (_make_subject(rng, mask),)
            short = min(cw, ch)
            fw = short * rng.uniform(0.3, 0.4)
            fh = fw * 1.32
            cx = cw * rng.uniform(0.38, 0.62)
            cy = max(fh * 0.85, ch * rng.uniform(0.36, 0.46))
            looks = [(subjects[0], _draw_person_aa(canvas, rng, cx, cy, fw, subjects[0], angle, facing))]
            face_boxes = [_face_box(cx, cy, fw, subjects[0], angle, facing, width / cw, height / ch, width, height)]
            mask_boxes = [_mask_box(cx, cy, fw, subjects[0], angle, facing, width / cw, height / ch, face_boxes[0])]
        else:
            n = rng.randint(2, 5)
            subjects = tuple(_make_subject(rng, mask) for _ in range(n))
            slot = cw / n
            base_fw = min(slot * rng.uniform(0.45, 0.55), ch * 0.28)
            placements = []
            for i, s in enumerate(subjects):
                depth = rng.uniform(0.85, 1.1) * (0.82 if s.age_band == "child" else 1.0)
                fw = base_fw * depth
                cx = slot * (i + 0.5) + rng.uniform(-0.08, 0.08) * slot
                row_y = rng.uniform(0.4, 0.5) if cw >= ch else rng.uniform(0.5, 0.6)
                cy = max(fw * 1.1, ch * row_y + (1.0 - depth) * fw * 1.5)
                placements.append((fw, cx, cy, s))
            face_boxes = [
                _face_box(cx, cy, fw, s, angle, facing, width / cw, height / ch, width, height)
                for fw, cx, cy, s in placements
            ]
            mask_boxes = [
                _mask_box(cx, cy, fw, s, angle, facing, width / cw, height / ch, face)
                for (fw, cx, cy, s), face in zip(placements, face_boxes, strict=True)
            ]
            looks = []
            for fw, cx, cy, s in sorted(placements, key=lambda p: p[0]):  # far (small) first
                looks.append((s, _draw_person_aa(canvas, rng, cx, cy, fw, s, angle, facing)))
        if any(not s.mask and look.smile != "neutral" for s, look in looks) and angle != "profile":
            extra_tags.append("smile")

    canvas = _light_falloff(canvas, rng, rng.uniform(0.25, 0.6) if kind == "scene" else rng.uniform(0.1, 0.35))
    canvas = _grade(canvas, rng, lighting)
    grain_sigma10 = rng.randint(22, 45) + (15 if lighting == "night" else 0)
    exif, meta = _exif(rng, seed, gps, (width, height), lighting)
    nprng = np.random.default_rng(rng.getrandbits(64))

    img = canvas.resize((width, height), Image.Resampling.BILINEAR) if (cw, ch) != (width, height) else canvas
    img = _add_grain(img, nprng, grain_sigma10)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=exif)

    tags, tags_ja = _tags(kind, subjects, setting, lighting, angle, extra_tags)
    title, title_ja = _titles(kind, subjects, setting, lighting, angle, extra_tags)
    return SyntheticPhoto(
        data=buf.getvalue(),
        kind=kind,
        width=width,
        height=height,
        subjects=subjects,
        lighting=lighting,
        angle=angle,
        tags=tags,
        tags_ja=tags_ja,
        title=title,
        title_ja=title_ja,
        seed=seed,
        setting=setting,
        face_boxes=tuple(face_boxes),
        mask_boxes=tuple(mask_boxes),
        **meta,
    )


def make_batch(n: int, *, seed: int = 0, **kw) -> Iterator[SyntheticPhoto]:
    """Yield *n* photos; photo ``i`` uses seed ``seed * 100_003 + i``.

    Lazily generated (an iterator), deterministic, and the per-photo seed is
    recorded in ``SyntheticPhoto.seed`` so any item can be regenerated alone
    with ``make_photo(photo.seed, **kw)``.  *kw* is passed to
    :func:`make_photo` (kind, width, height, mask, gps, quality).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    for i in range(n):
        yield make_photo(seed * 100_003 + i, **kw)
