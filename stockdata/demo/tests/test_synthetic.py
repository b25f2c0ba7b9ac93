"""Tests for catalog.synthetic -- pure Pillow/numpy, no database, no Django settings."""

from __future__ import annotations

import ast
import inspect
import io
import itertools
import random

import numpy as np
import pytest
from PIL import ExifTags, Image

from stockdata.demo import synthetic
from stockdata.demo.synthetic import (
    AGE_BANDS,
    ANGLES,
    GENDERS,
    LIGHTINGS,
    TAGS_JA,
    SyntheticPhoto,
    make_batch,
    make_photo,
)

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
SMALL = {"width": 640, "height": 480}


def _open(photo: SyntheticPhoto) -> Image.Image:
    img = Image.open(io.BytesIO(photo.data))
    img.load()
    return img


def _grey(photo: SyntheticPhoto, size: int = 32) -> np.ndarray:
    img = Image.open(io.BytesIO(photo.data))
    img.draft("L", (size * 4, size * 4))
    return np.asarray(img.convert("L").resize((size, size), Image.Resampling.BOX), dtype=np.float32)


# --------------------------------------------------------------------------
# determinism & randomness hygiene
# --------------------------------------------------------------------------


def test_same_seed_same_bytes():
    a = make_photo(1234, **SMALL)
    b = make_photo(1234, **SMALL)
    assert a.data == b.data
    assert a == b


def test_same_seed_same_bytes_default_size():
    assert make_photo(77).data == make_photo(77).data


def test_does_not_touch_global_random():
    random.seed(99)
    state = random.getstate()
    make_photo(5, **SMALL)
    assert random.getstate() == state


def test_module_imports_no_django():
    tree = ast.parse(inspect.getsource(synthetic))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    assert "django" not in names


# --------------------------------------------------------------------------
# JPEG, sizes
# --------------------------------------------------------------------------


def test_decodes_as_jpeg_with_declared_size():
    photo = make_photo(3)
    img = Image.open(io.BytesIO(photo.data))
    assert img.format == "JPEG"
    img.verify()
    img = _open(photo)
    assert img.mode == "RGB"
    assert img.size == (photo.width, photo.height)


@pytest.mark.parametrize(("width", "height"), [(2400, 1600), (1600, 2400), (2000, 2000), (333, 217)])
def test_forced_size_is_honoured(width, height):
    photo = make_photo(11, width=width, height=height)
    assert (photo.width, photo.height) == (width, height)
    assert _open(photo).size == (width, height)


def test_single_forced_dimension():
    photo = make_photo(12, width=1800)
    assert photo.width == 1800
    assert _open(photo).size == (1800, photo.height)
    photo = make_photo(13, height=1700)
    assert photo.height == 1700
    assert _open(photo).size == (photo.width, 1700)


def test_default_sizes_long_side_range_and_orientations():
    orientations = set()
    for seed in range(24):
        photo = make_photo(seed, kind="portrait" if seed % 2 else "scene", quality=40)
        assert 1600 <= max(photo.width, photo.height) <= 3000
        orientations.add(photo.orientation)
    assert {"landscape", "portrait"} <= orientations


def test_invalid_arguments():
    with pytest.raises(ValueError):
        make_photo(1, kind="selfie")
    with pytest.raises(ValueError):
        make_photo(1, kind="scene", mask=True)
    with pytest.raises(ValueError):
        make_photo(1, width=0)
    with pytest.raises(TypeError):
        make_photo(1.5)


# --------------------------------------------------------------------------
# subjects, masks, tags
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_portrait_has_one_subject(seed):
    photo = make_photo(seed, kind="portrait", **SMALL)
    assert photo.kind == "portrait"
    assert len(photo.subjects) == 1
    assert len(photo.face_boxes) == 1
    assert "face" in photo.tags and "顔" in photo.tags_ja


@pytest.mark.parametrize("seed", range(6))
def test_scene_has_no_subjects(seed):
    photo = make_photo(seed, kind="scene", **SMALL)
    assert photo.kind == "scene"
    assert photo.subjects == ()
    assert photo.face_boxes == ()
    assert "face" not in photo.tags
    assert "mask" not in photo.tags


@pytest.mark.parametrize("seed", range(6))
def test_group_has_two_to_five_subjects(seed):
    photo = make_photo(seed, kind="group", **SMALL)
    assert 2 <= len(photo.subjects) <= 5
    assert len(photo.face_boxes) == len(photo.subjects)


def test_field_values_are_from_the_vocabularies():
    for photo in make_batch(20, seed=4, width=320, height=240):
        assert photo.kind in ("portrait", "group", "scene")
        assert photo.lighting in LIGHTINGS
        assert photo.angle in ANGLES
        for s in photo.subjects:
            assert s.age_band in AGE_BANDS
            assert s.gender in GENDERS
        for x0, y0, x1, y1 in photo.face_boxes:
            assert 0 <= x0 < x1 <= photo.width and 0 <= y0 < y1 <= photo.height
        assert len(photo.tags) == len(photo.tags_ja) == len(set(photo.tags))
        assert all(TAGS_JA[t] == ja for t, ja in zip(photo.tags, photo.tags_ja, strict=True))
        assert photo.title and photo.title_ja


@pytest.mark.parametrize("kind", ["portrait", "group"])
def test_mask_forced_on_and_off(kind):
    for seed in range(4):
        on = make_photo(seed, kind=kind, mask=True, **SMALL)
        assert on.subjects and all(s.mask for s in on.subjects)
        assert "mask" in on.tags and "マスク" in on.tags_ja
        off = make_photo(seed, kind=kind, mask=False, **SMALL)
        assert not any(s.mask for s in off.subjects)
        assert "mask" not in off.tags and "マスク" not in off.tags_ja


