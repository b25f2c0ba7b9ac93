"""A corpus of files the platform must refuse, built in memory, with the exact refusal."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from stockdata.demo.synthetic import make_photo


def good_jpeg(seed: int = 1, width: int = 2000, height: int = 1500, **kw) -> bytes:
    return make_photo(seed, width=width, height=height, **kw).data


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid-looking PNG whose header claims 900 megapixels, a few hundred bytes on disk."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" + b"\x00" * 3 * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b"")


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (1800, 1200), c) for c in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def too_small() -> bytes:
    return good_jpeg(width=1200, height=800)


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000">'
    b'<script>alert(1)</script><rect width="4000" height="3000"/></svg>'
)


def corpus() -> list[tuple[str, str, bytes, str]]:
    """(case, file name, bytes, expected error code) for every kind of bad file."""
    jpeg = good_jpeg(seed=99)
    return [
        ("truncated_jpeg", "cut.jpg", jpeg[: len(jpeg) // 2], "corrupt"),
        ("zero_bytes", "empty.jpg", b"", "empty"),
        ("text_renamed_jpg", "notes.jpg", b"Meeting notes\nnothing to see here\n" * 20, "not_an_image"),
        ("png_bomb", "bomb.png", png_bomb(), "too_many_pixels"),
        ("too_small", "small.jpg", too_small(), "too_small"),
        ("animated_gif", "anim.gif", animated("GIF"), "animated"),
        ("animated_webp", "anim.webp", animated("WEBP"), "animated"),
        ("svg", "vector.svg", SVG, "unsupported_type"),
        ("polyglot", "poly.jpg", jpeg + b"<html><script>alert(document.cookie)</script></html>" * 4, "corrupt"),
    ]


EXPECTED_MESSAGES = {
    "corrupt": "The file is damaged or incomplete. Export the photo again from your editing software and upload the new file.",
    "empty": "The file is empty (0 bytes). Choose the photo again and re-upload it.",
    "not_an_image": "This file is not an image. Please upload the photo as a JPEG, PNG or WebP file.",
    "too_many_pixels": "The image has 900.0 megapixels; the maximum is 60.0 megapixels. Please downscale it before uploading.",
    "too_small": "The image is 1,200×800 px; the long side must be at least 1,600 px.",
    "animated": "Animated images are not accepted. Upload a single still photo.",
    "unsupported_type": "SVG (vector graphics) files are not accepted. Please upload the photo as a JPEG, PNG or WebP file.",
    "polyglot": "The file has unexpected data appended after the end of the image. Export the photo again from your editing software and upload the new file.",
}


def expected_message(case: str, code: str) -> str:
    return EXPECTED_MESSAGES["polyglot" if case == "polyglot" else code]
