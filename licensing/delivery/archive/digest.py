"""A SHA-256 whose state after a prefix can be stored and resumed later, Django-free.

A buyer's archive is the shared base prefix (gigabytes) + their tail (kilobytes), and the page
shows the SHA-256 of the whole archive. ``hashlib`` cannot save its state, so every buyer
after the first would have to re-read the whole prefix (~4 s per 5 GB here). This hasher
runs OpenSSL's ``SHA256_*`` functions through ``ctypes`` on a ``SHA256_CTX`` we own, so the
state after the prefix is 112 bytes that can be saved with the base and resumed for each
buyer's tail: the whole-archive hash then costs only the tail.

The saved state is a portable dict (the eight chaining words, the byte count, the pending
partial block), not the struct's raw bytes. Where libcrypto cannot be loaded, :func:`sha256`
falls back to ``hashlib`` and :meth:`Sha256.state` returns ``None`` (callers then hash the
prefix again: slower, same result).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from typing import Any

__all__ = ["Sha256", "resume", "sha256"]


class _Ctx(ctypes.Structure):
    # OpenSSL's SHA256_CTX (include/openssl/sha.h): h[8], Nl, Nh, data[16 words], num, md_len.
    _fields_ = [
        ("h", ctypes.c_uint32 * 8),
        ("Nl", ctypes.c_uint32),
        ("Nh", ctypes.c_uint32),
        ("data", ctypes.c_uint8 * 64),
        ("num", ctypes.c_uint32),
        ("md_len", ctypes.c_uint32),
    ]


def _load():
    name = ctypes.util.find_library("crypto")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        init, update, final = lib.SHA256_Init, lib.SHA256_Update, lib.SHA256_Final
    except (OSError, AttributeError):
        return None
    init.argtypes = [ctypes.POINTER(_Ctx)]
    update.argtypes = [ctypes.POINTER(_Ctx), ctypes.c_void_p, ctypes.c_size_t]
    final.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Ctx)]
    for fn in (init, update, final):
        fn.restype = ctypes.c_int
    # Check the struct layout against hashlib once, on data that leaves a partial block pending.
    probe = _Ctx()
    init(ctypes.byref(probe))
    sample = bytes(range(256)) * 3 + b"x"
    update(ctypes.byref(probe), sample, len(sample))
    if probe.num != len(sample) % 64 or probe.Nl != len(sample) * 8:
        return None
    out = (ctypes.c_ubyte * 32)()
    final(out, ctypes.byref(probe))
    if bytes(out) != hashlib.sha256(sample).digest():
        return None
    return init, update, final


_LIB = _load()


class Sha256:
    """``hashlib``-like (``update``, ``copy``, ``digest``, ``hexdigest``) plus ``state()``."""

    name = "sha256"
    digest_size = 32

    def __init__(self, ctx: _Ctx | None = None):
        if ctx is None:
            ctx = _Ctx()
            _LIB[0](ctypes.byref(ctx))
        self._ctx = ctx

    def update(self, data) -> None:
        if isinstance(data, bytes):
            if data:
                _LIB[1](ctypes.byref(self._ctx), data, len(data))
            return
        view = memoryview(data).cast("B")
        if not view.nbytes:
            return
        buf = bytes(view) if view.readonly else (ctypes.c_char * view.nbytes).from_buffer(view)
        _LIB[1](ctypes.byref(self._ctx), buf, view.nbytes)

    def copy(self) -> Sha256:
        return Sha256(_Ctx.from_buffer_copy(self._ctx))

    def digest(self) -> bytes:
        ctx = _Ctx.from_buffer_copy(self._ctx)  # Final consumes the context; keep ours usable
        out = (ctypes.c_ubyte * 32)()
        _LIB[2](out, ctypes.byref(ctx))
        return bytes(out)

    def hexdigest(self) -> str:
        return self.digest().hex()

    def state(self) -> dict[str, Any]:
        """The state after the bytes hashed so far, as JSON-able data (:func:`resume` takes it)."""
        c = self._ctx
        return {
            "algorithm": "sha256",
            "h": list(c.h),
            "length": (c.Nh << 32 | c.Nl) // 8,
            "pending": bytes(c.data[: c.num]).hex(),
        }


def sha256():
    """A new hasher: :class:`Sha256` where libcrypto is available, else ``hashlib.sha256()``."""
    return Sha256() if _LIB is not None else hashlib.sha256()


def resume(state: dict | None):
    """A hasher continuing from ``state`` (from :meth:`Sha256.state`); ``None`` when it cannot be."""
    if _LIB is None or not state or state.get("algorithm") != "sha256":
        return None
    pending = bytes.fromhex(state["pending"])
    length = int(state["length"])
    if len(state["h"]) != 8 or len(pending) != length % 64:
        raise ValueError("not a SHA-256 state")
    ctx = _Ctx()
    _LIB[0](ctypes.byref(ctx))
    for i, word in enumerate(state["h"]):
        ctx.h[i] = int(word)
    bits = length * 8
    ctx.Nl, ctx.Nh = bits & 0xFFFFFFFF, bits >> 32
    ctypes.memmove(ctx.data, pending, len(pending))
    ctx.num = len(pending)
    return Sha256(ctx)