def test_mask_random_flags_consistent_with_tags_and_titles():
    seen = set()
    for photo in make_batch(40, seed=9, width=320, height=240):
        masked = any(s.mask for s in photo.subjects)
        seen.add(masked)
        assert ("mask" in photo.tags) == masked
        assert ("マスク" in photo.tags_ja) == masked
        assert ("mask" in photo.title) == masked
        assert ("マスク" in photo.title_ja) == masked
        assert ("glasses" in photo.tags) == any(s.glasses for s in photo.subjects)
        assert ("hat" in photo.tags) == any(s.hat for s in photo.subjects)
    assert seen == {True, False}


def test_mask_is_actually_drawn_on_the_lower_face():
    # With mask forced, the random stream is identical, so the two pictures
    # differ only where the mask is drawn: the lower half of the face box.
    on = make_photo(21, kind="portrait", mask=True, width=1200, height=1600, quality=95)
    off = make_photo(21, kind="portrait", mask=False, width=1200, height=1600, quality=95)
    assert on.face_boxes == off.face_boxes
    a = np.asarray(_open(on).convert("L"), dtype=np.int16)
    b = np.asarray(_open(off).convert("L"), dtype=np.int16)
    diff = np.abs(a - b)
    x0, y0, x1, y1 = on.face_boxes[0]
    mid = (y0 + y1) // 2
    lower_face = diff[mid:y1, x0:x1]
    assert lower_face.mean() > 8
    margin = (x1 - x0) // 4
    outside = np.ones_like(diff, dtype=bool)
    outside[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin] = False
    assert diff[outside].mean() < 0.5


# --------------------------------------------------------------------------
# EXIF / GPS
# --------------------------------------------------------------------------


def _dms_to_deg(dms) -> float:
    d, m, s = (float(x) for x in dms)
    return d + m / 60 + s / 3600


def test_exif_basics_and_gps_present():
    photo = make_photo(8, gps=True, **SMALL)
    exif = _open(photo).getexif()
    assert exif[ExifTags.Base.Make]
    assert exif[ExifTags.Base.Model]
    assert exif[ExifTags.Base.Artist]
    assert exif[ExifTags.Base.Orientation] == 1
    assert exif.get_ifd(EXIF_IFD)[ExifTags.Base.DateTimeOriginal] == photo.taken_at
    assert GPS_IFD in exif
    gps = exif.get_ifd(GPS_IFD)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert gps[ExifTags.GPS.GPSLongitudeRef] == "E"
    lat = _dms_to_deg(gps[ExifTags.GPS.GPSLatitude])
    lon = _dms_to_deg(gps[ExifTags.GPS.GPSLongitude])
    assert 24 < lat < 46 and 122 < lon < 146  # Japan
    assert photo.location is not None
    assert abs(lat - photo.location[0]) < 1e-5 and abs(lon - photo.location[1]) < 1e-5


def test_gps_absent_when_disabled():
    photo = make_photo(8, gps=False, **SMALL)
    exif = _open(photo).getexif()
    assert GPS_IFD not in exif
    assert not exif.get_ifd(GPS_IFD)
    assert photo.location is None
    assert exif[ExifTags.Base.Make]  # the rest of the EXIF is still there


def test_gps_jitters_with_seed():
    locations = {make_photo(seed, width=64, height=48).location for seed in range(6)}
    assert len(locations) == 6


# --------------------------------------------------------------------------
# variety
# --------------------------------------------------------------------------


def test_different_seeds_differ_strongly():
    seeds = range(10)
    greys = [_grey(make_photo(seed, width=960, height=640)) for seed in seeds]
    diffs = [float(np.abs(greys[i] - greys[j]).mean()) for i, j in itertools.combinations(range(len(greys)), 2)]
    assert min(diffs) > 12  # mean absolute difference of 32x32 greyscale, 0..255
    assert sorted(diffs)[len(diffs) // 2] > 30


def test_consecutive_portraits_differ_strongly():
    a, b = (_grey(make_photo(seed, kind="portrait", width=960, height=1280)) for seed in (100, 101))
    assert float(np.abs(a - b).mean()) > 20


def test_images_are_not_flat():
    # grain + shading: even a studio backdrop has pixel-level variation
    img = np.asarray(_open(make_photo(2, kind="portrait", width=1200, height=1600)).convert("L"), dtype=np.int16)
    patch = img[:100, :100]
    assert patch.std() > 1.0
    assert len(np.unique(img)) > 64


# --------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------


def test_make_batch_is_lazy_deterministic_and_forwards_kwargs():
    batch = make_batch(4, seed=3, kind="portrait", width=200, height=300, gps=False)
    assert iter(batch) is batch
    photos = list(batch)
    again = list(make_batch(4, seed=3, kind="portrait", width=200, height=300, gps=False))
    assert [p.data for p in photos] == [p.data for p in again]
    assert len({p.seed for p in photos}) == 4
    assert all(p.kind == "portrait" and (p.width, p.height) == (200, 300) and p.location is None for p in photos)
    # any item can be regenerated on its own from its recorded seed
    assert make_photo(photos[2].seed, kind="portrait", width=200, height=300, gps=False).data == photos[2].data
    assert list(make_batch(0)) == []
    with pytest.raises(ValueError):
        list(make_batch(-1))
