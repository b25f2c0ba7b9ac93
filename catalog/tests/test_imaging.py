"""Tests for catalog.imaging: no database, no Django settings.

Every bad file is built here, in memory, from Pillow and raw bytes, so the
corpus documents exactly what each refusal means.  Test photos are
"photo-like" (shapes, blur, noise, fixed seed): flat images would make the
perceptual hash meaningless.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFilter, PngImagePlugin

from catalog import imaging
from catalog.imaging import (
    NEAR_DUPLICATE_MAX_DISTANCE,
    REJECTION_CODES,
    ImageRejected,
    make_derivatives,
    perceptual_hash,
    phash_distance,
    probe,
    process,
    strip_personal_metadata,
)

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
MAKE, MODEL, ARTIST = 0x010F, 0x0110, 0x013B
DATETIME_ORIGINAL = 0x9003


# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A deterministic photo-like RGB image: blurred shapes plus sensor noise."""
    rng = np.random.default_rng(seed)
    sw, sh = max(16, width // 8), max(16, height // 8)
    small = Image.new("RGB", (sw, sh), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(small)
    for _ in range(30):
        x, y = int(rng.integers(0, sw)), int(rng.integers(0, sh))
        r = int(rng.integers(sw // 20 + 1, sw // 4 + 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        else:
            draw.rectangle([x - r, y - r // 2, x + r, y + r // 2], fill=colour)
    small = small.filter(ImageFilter.GaussianBlur(1))
    big = np.asarray(small.resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    big = big + rng.integers(-8, 9, size=(height, width, 1), dtype=np.int16)
    return Image.fromarray(np.clip(big, 0, 255).astype(np.uint8))


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def personal_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "Canon"
    exif[MODEL] = "Canon EOS R5 SN-123456"
    exif[ARTIST] = "Jane Photographer"
    exif[ORIENTATION] = orientation
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = "2024:05:17 10:21:33"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.6)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.2)
    return exif


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB") if im.mode not in ("RGB", "L") else im)


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def png_insert_before_iend(data: bytes, chunk: bytes) -> bytes:
    assert data[-12:-8] == b"\x00\x00\x00\x00" and data[-8:-4] == b"IEND"
    return data[:-12] + chunk + data[-12:]


def webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 12
    while pos < len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        chunks.append((data[pos : pos + 4], data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return chunks


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of the header segments up to the first SOS."""
    segments, pos = [], 2
    while data[pos + 1] != 0xDA:
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return segments


def rejected(data: bytes, **limits) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        probe(data, **limits)
    exc = info.value
    assert exc.code in REJECTION_CODES
    assert exc.message and exc.message == str(exc)
    return exc


# ---------------------------------------------------------------------------
# Fixtures (module scope: built once)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def icc() -> bytes:
    return srgb_icc()


@pytest.fixture(scope="module")
def good_jpeg() -> bytes:
    return encode(photo(1800, 1200, seed=1), "JPEG", quality=90)


@pytest.fixture(scope="module")
def gps_jpeg(icc: bytes) -> bytes:
    """2000x1600 as stored, orientation 6 (shown 1600x2000), GPS, names, XMP, comment, ICC."""
    return encode(
        photo(2000, 1600, seed=2),
        "JPEG",
        quality=90,
        exif=personal_exif(6),
        icc_profile=icc,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Jane Photographer</dc:creator></x:xmpmeta>',
        comment=b"shot at 12 Rue Example, Paris",
    )


# ---------------------------------------------------------------------------
# probe: acceptance
# ---------------------------------------------------------------------------


def test_probe_accepts_a_good_jpeg(good_jpeg: bytes) -> None:
    result = probe(good_jpeg)
    assert result == imaging.ProbedImage(
        format="JPEG",
        width=1800,
        height=1200,
        orientation=1,
        byte_size=len(good_jpeg),
        sha256=hashlib.sha256(good_jpeg).hexdigest(),
        has_icc=False,
    )


def test_probe_reads_orientation_and_icc(gps_jpeg: bytes) -> None:
    result = probe(gps_jpeg)
    assert (result.width, result.height, result.orientation) == (2000, 1600, 6)
    assert result.display_size == (1600, 2000)
    assert result.has_icc is True


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_probe_accepts_png_and_webp(fmt: str) -> None:
    data = encode(photo(1700, 300, seed=3), fmt)
    result = probe(data)
    assert (result.format, result.width, result.height) == (fmt, 1700, 300)


def test_probe_tolerates_zero_padding_after_jpeg_end(good_jpeg: bytes) -> None:
    assert probe(good_jpeg + b"\x00" * 32).format == "JPEG"


def test_probe_accepts_multi_picture_jpeg() -> None:
    # MPO (stereo / depth map / gain map): extra JPEGs after EOI are declared by APP2 "MPF".
    main, extra = photo(1800, 1200, seed=4), photo(1800, 1200, seed=5)
    data = encode(main, "MPO", save_all=True, append_images=[extra], quality=90)
    assert data.count(b"\xff\xd8\xff") >= 2
    assert probe(data).format == "JPEG"


# ---------------------------------------------------------------------------
# probe: the bad-file corpus
# ---------------------------------------------------------------------------


def test_empty_file() -> None:
    exc = rejected(b"")
    assert exc.code == "empty"


def test_too_large_bytes(good_jpeg: bytes) -> None:
    exc = rejected(good_jpeg, max_bytes=len(good_jpeg) - 1)
    assert exc.code == "too_large_bytes"
    assert exc.params == {"byte_size": len(good_jpeg), "max_bytes": len(good_jpeg) - 1}
    assert probe(good_jpeg, max_bytes=len(good_jpeg)).byte_size == len(good_jpeg)


def test_too_large_message() -> None:
    data = b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024)
    exc = rejected(data, max_bytes=2 * 1024 * 1024)
    assert exc.message.startswith("The file is 3.0 MB; files can be at most 2 MB.")


def test_text_renamed_to_jpg_is_not_an_image(tmp_path) -> None:
    path = tmp_path / "holiday.jpg"
    path.write_text("Dear client, here is the photo you asked for.\n")
    exc = rejected(path.read_bytes())
    assert exc.code == "not_an_image"
    assert "text file" in exc.message
    assert "renaming a file does not change its format" in exc.message


@pytest.mark.parametrize(
    "payload, detail",
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "HTML page"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "ZIP archive"),
        (bytes(range(256)) * 4, "not a recognised image format"),
    ],
)
def test_non_images(payload: bytes, detail: str) -> None:
    exc = rejected(payload)
    assert exc.code == "not_an_image"
    assert detail in exc.message


def test_svg_is_refused() -> None:
    svg = (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000">'
        b"<script>alert(1)</script></svg>"
    )
    exc = rejected(svg)
    assert exc.code == "unsupported_type"
    assert exc.message.startswith("SVG (vector graphics) files are not accepted.")


@pytest.mark.parametrize(
    "fmt, name",
    [("BMP", "BMP"), ("TIFF", "TIFF or camera RAW"), ("GIF", "GIF")],
)
def test_other_real_image_formats_are_unsupported(fmt: str, name: str) -> None:
    exc = rejected(encode(photo(240, 160, seed=6), fmt))
    assert exc.code == "unsupported_type"
    assert exc.message == f"{name} files are not accepted. Please upload the photo as a JPEG, PNG or WebP file."


def test_truncated_jpeg(good_jpeg: bytes) -> None:
    exc = rejected(good_jpeg[: len(good_jpeg) // 2])
    assert exc.code == "corrupt"
    assert "truncated" in exc.message


def test_jpeg_cut_just_before_end_marker(good_jpeg: bytes) -> None:
    assert rejected(good_jpeg[:-2]).code == "corrupt"


def test_truncated_png() -> None:
    data = encode(photo(1700, 200, seed=7), "PNG")
    assert rejected(data[: len(data) - 100]).code == "corrupt"


def test_png_with_bad_checksum() -> None:
    data = bytearray(encode(photo(1700, 200, seed=7), "PNG"))
    data[len(data) // 2] ^= 0xFF  # inside IDAT
    exc = rejected(bytes(data))
    assert exc.code == "corrupt"
    assert "checksum" in exc.message


def test_truncated_webp() -> None:
    data = encode(photo(1700, 200, seed=8), "WEBP")
    assert rejected(data[: len(data) - 50]).code == "corrupt"


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header claims width x height grey pixels but only holds 4 rows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(width) for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows, 9))
        + png_chunk(b"IEND", b"")
    )


def test_png_decompression_bomb_is_refused_from_the_header(monkeypatch) -> None:
    data = png_bomb()
    assert len(data) < 2_000
    # Pillow's own global guard must not be what saves us.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    exc = rejected(data)
    assert exc.code == "too_many_pixels"
    assert exc.message == (
        "The image is 20,000×20,000 px (400.0 megapixels); the maximum is 60.0 "
        "megapixels. Please downscale it before uploading."
    )
    assert exc.params == {"width": 20_000, "height": 20_000, "max_pixels": 60_000_000}


def test_pixel_limit_is_a_parameter(good_jpeg: bytes) -> None:
    assert rejected(good_jpeg, max_pixels=1800 * 1200 - 1).code == "too_many_pixels"
    assert probe(good_jpeg, max_pixels=1800 * 1200).width == 1800


def test_jpeg_bomb_header_is_refused_before_decoding(good_jpeg: bytes) -> None:
    data = bytearray(good_jpeg)
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    assert rejected(bytes(data)).code == "too_many_pixels"


def test_pillow_bomb_error_is_mapped(good_jpeg: bytes, monkeypatch) -> None:
    # If Pillow's own guard fires first (a tighter global limit), the caller
    # still gets a clean ImageRejected, not DecompressionBombError.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    assert rejected(good_jpeg).code == "too_many_pixels"


def test_too_small() -> None:
    exc = rejected(encode(photo(1200, 800, seed=9), "JPEG"))
    assert exc.code == "too_small"
    assert exc.message == "The image is 1,200×800 px; the long side must be at least 1,600 px."
    assert exc.params == {"width": 1200, "height": 800, "min_long_side": 1600}


def test_too_small_counts_the_long_side_whichever_it_is() -> None:
    portrait = encode(photo(900, 1600, seed=9), "JPEG")
    assert probe(portrait).height == 1600
    assert rejected(portrait, min_long_side=1601).code == "too_small"


def frames(n: int = 3, size: tuple[int, int] = (64, 48)) -> list[Image.Image]:
    return [Image.new("RGB", size, (40 * i, 255 - 60 * i, 90)) for i in range(n)]


def test_animated_gif() -> None:
    first, *rest = frames()
    exc = rejected(encode(first, "GIF", save_all=True, append_images=rest, duration=100))
    assert exc.code == "animated"
    assert exc.message.startswith("Animated images are not accepted.")


def test_animated_png() -> None:
    first, *rest = frames()
    data = encode(first, "PNG", save_all=True, append_images=rest, duration=100)
    assert b"acTL" in data
    assert rejected(data).code == "animated"


def test_animated_webp() -> None:
    first, *rest = frames()
    data = encode(first, "WEBP", save_all=True, append_images=rest, duration=100)
    assert b"ANMF" in data
    assert rejected(data).code == "animated"


def test_polyglot_jpeg_with_html_appended(good_jpeg: bytes) -> None:
    exc = rejected(good_jpeg + b"<html><script>fetch('/steal?c='+document.cookie)</script></html>")
    assert exc.code == "corrupt"
    assert exc.message.startswith("The file has unexpected data appended after the end of the image")


def test_polyglot_jpeg_with_zip_appended(good_jpeg: bytes) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.sh", "#!/bin/sh\necho pwned\n")
    exc = rejected(good_jpeg + archive.getvalue())
    assert exc.code == "corrupt"
    assert exc.params["appended_bytes"] == len(archive.getvalue())


def test_polyglot_png_with_data_after_iend() -> None:
    data = encode(photo(1700, 200, seed=10), "PNG")
    assert rejected(data + b"<?php system($_GET['c']); ?>").code == "corrupt"


def test_polyglot_webp_with_data_after_riff() -> None:
    data = encode(photo(1700, 200, seed=10), "WEBP")
    assert rejected(data + b"<script>alert(1)</script>").code == "corrupt"


def test_mpf_declaration_does_not_whitelist_arbitrary_appended_data() -> None:
    main, extra = photo(1800, 1200, seed=4), photo(1800, 1200, seed=5)
    data = encode(main, "MPO", save_all=True, append_images=[extra])
    assert rejected(data + b"PK\x03\x04 zip payload").code == "corrupt"


def test_gif_javascript_polyglot() -> None:
    # Valid GIF header that is also valid JavaScript: "GIF89a=...;alert(1)"
    polyglot = b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00*/=1;alert(document.domain);" + b"\x00;"
    assert rejected(polyglot).code == "unsupported_type"


def test_every_code_is_exercised_and_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError):
        ImageRejected("nope", "message")
    assert {
        "empty", "too_large_bytes", "not_an_image", "unsupported_type",
        "corrupt", "animated", "too_small", "too_many_pixels",
    } == REJECTION_CODES  # fmt: skip


def test_damaged_pixel_data_is_caught_at_decode() -> None:
    # Structurally valid PNG (good CRCs) whose zlib stream is garbage: the
    # container check passes, the single decode in make_derivatives refuses it.
    ihdr = struct.pack(">IIBBBBB", 1700, 20, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", b"\x78\x9c" + bytes(range(200)))
        + png_chunk(b"IEND", b"")
    )
    assert probe(data).format == "PNG"
    with pytest.raises(ImageRejected) as info:
        process(data)
    assert info.value.code == "corrupt"


# ---------------------------------------------------------------------------
# strip_personal_metadata: JPEG
# ---------------------------------------------------------------------------


def test_jpeg_strip_removes_personal_data_and_keeps_orientation(gps_jpeg: bytes, icc: bytes) -> None:
    with Image.open(io.BytesIO(gps_jpeg)) as im:  # the fixture really has it all
        assert im.getexif().get_ifd(GPS_IFD) and im.getexif()[ARTIST]
    cleaned = strip_personal_metadata(gps_jpeg, "JPEG")
    with Image.open(io.BytesIO(cleaned)) as im:
        exif = im.getexif()
        assert dict(exif) == {ORIENTATION: 6}
        assert exif.get_ifd(GPS_IFD) == {}
        assert exif.get_ifd(EXIF_IFD) == {}
        assert im.info["icc_profile"] == icc
        assert "xmp" not in im.info and "comment" not in im.info
    for secret in (b"Jane", b"Canon", b"SN-123456", b"Rue Example", b"2024:05:17", b"xmpmeta"):
        assert secret not in cleaned
    assert np.array_equal(pixels(cleaned), pixels(gps_jpeg))
    assert probe(cleaned).orientation == 6


def test_jpeg_strip_is_lossless_byte_copy_of_the_scan(gps_jpeg: bytes) -> None:
    cleaned = strip_personal_metadata(gps_jpeg, "JPEG")
    sos = gps_jpeg.index(b"\xff\xda")
    assert cleaned.endswith(gps_jpeg[sos:])  # compressed pixels untouched
    # Header: SOI, (JFIF), the one-tag EXIF, then ICC/tables only.
    markers = [m for m, _ in jpeg_segments(cleaned)]
    assert cleaned[:2] == b"\xff\xd8"
    assert markers[: markers.index(0xE1) + 1] in ([0xE1], [0xE0, 0xE1])
    assert markers.count(0xE1) == 1
    assert not any(m == 0xFE or 0xE3 <= m <= 0xED or m == 0xEF for m in markers)


def test_jpeg_strip_without_rotation_drops_exif_entirely(icc: bytes) -> None:
    data = encode(photo(1800, 1200, seed=11), "JPEG", exif=personal_exif(1), icc_profile=icc)
    cleaned = strip_personal_metadata(data, "JPEG")
    assert b"Exif\x00\x00" not in cleaned
    assert 0xE1 not in [m for m, _ in jpeg_segments(cleaned)]
    assert np.array_equal(pixels(cleaned), pixels(data))


@pytest.mark.parametrize(
    "params",
    [{"progressive": True}, {"restart_marker_blocks": 1}, {"subsampling": 0}],
    ids=["progressive", "restart-markers", "444"],
)
def test_jpeg_strip_variants_decode_identically(params: dict) -> None:
    data = encode(photo(1800, 1200, seed=12), "JPEG", exif=personal_exif(3), **params)
    cleaned = strip_personal_metadata(data, "JPEG")
    assert np.array_equal(pixels(cleaned), pixels(data))
    assert probe(cleaned).orientation == 3


def test_jpeg_strip_drops_mpf_secondary_images() -> None:
    main, extra = photo(1800, 1200, seed=4), photo(1800, 1200, seed=5)
    data = encode(main, "MPO", save_all=True, append_images=[extra], exif=personal_exif(6))
    cleaned = strip_personal_metadata(data, "JPEG")
    assert cleaned.count(b"\xff\xd8\xff") == 1
    assert b"MPF\x00" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as im:
        assert im.format == "JPEG"
    with Image.open(io.BytesIO(data)) as im:
        first = np.asarray(im.convert("RGB"))
    assert np.array_equal(pixels(cleaned), first)


# ---------------------------------------------------------------------------
# strip_personal_metadata: PNG and WebP
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gps_png(icc: bytes) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Photographer")
    info.add_text("Comment", "shot at 12 Rue Example, Paris", zip=True)
    info.add_itxt("Description", "Jane's flat", lang="en")
    data = encode(photo(1000, 800, seed=13), "PNG", exif=personal_exif(6), pnginfo=info, icc_profile=icc)
    return png_insert_before_iend(data, png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 5, 17, 10, 21, 33)))


def test_png_strip(gps_png: bytes, icc: bytes) -> None:
    assert {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME", b"iCCP"} <= set(png_chunk_types(gps_png))
    cleaned = strip_personal_metadata(gps_png, "PNG")
    types = png_chunk_types(cleaned)
    assert not {b"tEXt", b"zTXt", b"iTXt", b"tIME"} & set(types)
    assert types.count(b"eXIf") == 1 and types.index(b"eXIf") < types.index(b"IDAT")
    for secret in (b"Jane", b"Canon", b"Rue Example"):
        assert secret not in cleaned
    with Image.open(io.BytesIO(cleaned)) as im:
        assert dict(im.getexif()) == {ORIENTATION: 6}
        assert im.info["icc_profile"] == icc
    assert np.array_equal(pixels(cleaned), pixels(gps_png))
    assert probe(cleaned, min_long_side=1000).orientation == 6


@pytest.fixture(scope="module")
def gps_webp(icc: bytes) -> bytes:
    return encode(
        photo(1000, 800, seed=14),
        "WEBP",
        quality=90,
        exif=personal_exif(6),
        icc_profile=icc,
        xmp=b"<x:xmpmeta><dc:creator>Jane Photographer</dc:creator></x:xmpmeta>",
    )


def test_webp_strip(gps_webp: bytes, icc: bytes) -> None:
    assert {b"EXIF", b"XMP ", b"ICCP"} <= {c for c, _ in webp_chunks(gps_webp)}
    cleaned = strip_personal_metadata(gps_webp, "WEBP")
    chunks = dict(webp_chunks(cleaned))
    assert b"XMP " not in chunks
    assert chunks[b"ICCP"] == icc
    flags = chunks[b"VP8X"][0]
    assert flags & 0x20 and flags & 0x08 and not flags & 0x04  # ICC, EXIF, no XMP
    assert int.from_bytes(cleaned[4:8], "little") == len(cleaned) - 8
    for secret in (b"Jane", b"Canon"):
        assert secret not in cleaned
    with Image.open(io.BytesIO(cleaned)) as im:
        assert dict(im.getexif()) == {ORIENTATION: 6}
    assert np.array_equal(pixels(cleaned), pixels(gps_webp))


def test_webp_strip_without_rotation_clears_exif_flag(icc: bytes) -> None:
    data = encode(photo(1000, 800, seed=15), "WEBP", exif=personal_exif(1), icc_profile=icc)
    cleaned = strip_personal_metadata(data, "WEBP")
    chunks = dict(webp_chunks(cleaned))
    assert b"EXIF" not in chunks
    assert not chunks[b"VP8X"][0] & 0x08
    assert np.array_equal(pixels(cleaned), pixels(data))


def test_simple_webp_with_stray_exif_is_promoted_to_extended_format() -> None:
    simple = encode(photo(1000, 800, seed=16), "WEBP", quality=80)
    assert webp_chunks(simple)[0][0] == b"VP8 "
    tiff = personal_exif(8).tobytes()[6:]  # drop "Exif\0\0"
    body = simple[12:] + b"EXIF" + struct.pack("<I", len(tiff)) + tiff + b"\x00" * (len(tiff) & 1)
    data = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
    cleaned = strip_personal_metadata(data, "WEBP")
    assert [c for c, _ in webp_chunks(cleaned)] == [b"VP8X", b"VP8 ", b"EXIF"]
    assert b"Jane" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as im:
        assert im.size == (1000, 800)
        assert dict(im.getexif()) == {ORIENTATION: 8}
    assert np.array_equal(pixels(cleaned), pixels(simple))


# ---------------------------------------------------------------------------
# make_derivatives
# ---------------------------------------------------------------------------


def assert_no_exif(data: bytes) -> None:
    assert b"Exif\x00\x00" not in data
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        assert "exif" not in im.info
        assert dict(im.getexif()) == {}


def test_jpeg_derivatives_are_oriented_clean_and_keep_icc(gps_jpeg: bytes, icc: bytes) -> None:
    d = make_derivatives(gps_jpeg)
    assert (d.width, d.height) == (1600, 2000)
    assert d.thumb_size == (320, 400)
    assert d.preview_size == (960, 1200)
    for blob, size in ((d.thumbnail, d.thumb_size), (d.preview, d.preview_size)):
        assert_no_exif(blob)
        with Image.open(io.BytesIO(blob)) as im:
            assert im.size == size
            assert im.info["icc_profile"] == icc
    assert len(d.phash) == 16 and int(d.phash, 16) >= 0


def test_orientation_is_applied_not_just_swapped() -> None:
    # As displayed: portrait, pure red block in the top-left corner.
    shown = photo(1600, 2000, seed=17)
    shown.paste((255, 0, 0), (0, 0, 400, 400))
    stored = shown.transpose(Image.Transpose.ROTATE_90)  # orientation 6 undoes this
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    d = make_derivatives(encode(stored, "JPEG", quality=95, exif=exif))
    thumb = pixels(d.thumbnail)
    assert thumb.shape == (400, 320, 3)
    r, g, b = thumb[:60, :60].reshape(-1, 3).mean(axis=0)
    assert r > 200 and g < 60 and b < 60


def test_preview_is_watermarked_and_thumbnail_is_not(good_jpeg: bytes) -> None:
    marked = make_derivatives(good_jpeg)
    plain = make_derivatives(good_jpeg, watermark="")
    assert marked.thumbnail == plain.thumbnail
    assert marked.phash == plain.phash
    diff = np.abs(pixels(marked.preview).astype(int) - pixels(plain.preview).astype(int))
    assert diff.mean() > 5  # visibly stamped
    assert (diff.max(axis=2) > 60).mean() > 0.05  # over a good share of the image


def test_jpeg_is_decoded_with_dct_scaling() -> None:
    # 24 MP: the decoder must produce 1/4 scale (1500x1000), never 6000x4000.
    big = Image.new("RGB", (750, 500))
    ImageDraw.Draw(big).ellipse([100, 50, 600, 450], fill=(200, 120, 40))
    data = encode(big.resize((6000, 4000), Image.Resampling.BILINEAR), "JPEG", quality=80)
    d = make_derivatives(data)
    assert d.decoded_size == (1500, 1000)
    assert d.preview_size == (1200, 800)
    assert (d.width, d.height) == (6000, 4000)


def test_png_derivatives_are_oriented_and_clean(gps_png: bytes, icc: bytes) -> None:
    d = make_derivatives(gps_png)
    assert (d.width, d.height) == (800, 1000)
    assert d.thumb_size == (320, 400) and d.preview_size == (800, 1000)  # never upscaled
    for blob in (d.thumbnail, d.preview):
        assert_no_exif(blob)
        with Image.open(io.BytesIO(blob)) as im:
            assert im.info["icc_profile"] == icc


def test_webp_derivatives_are_oriented_and_clean(gps_webp: bytes) -> None:
    d = make_derivatives(gps_webp)
    assert d.thumb_size == (320, 400)
    assert_no_exif(d.thumbnail)
    assert_no_exif(d.preview)


def test_transparent_png_is_flattened_on_white() -> None:
    img = photo(1000, 800, seed=18).convert("RGBA")
    alpha = Image.new("L", img.size, 255)
    alpha.paste(0, (0, 0, 500, 800))  # left half fully transparent
    img.putalpha(alpha)
    d = make_derivatives(encode(img, "PNG"), watermark="")
    thumb = pixels(d.thumbnail)
    assert thumb[:, :150].mean() > 250


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    ramp = np.tile(np.linspace(0, 65535, 1000, dtype=np.uint16), (400, 1))
    img = Image.fromarray(ramp)
    assert img.mode.startswith("I;16")
    d = make_derivatives(encode(img, "PNG"), watermark="")
    thumb = pixels(d.thumbnail)
    assert thumb[:, :20].mean() < 20 and thumb[:, -20:].mean() > 235
    assert 100 < thumb.mean() < 155


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(photo(1800, 1200, seed=19).convert("CMYK"), "JPEG", quality=90)
    d = make_derivatives(data)
    with Image.open(io.BytesIO(d.preview)) as im:
        assert im.mode == "RGB"


@pytest.mark.parametrize("mode", ["L", "LA", "P", "1"])
def test_other_modes(mode: str) -> None:
    data = encode(photo(1000, 800, seed=20).convert(mode), "PNG")
    d = make_derivatives(data)
    with Image.open(io.BytesIO(d.preview)) as im:
        assert im.mode in ("RGB", "L")
        assert im.size == (1000, 800)


# ---------------------------------------------------------------------------
# Perceptual hash
# ---------------------------------------------------------------------------


def test_phash_distance() -> None:
    assert phash_distance("0" * 16, "0" * 16) == 0
    assert phash_distance("0" * 16, "f" * 16) == 64
    assert phash_distance("8000000000000001", "0000000000000000") == 2
    with pytest.raises(ValueError):
        phash_distance("00", "0000")


def test_near_duplicate_is_close_and_unrelated_photo_is_far() -> None:
    original = photo(2400, 1600, seed=21)
    copy = original.resize((1000, 667), Image.Resampling.BILINEAR)
    copy_data = encode(copy, "JPEG", quality=60)
    h_original = make_derivatives(encode(original, "JPEG", quality=92)).phash
    h_copy = make_derivatives(copy_data).phash
    h_other = make_derivatives(encode(photo(2400, 1600, seed=22), "JPEG", quality=92)).phash
    assert phash_distance(h_original, h_copy) <= NEAR_DUPLICATE_MAX_DISTANCE
    assert phash_distance(h_original, h_other) > 20


def test_phash_ignores_orientation_tag_and_watermark() -> None:
    shown = photo(1600, 1200, seed=23)
    exif = Image.Exif()
    exif[ORIENTATION] = 8
    rotated = encode(shown.transpose(Image.Transpose.ROTATE_270), "JPEG", quality=92, exif=exif)
    upright = encode(shown, "JPEG", quality=92)
    assert phash_distance(make_derivatives(rotated).phash, make_derivatives(upright).phash) <= 4


def test_perceptual_hash_is_deterministic_hex() -> None:
    img = photo(400, 300, seed=24)
    assert perceptual_hash(img) == perceptual_hash(img.copy())
    assert len(perceptual_hash(img)) == 16
    # Bits are "above the median of the 64 low frequencies": half of them set.
    assert int(perceptual_hash(img), 16).bit_count() == 32


def test_phash_is_computed_from_the_unwatermarked_thumbnail(good_jpeg: bytes) -> None:
    d = make_derivatives(good_jpeg)
    with Image.open(io.BytesIO(d.thumbnail)) as thumb:
        assert phash_distance(d.phash, perceptual_hash(thumb)) <= 2


# ---------------------------------------------------------------------------
# process
# ---------------------------------------------------------------------------


def test_process_runs_the_whole_pipeline(gps_jpeg: bytes) -> None:
    probed, cleaned, d = process(gps_jpeg)
    assert probed == probe(gps_jpeg)
    assert cleaned == strip_personal_metadata(gps_jpeg, "JPEG")
    assert d == make_derivatives(cleaned)
    assert d.thumb_size == (320, 400)


def test_process_forwards_limits_and_refuses_unknown_options(good_jpeg: bytes) -> None:
    with pytest.raises(ImageRejected) as info:
        process(good_jpeg, min_long_side=2000)
    assert info.value.code == "too_small"
    _, _, d = process(good_jpeg, preview_px=600, thumb_px=100)
    assert d.preview_size == (600, 400) and d.thumb_size == (100, 67)
    with pytest.raises(TypeError):
        process(good_jpeg, max_megapixels=1)


def test_module_does_not_import_django() -> None:
    source = Path(imaging.__file__).read_text(encoding="utf-8")
    assert "import django" not in source and "from django" not in source
