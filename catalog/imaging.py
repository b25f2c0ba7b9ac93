"""Image ingest pipeline for Stockdata: validate, clean and derive.

This module is deliberately free of Django (and of any model import): every
limit is a function parameter, so it can be called from a view, a Celery task,
a management command or a benchmark alike, and tested without a database.

The pipeline has three steps, which :func:`process` runs in order:

1. :func:`probe` decides whether an upload is acceptable.  It trusts only the
   file's *content* (magic bytes and a structural walk of the container),
   never its name or declared MIME type, and it refuses oversized images from
   the header alone, before any pixel is decoded.
2. :func:`strip_personal_metadata` removes what could identify or locate the
   photographer (GPS, camera serials, names, editing history, embedded
   thumbnails) *losslessly*: container segments are dropped or rewritten, the
   compressed pixel data is copied byte for byte.
3. :func:`make_derivatives` decodes the image once, at the smallest size the
   JPEG decoder can produce that is still large enough, and makes the
   watermarked preview, the thumbnail and a perceptual hash.

Every refusal is an :class:`ImageRejected` with a stable machine ``code`` (the
caller translates by code) and an English ``message`` a photographer can act
on.  ``params`` carries the numbers used in the message, for translations.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "NEAR_DUPLICATE_MAX_DISTANCE",
    "REJECTION_CODES",
    "Derivatives",
    "ImageRejected",
    "ProbedImage",
    "make_derivatives",
    "perceptual_hash",
    "phash_distance",
    "probe",
    "process",
    "strip_personal_metadata",
]

#: Two pHashes at most this far apart (Hamming distance, out of 64 bits) are
#: treated as the same photo.  A resized, recompressed (JPEG quality 60) copy
#: lands at 0-4; unrelated photos land around 32 (random bits), rarely < 20.
NEAR_DUPLICATE_MAX_DISTANCE: Final = 8

REJECTION_CODES: Final = frozenset(
    {
        "empty",
        "too_large_bytes",
        "not_an_image",
        "unsupported_type",
        "corrupt",
        "animated",
        "too_small",
        "too_many_pixels",
    }
)

_ACCEPTED = "Please upload the photo as a JPEG, PNG or WebP file."

# Bytes tolerated after the end of an image: encoders and transfer tools
# sometimes pad with these, and none of them can carry a payload.
_PADDING_BYTES: Final = b"\x00\xff\r\n\t "


class ImageRejected(Exception):
    """An upload that must not enter the catalogue.

    ``code`` is one of :data:`REJECTION_CODES` and is what callers branch on
    and translate; ``message`` is plain English for logs and for callers that
    do not translate; ``params`` holds the values interpolated in the message.
    """

    def __init__(self, code: str, message: str, **params: Any) -> None:
        if code not in REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(message)
        self.code: str = code
        self.message: str = message
        self.params: dict[str, Any] = params

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ImageRejected(code={self.code!r}, message={self.message!r})"


def _corrupt(detail: str, **params: Any) -> ImageRejected:
    return ImageRejected(
        "corrupt",
        f"The file is damaged or incomplete ({detail}). "
        "Export the photo again from your editing software and upload the new file.",
        detail=detail,
        **params,
    )


def _appended(extra: int) -> ImageRejected:
    return ImageRejected(
        "corrupt",
        f"The file has unexpected data appended after the end of the image "
        f"({extra:,} bytes). Export the photo again from your editing software "
        "and upload the new file.",
        detail="appended data",
        appended_bytes=extra,
    )


def _is_padding(tail: bytes | memoryview) -> bool:
    return not bytes(tail).translate(None, _PADDING_BYTES)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbedImage:
    """What :func:`probe` learned about an accepted upload.

    ``width``/``height`` are as stored; the displayed size swaps them when
    ``orientation`` is 5-8 (see :attr:`display_size`).
    """

    format: str  # "JPEG" | "PNG" | "WEBP"
    width: int
    height: int
    orientation: int
    byte_size: int
    sha256: str
    has_icc: bool

    @property
    def display_size(self) -> tuple[int, int]:
        if self.orientation in (5, 6, 7, 8):
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class Derivatives:
    """The web renditions of one photo (both JPEG, neither with any EXIF).

    ``width``/``height`` are the full-size dimensions *after* applying the
    EXIF orientation, i.e. as a viewer shows the original.  ``decoded_size``
    is the size the decoder actually produced (before orientation): for JPEG
    it is a 1/1, 1/2, 1/4 or 1/8 DCT-scaled size, which is how the pipeline
    stays fast and small on 50-megapixel files.
    """

    thumbnail: bytes
    preview: bytes
    thumb_size: tuple[int, int]
    preview_size: tuple[int, int]
    phash: str
    width: int
    height: int
    decoded_size: tuple[int, int]


# ---------------------------------------------------------------------------
# Content sniffing
# ---------------------------------------------------------------------------

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_HEIF_BRANDS: Final = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"hevc": "HEIC",
    b"hevx": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
    b"crx ": "Canon CR3 RAW",
}


def _sniff(data: bytes) -> str:
    """Name the container from magic bytes alone; refuse everything we don't take.

    Only JPEG, PNG and WebP pass.  Other real image formats are
    ``unsupported_type`` (the photographer can re-export); anything else is
    ``not_an_image`` - a renamed text file, HTML, PDF or archive stays what it
    is whatever its extension says.
    """
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(_PNG_SIGNATURE):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"

    other = _other_image_format(data)
    if other is not None:
        if other == "GIF" and _gif_frame_count(data) > 1:
            raise _animated()
        raise ImageRejected(
            "unsupported_type",
            f"{other} files are not accepted. {_ACCEPTED}",
            detected=other,
        )

    what = _describe_non_image(data)
    raise ImageRejected(
        "not_an_image",
        f"This file is not an image ({what}); renaming a file does not change its format. {_ACCEPTED}",
        detected=what,
    )


def _other_image_format(data: bytes) -> str | None:
    head = data[:64]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM" and len(head) >= 18:
        dib_header = int.from_bytes(head[14:18], "little")
        if dib_header in (12, 16, 40, 52, 56, 64, 108, 124):
            return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+", b"IIRO", b"IIU\x00"):
        return "TIFF or camera RAW"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]]
    if head.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xffO\xffQ")):
        return "JPEG 2000"
    if head.startswith((b"\xff\n", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "JPEG XL"
    if head.startswith(b"8BPS"):
        return "Photoshop (PSD)"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "Fujifilm RAF RAW"
    if _looks_like_svg(data):
        return "SVG (vector graphics)"
    return None


def _looks_like_svg(data: bytes) -> bool:
    text = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<") and b"<svg" in text


def _describe_non_image(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return "it is a PDF document"
    if head.startswith(b"pk\x03\x04"):
        return "it is a ZIP archive"
    if head.startswith((b"<!doctype html", b"<html")) or b"<script" in head:
        return "it is an HTML page"
    if head[4:8] == b"ftyp":
        return "it is a video"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "its content is not a recognised image format"
    return "it is a text file"


def _animated() -> ImageRejected:
    return ImageRejected(
        "animated",
        "Animated images are not accepted. Upload a single still photo as a JPEG, PNG or WebP file.",
    )


def _gif_frame_count(data: bytes, stop_at: int = 2) -> int:
    """Count GIF image descriptors by walking blocks (no LZW decoding)."""
    try:
        pos = 13
        flags = data[10]
        if flags & 0x80:
            pos += 3 << ((flags & 7) + 1)
        frames = 0
        while pos < len(data):
            block = data[pos]
            if block == 0x3B:  # trailer
                break
            if block == 0x21:  # extension: label, then sub-blocks
                pos += 2
            elif block == 0x2C:  # image descriptor
                frames += 1
                if frames >= stop_at:
                    return frames
                local = data[pos + 9]
                pos += 10
                if local & 0x80:
                    pos += 3 << ((local & 7) + 1)
                pos += 1  # LZW minimum code size
            else:
                break
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        return frames
    except IndexError:
        return 0


# ---------------------------------------------------------------------------
# Container walkers: find dimensions, metadata segments and the true end of
# the image, without decoding pixels.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    width: int
    height: int
    # (id, start, end) of each top-level segment/chunk, in file order; for
    # JPEG an SOS entry spans the header *and* the entropy-coded data after it.
    parts: tuple[tuple[Any, int, int], ...]
    end: int  # offset just past the image (EOI / IEND / RIFF size)
    exif: bytes | None  # raw EXIF payload the viewer would use for orientation
    animated: bool = False


_SOF_MARKERS: Final = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
# First real marker after entropy-coded data: 0xFF followed by anything but a
# stuffed zero, a restart marker (which stays inside the scan) or fill.
_NEXT_MARKER: Final = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _walk_jpeg(data: bytes, start: int = 0) -> _Layout:
    """Walk JPEG markers from SOI to EOI; EOI must be present.

    A missing EOI is the signature of a truncated upload; markers out of
    place or segment lengths that overrun the file mean corruption.
    """
    n = len(data)
    if data[start : start + 2] != b"\xff\xd8":
        raise _corrupt("missing JPEG start marker")
    parts: list[tuple[Any, int, int]] = [(0xD8, start, start + 2)]
    pos = start + 2
    width = height = 0
    exif: bytes | None = None
    seen_scan = False
    while True:
        if pos + 2 > n:
            raise _corrupt("the file is truncated: the JPEG end marker is missing")
        if data[pos] != 0xFF:
            raise _corrupt(f"invalid JPEG marker at byte {pos:,}")
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 2 > n:
            raise _corrupt("the file is truncated: the JPEG end marker is missing")
        marker = data[pos + 1]
        if marker == 0xD9:
            parts.append((0xD9, pos, pos + 2))
            end = pos + 2
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            parts.append((marker, pos, pos + 2))
            pos += 2
            continue
        if marker in (0x00, 0xD8):
            raise _corrupt(f"invalid JPEG marker at byte {pos:,}")
        if pos + 4 > n:
            raise _corrupt("the file is truncated inside a JPEG header")
        seg_end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if seg_end > n or seg_end < pos + 4:
            raise _corrupt("the file is truncated inside a JPEG header")
        if marker in _SOF_MARKERS:
            if seg_end < pos + 10:
                raise _corrupt("invalid JPEG frame header")
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            if not width or not height:
                raise _corrupt("the JPEG frame header has no size")
        elif marker == 0xE1 and exif is None and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            exif = data[pos + 4 : seg_end]
        if marker == 0xDA:
            if not width:
                raise _corrupt("JPEG scan before frame header")
            found = _NEXT_MARKER.search(data, seg_end)
            if found is None:
                raise _corrupt("the file is truncated: the JPEG end marker is missing")
            parts.append((0xDA, pos, found.start()))
            pos = found.start()
            seen_scan = True
            continue
        parts.append((marker, pos, seg_end))
        pos = seg_end
    if not seen_scan:
        raise _corrupt("the JPEG contains no image data")
    return _Layout(width, height, tuple(parts), end, exif)


def _check_jpeg_trailer(data: bytes, layout: _Layout) -> None:
    """Refuse bytes after EOI unless they are padding or declared MPF images.

    Data appended after the end of a JPEG is how polyglots (JPEG + ZIP, HTML,
    script) are built.  The one legitimate case is a Multi-Picture file (MPO,
    Ultra HDR gain maps, depth maps): the APP2 "MPF" segment declares the
    extra images, and each must itself be a complete JPEG.  Those extra
    images are dropped by :func:`strip_personal_metadata`.
    """
    n = len(data)
    if layout.end == n or _is_padding(data[layout.end :]):
        return
    has_mpf = any(pid == 0xE2 and data[s + 4 : s + 8] == b"MPF\x00" for pid, s, _ in layout.parts)
    pos = layout.end
    if has_mpf:
        while pos < n:
            while pos < n and data[pos] in _PADDING_BYTES and data[pos : pos + 2] != b"\xff\xd8":
                pos += 1
            if pos >= n:
                return
            if data[pos : pos + 3] != b"\xff\xd8\xff":
                break
            try:
                pos = _walk_jpeg(data, pos).end
            except ImageRejected:
                break
        else:
            return
    raise _appended(n - layout.end)


def _walk_png(data: bytes) -> _Layout:
    """Walk PNG chunks to IEND, checking every CRC (what ``Image.verify`` does).

    A CRC mismatch means the bytes were altered in transit; a missing IEND
    means the upload was cut short.  ``acTL`` with more than one frame is an
    animated PNG.
    """
    n = len(data)
    view = memoryview(data)
    pos = 8
    parts: list[tuple[Any, int, int]] = []
    width = height = 0
    exif: bytes | None = None
    animated = False
    has_idat = False
    while True:
        if pos + 12 > n:
            raise _corrupt("the file is truncated: the PNG end chunk is missing")
        length = int.from_bytes(data[pos : pos + 4], "big")
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > n:
            raise _corrupt("the file is truncated inside a PNG chunk")
        crc = int.from_bytes(data[end - 4 : end], "big")
        if zlib.crc32(view[pos + 4 : end - 4]) != crc:
            raise _corrupt(f"PNG chunk {ctype.decode('latin-1')!r} fails its checksum")
        if not parts and ctype != b"IHDR":
            raise _corrupt("the PNG header chunk is missing")
        body = pos + 8
        if ctype == b"IHDR":
            if length != 13:
                raise _corrupt("invalid PNG header chunk")
            width = int.from_bytes(data[body : body + 4], "big")
            height = int.from_bytes(data[body + 4 : body + 8], "big")
            if not width or not height:
                raise _corrupt("the PNG header has no size")
        elif ctype == b"acTL" and length >= 8:
            animated = animated or int.from_bytes(data[body : body + 4], "big") > 1
        elif ctype == b"eXIf" and exif is None:
            exif = data[body : body + length]
        elif ctype == b"IDAT":
            has_idat = True
        parts.append((ctype, pos, end))
        pos = end
        if ctype == b"IEND":
            break
    if not has_idat:
        raise _corrupt("the PNG contains no image data")
    return _Layout(width, height, tuple(parts), pos, exif, animated)


def _walk_webp(data: bytes) -> _Layout:
    """Walk the RIFF chunks declared by the RIFF size; the file must hold them all.

    A RIFF size larger than the file means truncation.  An ``ANIM``/``ANMF``
    chunk or the VP8X animation flag means an animated WebP.
    """
    n = len(data)
    if n < 20:
        raise _corrupt("the file is truncated: the WebP header is incomplete")
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > n:
        raise _corrupt("the file is truncated: the WebP data is incomplete")
    pos = 12
    parts: list[tuple[Any, int, int]] = []
    width = height = 0
    exif: bytes | None = None
    animated = False
    has_bitstream = False
    while pos < end:
        if pos + 8 > end:
            raise _corrupt("invalid WebP chunk header")
        fourcc = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        chunk_end = body + size + (size & 1)
        if body + size > end:
            raise _corrupt("the file is truncated inside a WebP chunk")
        chunk_end = min(chunk_end, end)
        payload = data[body : body + min(size, 32)]
        if not parts:
            if fourcc == b"VP8X" and size >= 10:
                animated = bool(payload[0] & 0x02)
                width = int.from_bytes(payload[4:7], "little") + 1
                height = int.from_bytes(payload[7:10], "little") + 1
            elif fourcc == b"VP8 " and size >= 10 and payload[3:6] == b"\x9d\x01\x2a":
                width = int.from_bytes(payload[6:8], "little") & 0x3FFF
                height = int.from_bytes(payload[8:10], "little") & 0x3FFF
            elif fourcc == b"VP8L" and size >= 5 and payload[0] == 0x2F:
                bits = int.from_bytes(payload[1:5], "little")
                width = (bits & 0x3FFF) + 1
                height = ((bits >> 14) & 0x3FFF) + 1
            else:
                raise _corrupt("invalid WebP header")
        if fourcc in (b"ANIM", b"ANMF"):
            animated = True
        elif fourcc in (b"VP8 ", b"VP8L"):
            has_bitstream = True
        elif fourcc == b"EXIF" and exif is None:
            exif = data[body : body + size]
        parts.append((fourcc, pos, chunk_end))
        pos = chunk_end
    if not width or not height:
        raise _corrupt("the WebP header has no size")
    if not has_bitstream and not animated:
        raise _corrupt("the WebP contains no image data")
    return _Layout(width, height, tuple(parts), end, exif, animated)


def _walk(data: bytes, fmt: str) -> _Layout:
    if fmt == "JPEG":
        return _walk_jpeg(data)
    if fmt == "PNG":
        return _walk_png(data)
    if fmt == "WEBP":
        return _walk_webp(data)
    raise ValueError(f"unsupported format {fmt!r}")


def _check_trailer(data: bytes, fmt: str, layout: _Layout) -> None:
    if fmt == "JPEG":
        _check_jpeg_trailer(data, layout)
    elif layout.end < len(data) and not _is_padding(data[layout.end :]):
        raise _appended(len(data) - layout.end)


# ---------------------------------------------------------------------------
# EXIF orientation
# ---------------------------------------------------------------------------


def _orientation_from_exif(exif: bytes | None) -> int:
    """EXIF Orientation (1-8); anything missing, unreadable or out of range is 1."""
    if not exif:
        return 1
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        value = parsed.get(0x0112, 1)
    except Exception:  # noqa: BLE001  (malformed EXIF raises many types; it must not make a good photo unusable)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _orientation_only_tiff(orientation: int) -> bytes:
    """A minimal big-endian TIFF/EXIF block holding one tag: Orientation."""
    return (
        b"MM\x00\x2a"
        + struct.pack(">I", 8)
        + struct.pack(">H", 1)
        + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
        + struct.pack(">I", 0)
    )


_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


# ---------------------------------------------------------------------------
# probe
# ---------------------------------------------------------------------------


def _open(data: bytes, fmt: str) -> Image.Image:
    """Open with Pillow restricted to the sniffed format (header parse only)."""
    try:
        return Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise ImageRejected(
            "too_many_pixels",
            "The image has too many pixels to process. Please downscale it before uploading.",
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise _corrupt("the image header could not be read") from exc


def probe(
    data: bytes,
    *,
    min_long_side: int = 1600,
    max_pixels: int = 60_000_000,
    max_bytes: int = 50 * 1024 * 1024,
) -> ProbedImage:
    """Accept or refuse an upload by its content, before any pixel is decoded.

    Rules, in order: not empty; at most ``max_bytes``; a JPEG, PNG or WebP by
    magic bytes (other image formats are ``unsupported_type``, the rest
    ``not_an_image``); the container is complete and well-formed (JPEG EOI
    present, PNG CRCs valid and IEND present, WebP RIFF size honoured); no
    data appended after the image (polyglots); not animated; width x height
    from the *header* at most ``max_pixels`` (decompression bombs are refused
    without decoding, independently of Pillow's global MAX_IMAGE_PIXELS);
    long side at least ``min_long_side``.

    Corruption inside compressed pixel data that leaves the container intact
    is only detectable by decoding; :func:`make_derivatives` reports it as
    ``corrupt`` too, so :func:`process` covers it.
    """
    return _probe(data, min_long_side, max_pixels, max_bytes)[0]


def _probe(data: bytes, min_long_side: int, max_pixels: int, max_bytes: int) -> tuple[ProbedImage, _Layout]:
    size = len(data)
    if size == 0:
        raise ImageRejected(
            "empty",
            "The file is empty (0 bytes). Choose the photo again and re-upload it.",
        )
    if size > max_bytes:
        raise ImageRejected(
            "too_large_bytes",
            f"The file is {size / 1_048_576:,.1f} MB; files can be at most "
            f"{max_bytes / 1_048_576:,.0f} MB. Export it as a high-quality JPEG "
            "(quality 90-95) to make it smaller.",
            byte_size=size,
            max_bytes=max_bytes,
        )
    fmt = _sniff(data)
    layout = _walk(data, fmt)
    _check_trailer(data, fmt, layout)
    if layout.animated:
        raise _animated()
    _check_pixels(layout.width, layout.height, max_pixels)

    im = _open(data, fmt)
    try:
        if (im.width, im.height) != (layout.width, layout.height):
            raise _corrupt("the image header is inconsistent")
        if fmt != "JPEG" and getattr(im, "is_animated", False):
            raise _animated()
        has_icc = bool(im.info.get("icc_profile"))
    finally:
        im.close()

    long_side = max(layout.width, layout.height)
    if long_side < min_long_side:
        raise ImageRejected(
            "too_small",
            f"The image is {layout.width:,}×{layout.height:,} px; the long side must be at least {min_long_side:,} px.",
            width=layout.width,
            height=layout.height,
            min_long_side=min_long_side,
        )
    probed = ProbedImage(
        format=fmt,
        width=layout.width,
        height=layout.height,
        orientation=_orientation_from_exif(layout.exif),
        byte_size=size,
        sha256=hashlib.sha256(data).hexdigest(),
        has_icc=has_icc,
    )
    return probed, layout


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The image is {width:,}×{height:,} px ({width * height / 1e6:,.1f} "
            f"megapixels); the maximum is {max_pixels / 1e6:,.1f} megapixels. "
            "Please downscale it before uploading.",
            width=width,
            height=height,
            max_pixels=max_pixels,
        )


# ---------------------------------------------------------------------------
# strip_personal_metadata
# ---------------------------------------------------------------------------

# PNG chunks that carry pixels, colour or layout; everything else (text,
# timestamps, EXIF, private chunks such as C2PA "caBX") is dropped.
_PNG_KEEP: Final = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP",
        b"sBIT", b"sRGB", b"cICP", b"mDCv", b"cLLi", b"bKGD", b"hIST", b"pHYs",
        b"sPLT",
    }
)  # fmt: skip
_WEBP_KEEP: Final = frozenset({b"VP8X", b"ICCP", b"ALPH", b"VP8 ", b"VP8L"})


def strip_personal_metadata(data: bytes, fmt: str) -> bytes:
    """Remove everything that could identify or locate the photographer, losslessly.

    Only container segments are dropped or rewritten; compressed pixel data
    is copied byte for byte, so the result decodes to exactly the same
    pixels.  The EXIF Orientation is the one EXIF value kept (rewritten as a
    one-tag EXIF block) because viewers need it to show the photo upright;
    ICC profiles are kept byte-identical because colours depend on them.

    JPEG: keep APP0 JFIF (minus any embedded thumbnail), APP2 ICC_PROFILE,
    APP14 Adobe and all non-APP markers; drop APP1 (EXIF, XMP), APP13
    (Photoshop/IPTC), COM, every other APPn, MPF secondary images (MPO
    depth maps / gain maps carry their own EXIF) and bytes after EOI.
    PNG: keep only known pixel/colour chunks (so eXIf, tEXt, zTXt, iTXt, tIME
    and private chunks go).  WebP: drop EXIF, XMP and unknown chunks, then fix
    the VP8X flags and the RIFF size.

    ``data`` must be a file :func:`probe` accepted; ``fmt`` is its format.
    """
    fmt = fmt.upper()
    return _strip(data, fmt, _walk(data, fmt))


def _strip(data: bytes, fmt: str, layout: _Layout) -> bytes:
    if fmt == "JPEG":
        return _strip_jpeg(data, layout)
    if fmt == "PNG":
        return _strip_png(data, layout)
    return _strip_webp(data, layout)


def _strip_jpeg(data: bytes, layout: _Layout) -> bytes:
    orientation = _orientation_from_exif(layout.exif)
    view = memoryview(data)
    out: list[bytes | memoryview] = []
    for marker, start, end in layout.parts:
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            payload = data[start + 4 : end]
            if marker == 0xE0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
                if len(payload) > 14:  # JFIF thumbnail: drop it, zero its size
                    payload = payload[:12] + b"\x00\x00"
                    out.append(b"\xff\xe0" + struct.pack(">H", 16) + payload)
                else:
                    out.append(view[start:end])
            elif (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00")) or (
                marker == 0xEE and payload.startswith(b"Adobe")
            ):
                out.append(view[start:end])
            # everything else in APPn/COM is dropped
            continue
        out.append(view[start:end])
    if orientation != 1:
        # EXIF must come right after SOI, or after the JFIF APP0 if there is one.
        tiff = b"Exif\x00\x00" + _orientation_only_tiff(orientation)
        at = 2 if bytes(out[1][:2]) == b"\xff\xe0" else 1
        out.insert(at, b"\xff\xe1" + struct.pack(">H", len(tiff) + 2) + tiff)
    return b"".join(out)


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _strip_png(data: bytes, layout: _Layout) -> bytes:
    orientation = _orientation_from_exif(layout.exif)
    view = memoryview(data)
    out: list[bytes | memoryview] = [_PNG_SIGNATURE]
    for ctype, start, end in layout.parts:
        if ctype == b"IDAT" and orientation != 1:
            out.append(_png_chunk(b"eXIf", _orientation_only_tiff(orientation)))
            orientation = 1
        if ctype in _PNG_KEEP:
            out.append(view[start:end])
    return b"".join(out)


def _strip_webp(data: bytes, layout: _Layout) -> bytes:
    orientation = _orientation_from_exif(layout.exif)
    view = memoryview(data)
    chunks: list[bytes | memoryview] = []
    vp8x: bytearray | None = None
    has_icc = has_alpha_chunk = False
    for fourcc, start, end in layout.parts:
        if fourcc not in _WEBP_KEEP:
            continue
        if fourcc == b"VP8X":
            vp8x = bytearray(data[start:end])
            continue
        has_icc |= fourcc == b"ICCP"
        has_alpha_chunk |= fourcc == b"ALPH"
        chunks.append(view[start:end])
    if orientation != 1 and vp8x is None:
        # Simple-format WebP cannot carry EXIF; promote it to the extended format.
        alpha = has_alpha_chunk or _vp8l_has_alpha(data, layout)
        vp8x = bytearray(
            b"VP8X"
            + struct.pack("<I", 10)
            + bytes([0x10 if alpha else 0, 0, 0, 0])
            + (layout.width - 1).to_bytes(3, "little")
            + (layout.height - 1).to_bytes(3, "little")
        )
    if orientation != 1:
        tiff = _orientation_only_tiff(orientation)
        chunks.append(b"EXIF" + struct.pack("<I", len(tiff)) + tiff)  # even length
    out: list[bytes | memoryview] = []
    if vp8x is not None:
        flags = vp8x[8] & ~(0x20 | 0x08 | 0x04 | 0x02)  # ICC, EXIF, XMP, animation
        if has_icc:
            flags |= 0x20
        if orientation != 1:
            flags |= 0x08
        vp8x[8] = flags
        out.append(bytes(vp8x))
    out.extend(chunks)
    body_size = 4 + sum(len(c) for c in out)
    return b"".join([b"RIFF", struct.pack("<I", body_size), b"WEBP", *out])


def _vp8l_has_alpha(data: bytes, layout: _Layout) -> bool:
    for fourcc, start, _ in layout.parts:
        if fourcc == b"VP8L":
            bits = int.from_bytes(data[start + 9 : start + 13], "little")
            return bool((bits >> 28) & 1)
    return False


# ---------------------------------------------------------------------------
# make_derivatives
# ---------------------------------------------------------------------------


def _icc_colour_space(icc: bytes | None) -> bytes | None:
    """The ICC header's data colour space signature (e.g. b'RGB ', b'GRAY')."""
    if icc and len(icc) >= 20:
        return icc[16:20]
    return None


@functools.cache
def _srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _flatten(img: Image.Image, background: int | tuple[int, ...]) -> Image.Image:
    """Composite an image with alpha over a solid background (JPEG has no alpha)."""
    base_mode = "L" if img.mode in ("LA", "La") else "RGB"
    if img.mode not in ("LA", "RGBA"):
        img = img.convert("LA" if base_mode == "L" else "RGBA")
    out = Image.new(base_mode, img.size, background)
    out.paste(img.convert(base_mode), mask=img.getchannel("A"))
    return out


def _to_web_mode(img: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """Bring any decoded mode to 8-bit RGB or L, keeping only a matching ICC profile.

    Alpha is composited over white; 16-bit samples are scaled (not clipped)
    to 8 bits; CMYK goes through its embedded profile to sRGB when there is
    one, because a naive CMYK->RGB conversion shifts colours badly.
    """
    mode = img.mode
    if mode in ("RGB", "L"):
        pass
    elif mode == "CMYK":
        space = _icc_colour_space(icc)
        if icc and space == b"CMYK":
            try:
                from PIL import ImageCms

                img = ImageCms.profileToProfile(
                    img,
                    ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                    ImageCms.ImageCmsProfile(io.BytesIO(_srgb_icc())),
                    outputMode="RGB",
                )
                return img, _srgb_icc()
            except Exception:  # noqa: BLE001, S110  (a broken ICC profile: fall back to the plain formula)
                pass
        img, icc = img.convert("RGB"), None
    elif mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.asarray(img)
        if mode == "F":
            arr = np.clip(arr + 0.5, 0, 255)
        else:  # 16-bit samples (I;16*, or I holding 16-bit PNG data): keep the top byte
            if arr.dtype != np.uint16:
                arr = np.clip(arr, 0, 65535)
            arr = arr >> 8
        img = Image.fromarray(arr.astype(np.uint8), "L")
    elif mode in ("LA", "La"):
        img = _flatten(img, 255)
    elif mode in ("RGBA", "RGBa", "PA") or (mode == "P" and "transparency" in img.info):
        img = _flatten(img.convert("RGBA"), (255, 255, 255))
    elif mode == "1":
        img = img.convert("L")
    else:  # P without transparency, YCbCr, LAB, HSV, ...
        img = img.convert("RGB")
    wanted = b"GRAY" if img.mode == "L" else b"RGB "
    if _icc_colour_space(icc) != wanted:
        icc = None
    return img, icc


def _fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Size that fits ``long_side`` keeping the aspect ratio; never upscales."""
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@functools.lru_cache(maxsize=8)
def _watermark_layer(size: tuple[int, int], text: str, mode: str) -> tuple[Image.Image, Image.Image]:
    """Diagonal, repeated text as (colour, alpha): light fill with a dark outline.

    Light text with a dark outline stays legible on both bright skies and
    dark shadows.  The text is rendered and rotated once as a small tile,
    then stamped on a staggered diagonal lattice covering the whole image.
    The layer depends only on size, text and mode, so it is cached: most
    photos share a handful of aspect ratios.
    """
    width, height = size
    font_px = max(10, round(min(width, height) / 14))
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default(size=font_px)
    except (TypeError, OSError):  # Pillow without FreeType: fixed bitmap font
        font = ImageFont.load_default()
    stroke = max(1, font_px // 14)
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    tile_w, tile_h = right - left + 2 * stroke, bottom - top + 2 * stroke
    origin = (stroke - left, stroke - top)
    line_tile = Image.new("L", (tile_w, tile_h), 0)
    fill_tile = Image.new("L", (tile_w, tile_h), 0)
    ImageDraw.Draw(line_tile).text(origin, text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    ImageDraw.Draw(fill_tile).text(origin, text, fill=255, font=font)
    angle = 30.0
    line_tile = line_tile.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    fill_tile = fill_tile.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    rot_w, rot_h = line_tile.size

    # Lattice: step along the text direction, rows perpendicular to it,
    # every other row shifted by half a step (brick pattern).
    rad = np.deg2rad(angle)
    along = np.array([np.cos(rad), -np.sin(rad)]) * (tile_w + 2 * font_px)
    across = np.array([np.sin(rad), np.cos(rad)]) * (tile_h + 3 * font_px)
    reach = int((width**2 + height**2) ** 0.5 / min(tile_h + 3 * font_px, tile_w)) + 2
    centre = np.array([width / 2, height / 2])
    line = Image.new("L", size, 0)
    fill = Image.new("L", size, 0)
    for j in range(-reach, reach + 1):
        for i in range(-reach, reach + 1):
            x, y = centre + (i + 0.5 * (j % 2)) * along + j * across
            x0, y0 = int(x - rot_w / 2), int(y - rot_h / 2)
            if x0 >= width or y0 >= height or x0 + rot_w <= 0 or y0 + rot_h <= 0:
                continue
            # Using the tile as its own mask keeps what neighbours drew
            # under this tile's transparent corners.
            line.paste(line_tile, (x0, y0), line_tile)
            fill.paste(fill_tile, (x0, y0), fill_tile)
    # Outline (black, 35 %) then fill (white, 55 %) folded into ONE layer so
    # the photo is blended once: alpha = 1-(1-a1)(1-a2), colour = 255*a2/alpha.
    a1 = np.asarray(line, dtype=np.float32) * (0.35 / 255)
    a2 = np.asarray(fill, dtype=np.float32) * (0.55 / 255)
    alpha = 1 - (1 - a1) * (1 - a2)
    colour = np.divide(255 * a2, alpha, out=np.zeros_like(alpha), where=alpha > 0)
    colour_img = Image.fromarray(np.rint(colour).astype(np.uint8), "L").convert(mode)
    alpha_img = Image.fromarray(np.rint(alpha * 255).astype(np.uint8), "L")
    return colour_img, alpha_img


def _watermark(img: Image.Image, text: str) -> None:
    """Stamp the preview in place so it is useless as a free download."""
    if not text:
        return
    colour, alpha = _watermark_layer(img.size, text, img.mode)
    img.paste(colour, (0, 0), alpha)


def _encode_jpeg(img: Image.Image, icc: bytes | None, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    # No exif= is passed, so the output carries no EXIF whatever img.info holds.
    img.save(buf, "JPEG", quality=quality, icc_profile=icc or None, optimize=False)
    return buf.getvalue()


def make_derivatives(
    data: bytes,
    *,
    thumb_px: int = 400,
    preview_px: int = 1200,
    watermark: str = "Stockdata SAMPLE",
) -> Derivatives:
    """Make the watermarked preview, the thumbnail and the pHash from ONE decode.

    The rule is to never hold a full-size bitmap: JPEGs are decoded with
    DCT scaling (1/2, 1/4, 1/8) to the smallest size still at least the
    preview size, so a 50 MP photo is decoded as ~3 MP.  Orientation is
    applied to the small image (cheap).  The thumbnail is made from the
    un-watermarked preview-size image and the pHash from the thumbnail, so
    nothing is decoded or resized from full size twice.  Outputs are
    JPEG q85 with the source ICC profile (if it fits the output colour
    space) and no EXIF at all.

    Decoding errors (damaged compressed data) are ``corrupt``.
    """
    fmt = _sniff(data)
    orientation = _orientation_from_exif(_walk(data, fmt).exif)
    return _derive(data, fmt, orientation, thumb_px, preview_px, watermark)


def _derive(
    data: bytes,
    fmt: str,
    orientation: int,
    thumb_px: int,
    preview_px: int,
    watermark: str,
) -> Derivatives:
    im = _open(data, fmt)  # in-memory: nothing to close
    icc = im.info.get("icc_profile")
    full_w, full_h = im.size
    preview_w, preview_h = _fit(full_w, full_h, preview_px)
    if fmt == "JPEG":
        im.draft("RGB", (preview_w, preview_h))
    try:
        im.load()
    except Image.DecompressionBombError as exc:
        raise ImageRejected(
            "too_many_pixels",
            "The image has too many pixels to process. Please downscale it before uploading.",
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise _corrupt("the image data could not be decoded") from exc
    decoded_size = im.size
    img, icc = _to_web_mode(im, icc)
    del im

    if img.size != (preview_w, preview_h):
        # After DCT scaling the remaining factor is < 2 (or the source is
        # PNG/WebP); bicubic with Pillow's antialiasing support is sharp and
        # clearly cheaper than Lanczos here.  reducing_gap only matters for
        # large factors (PNG/WebP), where it box-reduces first.
        img = img.resize((preview_w, preview_h), Image.Resampling.BICUBIC, reducing_gap=3.0)
    if orientation in _TRANSPOSE:
        img = img.transpose(_TRANSPOSE[orientation])
        full_w, full_h = (full_h, full_w) if orientation >= 5 else (full_w, full_h)

    thumb = img.resize(_fit(*img.size, thumb_px), Image.Resampling.BICUBIC)
    phash = perceptual_hash(thumb)
    _watermark(img, watermark)
    return Derivatives(
        thumbnail=_encode_jpeg(thumb, icc),
        preview=_encode_jpeg(img, icc),
        thumb_size=thumb.size,
        preview_size=img.size,
        phash=phash,
        width=full_w,
        height=full_h,
        decoded_size=decoded_size,
    )


# ---------------------------------------------------------------------------
# Perceptual hash
# ---------------------------------------------------------------------------


@functools.cache
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def perceptual_hash(img: Image.Image) -> str:
    """64-bit DCT pHash as 16 hex chars: robust to resizing and recompression.

    The image is reduced to 32×32 grey, transformed with a 2-D DCT, and each
    of the 8×8 lowest frequencies becomes one bit: above the median or not.
    Low frequencies describe the overall composition, which survives
    scaling and JPEG artefacts but differs between different photos.
    (Same construction as ``imagehash.phash``, without its SciPy dependency.)
    """
    small = img.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, dtype=np.float64)
    dct = _dct_matrix(32)
    low = (dct @ pixels @ dct.T)[:8, :8]
    bits = (low > np.median(low)).flatten()
    return np.packbits(bits).tobytes().hex()


def phash_distance(a: str, b: str) -> int:
    """Hamming distance between two hex pHashes; <= NEAR_DUPLICATE_MAX_DISTANCE means same photo."""
    if len(a) != len(b):
        raise ValueError("hashes must have the same length")
    return (int(a, 16) ^ int(b, 16)).bit_count()


# ---------------------------------------------------------------------------
# Whole pipeline
# ---------------------------------------------------------------------------

_PROBE_LIMITS: Final = frozenset({"min_long_side", "max_pixels", "max_bytes"})
_DERIVATIVE_OPTIONS: Final = frozenset({"thumb_px", "preview_px", "watermark"})
_DEFAULTS: Final[dict[str, Any]] = {
    "min_long_side": 1600,
    "max_pixels": 60_000_000,
    "max_bytes": 50 * 1024 * 1024,
    "thumb_px": 400,
    "preview_px": 1200,
    "watermark": "Stockdata SAMPLE",
}


def process(data: bytes, **limits: Any) -> tuple[ProbedImage, bytes, Derivatives]:
    """Probe, strip and derive in one call; the first refusal stops the pipeline.

    ``limits`` may hold any keyword of :func:`probe` (min_long_side,
    max_pixels, max_bytes) or :func:`make_derivatives` (thumb_px,
    preview_px, watermark).  Derivatives are made from the *cleaned* bytes,
    so what is published can only come from what is stored.
    """
    unknown = set(limits) - _PROBE_LIMITS - _DERIVATIVE_OPTIONS
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    options = {**_DEFAULTS, **limits}
    probed, layout = _probe(data, options["min_long_side"], options["max_pixels"], options["max_bytes"])
    cleaned = _strip(data, probed.format, layout)
    # The cleaned file keeps the orientation, so the container need not be
    # walked again (that is a full scan of the compressed data for JPEG).
    derivatives = _derive(
        cleaned,
        probed.format,
        probed.orientation,
        options["thumb_px"],
        options["preview_px"],
        options["watermark"],
    )
    return probed, cleaned, derivatives
