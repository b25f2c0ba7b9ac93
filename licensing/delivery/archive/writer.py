"""A one-pass, deterministic, streaming ZIP writer for download bundles.

Pure Python, no Django.  The archive is written front to back to any writable
binary file object; nothing is ever seeked, so ``out`` may be a pipe, a socket
or an S3 multipart-upload stream.  Each entry is copied in chunks (1 MiB by
default) from a readable file object while its CRC-32 and its SHA-256 are
computed on the same bytes: memory stays constant whatever the entry size, and
no entry is read twice.

Format choices (all written by hand with :mod:`struct`, see APPNOTE.TXT 6.3.x):

* Images and other already-compressed files are STORED; text (JSON, XML, CSV,
  YAML, TXT) is DEFLATED (raw deflate, zlib level 6).  ``Entry.compress=None``
  picks by file extension (:data:`STORED_SUFFIXES`).
* Streamed entries (``source`` is a callable or a path) set general-purpose
  bit 3 and are followed by a data descriptor carrying CRC and sizes, as the
  CRC is only known at the end.  In-memory entries (``source`` is ``bytes``)
  have CRC and sizes in the local header and no descriptor.
* ZIP64 is used only where needed: a streamed entry whose size is unknown or
  may reach 4 GiB gets a ZIP64 local extra field (and an 8-byte-size data
  descriptor); the central directory gets a ZIP64 extra field for any size or
  local-header offset >= 0xFFFFFFFF; the ZIP64 end-of-central-directory record
  and locator are written when there are >= 65,535 entries or the central
  directory's size or offset is >= 0xFFFFFFFF.
* Deterministic: every entry has the same DOS timestamp (``date_time``), Unix
  mode 0644 ("version made by" = Unix), no extra timestamp fields, no archive
  comment; entries are written in the order given.  The same inputs therefore
  give byte-identical archives -- for DEFLATED entries, as long as the zlib
  build is the same (``zlib.ZLIB_RUNTIME_VERSION`` is recorded in
  :class:`BaseIndex`); STORED entries do not depend on zlib at all.
* No directory entries are written (readers create folders from the paths).

Reuse across buyers: :func:`build_base` writes the entries common to every
buyer of a version+edition to a complete, valid "base" ZIP and returns a
:class:`BaseIndex` (JSON-serialisable) with every entry's CRC, sizes, SHA-256
and offsets.  :func:`personalise` then produces one buyer's archive by copying
the base's local-file records (everything before its central directory) byte
for byte -- with ``os.copy_file_range`` when both sides are real files --
appending the personal entries (``LICENSE.txt``) and ``MANIFEST.sha256``, and
writing a new central directory.  Nothing in the base is recompressed or
re-hashed.  ``write_zip(out, base + personal)`` and
``personalise(build_base(base), personal)`` produce byte-identical archives.
:func:`personal_tail` writes only the bytes after the base's local records
(~100 kB for 250 annotated photos): ``base[:index.local_end] + tail`` *is* the buyer's
archive, so an uploader can server-side-copy the base prefix (S3
``UploadPartCopy``) and upload just the tail, or a view can stream both.

Known reader caveat: STORED entries with a data descriptor cannot be read by
*streaming* readers that ignore the central directory (Java's
``ZipInputStream``); unzip, Python's zipfile, 7-Zip, libarchive (bsdtar) and
every central-directory reader handle them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import posixpath
import stat
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import BinaryIO, Union

__all__ = [
    "CHUNK_SIZE",
    "STORED_SUFFIXES",
    "BaseIndex",
    "Entry",
    "EntryRecord",
    "ProgressCallback",
    "ZipStreamWriter",
    "build_base",
    "personal_tail",
    "personalise",
    "write_zip",
]

CHUNK_SIZE = 1 << 20
STORED_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".heic", ".zip", ".gz", ".bz2", ".xz", ".zst", ".7z", ".mp4"}
)
MANIFEST_NAME = "MANIFEST.sha256"

ProgressCallback = Callable[[int, int, int], None]
Source = Union[bytes, bytearray, memoryview, Callable[[], BinaryIO], "os.PathLike[str]", str]

_U32 = 0xFFFFFFFF  # a 32-bit field holding this value means "see the ZIP64 extra field"
_U16 = 0xFFFF
_FLAG_DATA_DESCRIPTOR = 0x0008
_FLAG_UTF8 = 0x0800
_STORED, _DEFLATED = 0, 8
_MADE_BY = (3 << 8) | 45  # Unix, spec 4.5
_EXTERNAL_ATTR = (stat.S_IFREG | 0o644) << 16

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DD32 = struct.Struct("<IIII")
_DD64 = struct.Struct("<IIQQ")
_EOCD = struct.Struct("<IHHHHIIH")
_EOCD64 = struct.Struct("<IQHHIIQQQQ")
_EOCD64_LOCATOR = struct.Struct("<IIQI")
_SIG_LOCAL, _SIG_CENTRAL, _SIG_DD = 0x04034B50, 0x02014B50, 0x08074B50
_SIG_EOCD, _SIG_EOCD64, _SIG_EOCD64_LOCATOR = 0x06054B50, 0x06064B50, 0x07064B50


@dataclass(frozen=True)
class Entry:
    """One file to put in the archive.

    ``source`` is either the content itself (``bytes``), a zero-argument
    callable returning a readable binary file object (closed by the writer
    after copying), or a filesystem path.  ``compress=None`` deflates unless
    the name ends with one of :data:`STORED_SUFFIXES`.  ``size`` is an optional
    hint used only to decide whether a streamed entry needs ZIP64; when absent
    the writer asks the opened file (``fstat`` or seek/tell) and falls back to
    ZIP64 if it cannot tell.
    """

    name: str
    source: Source
    compress: bool | None = None
    size: int | None = None

    @property
    def deflate(self) -> bool:
        if self.compress is not None:
            return bool(self.compress)
        return posixpath.splitext(self.name)[1].lower() not in STORED_SUFFIXES


@dataclass(frozen=True)
class EntryRecord:
    """What the writer wrote for one entry (all offsets from the archive start)."""

    name: str
    size: int  # uncompressed bytes
    compressed_size: int  # bytes of file data as stored
    crc32: int
    sha256: str  # hex, of the uncompressed bytes
    header_offset: int  # offset of the local file header
    end_offset: int  # offset just past the data (and data descriptor, if any)
    method: int  # 0 STORED, 8 DEFLATED
    flags: int  # general-purpose bit flags of the local header
    version_needed: int  # as written in the local header
    zip64_local: bool  # local header carries a ZIP64 extra field

    @classmethod
    def from_dict(cls, data: dict) -> EntryRecord:
        return cls(**data)


@dataclass(frozen=True)
class BaseIndex:
    """Everything :func:`personalise` needs to reuse a base ZIP; stored as JSON beside it.

    ``local_end`` is where the base's local records end (= its central
    directory offset); ``base_size`` is the base file's total length.
    """

    entries: tuple[EntryRecord, ...]
    local_end: int
    base_size: int
    date_time: str  # ISO 8601, as given to build_base
    zlib_version: str = zlib.ZLIB_RUNTIME_VERSION
    format: int = 1

    def to_json(self) -> str:
        data = asdict(self)
        data["entries"] = [asdict(e) for e in self.entries]
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> BaseIndex:
        data = json.loads(text)
        if data.get("format") != 1:
            raise ValueError(f"unsupported BaseIndex format: {data.get('format')!r}")
        data["entries"] = tuple(EntryRecord.from_dict(e) for e in data["entries"])
        return cls(**data)

    @property
    def datetime(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.date_time)


def _dos_datetime(value: dt.datetime | dt.date | tuple) -> tuple[int, int]:
    """(time, date) as MS-DOS fields; clamped to 1980..2107, seconds rounded down to even."""
    if isinstance(value, tuple):
        value = dt.datetime(*value)
    elif not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.year < 1980:
        value = dt.datetime(1980, 1, 1)
    elif value.year > 2107:
        value = dt.datetime(2107, 12, 31, 23, 59, 58)
    dos_time = (value.hour << 11) | (value.minute << 5) | (value.second // 2)
    dos_date = ((value.year - 1980) << 9) | (value.month << 5) | value.day
    return dos_time, dos_date


def _iso(value: dt.datetime | dt.date | tuple) -> str:
    if isinstance(value, tuple):
        value = dt.datetime(*value)
    return value.isoformat()


def _check_name(name: str) -> bytes:
    """Archive member names: relative POSIX paths, no '..', nothing sha256sum would have to escape."""
    if not name or name.startswith("/") or name.endswith("/"):
        raise ValueError(f"bad archive name: {name!r}")
    if "\\" in name or "\n" in name or "\r" in name or "\0" in name:
        raise ValueError(f"archive name has a forbidden character: {name!r}")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"archive name is not a normalised relative path: {name!r}")
    return name.encode("utf-8")


def _probe_size(f: BinaryIO) -> int | None:
    """Remaining bytes in ``f`` if cheaply knowable (regular file or seekable), else None."""
    try:
        st = os.fstat(f.fileno())
        if stat.S_ISREG(st.st_mode):
            pos = f.tell() if f.seekable() else 0
            return st.st_size - pos
    except (AttributeError, OSError, io.UnsupportedOperation, ValueError):
        pass
    try:
        if f.seekable():
            pos = f.tell()
            end = f.seek(0, io.SEEK_END)
            f.seek(pos)
            return end - pos
    except (AttributeError, OSError, io.UnsupportedOperation, ValueError):
        pass
    return None


def _open_source(source: Source) -> BinaryIO:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb", buffering=0)
    return source()


class ZipStreamWriter:
    """Low-level writer: ``add()`` entries, optionally ``add_manifest()``, then ``close()``.

    ``start_offset`` is the number of archive bytes already written before
    ``out``'s current position (used by :func:`personalise` after copying the
    base records); ``records`` may be pre-filled with those bytes' records.
    ``close()`` writes the central directory and end records but does not
    close ``out``.  ``out.write`` must not keep a reference to the buffer it
    is given after returning (the standard :class:`io.RawIOBase` contract):
    the writer reuses one chunk buffer.
    """

    def __init__(
        self,
        out: BinaryIO,
        *,
        date_time: dt.datetime | dt.date | tuple,
        chunk_size: int = CHUNK_SIZE,
        start_offset: int = 0,
        records: Sequence[EntryRecord] = (),
    ) -> None:
        self._out = out
        self._time, self._date = _dos_datetime(date_time)
        self._buf = bytearray(chunk_size)
        self.offset = start_offset
        self.records: list[EntryRecord] = list(records)
        self._names = {r.name for r in self.records}
        self.bytes_done = sum(r.size for r in self.records)  # uncompressed bytes so far
        self.closed = False

    # -- output ----------------------------------------------------------------------------
    def _write(self, data: bytes | memoryview) -> None:
        n = self._out.write(data)
        if n is not None and n < len(data):  # a raw stream may write short
            view = memoryview(data)
            while n < len(view):
                m = self._out.write(view[n:])
                n += m or 0
        self.offset += len(data)

    # -- entries ---------------------------------------------------------------------------
    def add(self, entry: Entry, *, force_zip64: bool = False) -> EntryRecord:
        if self.closed:
            raise ValueError("writer is closed")
        name_bytes = _check_name(entry.name)
        if entry.name in self._names:
            raise ValueError(f"duplicate archive name: {entry.name!r}")
        flags = 0 if name_bytes.isascii() else _FLAG_UTF8
        if isinstance(entry.source, (bytes, bytearray, memoryview)):
            record = self._add_bytes(entry.name, name_bytes, flags, bytes(entry.source), entry.deflate, force_zip64)
        else:
            record = self._add_stream(entry, name_bytes, flags, force_zip64)
        self._names.add(entry.name)
        self.records.append(record)
        self.bytes_done += record.size
        return record

    def _local_header(self, name_bytes, flags, method, crc, csize, usize, zip64) -> bytes:
        if zip64:
            extra = struct.pack("<HHQQ", 0x0001, 16, usize, csize)
            csize = usize = _U32
            version = 45
        else:
            extra = b""
            version = 20
        header = _LOCAL.pack(
            _SIG_LOCAL, version, flags, method, self._time, self._date, crc, csize, usize, len(name_bytes), len(extra)
        )
        return header + name_bytes + extra

    def _add_bytes(self, name, name_bytes, flags, data, deflate, force_zip64) -> EntryRecord:
        crc = zlib.crc32(data)
        digest = hashlib.sha256(data).hexdigest()
        if deflate:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = comp.compress(data) + comp.flush()
            method = _DEFLATED
        else:
            payload, method = data, _STORED
        zip64 = force_zip64 or len(data) >= _U32 or len(payload) >= _U32
        start = self.offset
        self._write(self._local_header(name_bytes, flags, method, crc, len(payload), len(data), zip64))
        self._write(payload)
        return EntryRecord(
            name=name,
            size=len(data),
            compressed_size=len(payload),
            crc32=crc,
            sha256=digest,
            header_offset=start,
            end_offset=self.offset,
            method=method,
            flags=flags,
            version_needed=45 if zip64 else 20,
            zip64_local=zip64,
        )

    def _add_stream(self, entry: Entry, name_bytes, flags, force_zip64) -> EntryRecord:
        f = _open_source(entry.source)
        try:
            size = entry.size if entry.size is not None else _probe_size(f)
            deflate = entry.deflate
            # Deflate can expand incompressible data by ~0.03 %; keep a wide margin.
            zip64 = force_zip64 or size is None or size + (size >> 6) + 65536 >= _U32
            flags |= _FLAG_DATA_DESCRIPTOR
            method = _DEFLATED if deflate else _STORED
            start = self.offset
            self._write(self._local_header(name_bytes, flags, method, 0, 0, 0, zip64))
            data_start = self.offset

            crc32 = zlib.crc32
            sha = hashlib.sha256()
            update = sha.update
            comp = zlib.compressobj(6, zlib.DEFLATED, -15) if deflate else None
            buf = self._buf
            view = memoryview(buf)
            full = len(buf)
            readinto = getattr(f, "readinto", None)
            write = self._write
            crc = 0
            usize = 0
            while True:
                if readinto is not None:
                    n = readinto(buf)
                    if not n:
                        if n is None:  # a non-blocking source with nothing ready: refuse to truncate
                            raise BlockingIOError(f"{entry.name}: source returned no data without EOF")
                        break
                    chunk = view if n == full else view[:n]
                else:
                    data = f.read(full)
                    if not data:
                        break
                    chunk, n = data, len(data)
                crc = crc32(chunk, crc)
                update(chunk)
                usize += n
                if comp is None:
                    write(chunk)
                else:
                    packed = comp.compress(chunk)
                    if packed:
                        write(packed)
            if comp is not None:
                write(comp.flush())
            csize = self.offset - data_start
        finally:
            f.close()
        if not zip64 and (usize >= _U32 or csize >= _U32):
            raise ValueError(
                f"{entry.name}: {usize} bytes read but the entry was started without ZIP64 "
                f"(size hint {size}); the archive is unusable"
            )
        if zip64:
            self._write(_DD64.pack(_SIG_DD, crc, csize, usize))
        else:
            self._write(_DD32.pack(_SIG_DD, crc, csize, usize))
        return EntryRecord(
            name=entry.name,
            size=usize,
            compressed_size=csize,
            crc32=crc,
            sha256=sha.hexdigest(),
            header_offset=start,
            end_offset=self.offset,
            method=method,
            flags=flags,
            version_needed=45 if zip64 else 20,
            zip64_local=zip64,
        )

    def manifest_bytes(self, manifest_name: str = MANIFEST_NAME) -> bytes:
        """``sha256sum`` lines for every entry so far, paths relative to the manifest's folder, sorted."""
        folder = posixpath.dirname(manifest_name)
        prefix = folder + "/" if folder else ""
        lines = []
        for record in sorted(self.records, key=lambda r: r.name):
            if not record.name.startswith(prefix):
                raise ValueError(f"{record.name!r} is outside the manifest's folder {folder!r}")
            lines.append(f"{record.sha256}  {record.name[len(prefix) :]}\n")
        return "".join(lines).encode("utf-8")

    def add_manifest(self, manifest_name: str = MANIFEST_NAME) -> EntryRecord:
        return self.add(Entry(manifest_name, self.manifest_bytes(manifest_name), compress=True))

    # -- central directory -------------------------------------------------------------------
    def close(self) -> int:
        """Write the central directory and end records; return the archive's total length."""
        if self.closed:
            return self.offset
        cd_start = self.offset
        parts = []
        for r in self.records:
            name_bytes = r.name.encode("utf-8")
            usize, csize, offset = r.size, r.compressed_size, r.header_offset
            values = []
            if usize >= _U32:
                values.append(usize)
                usize = _U32
            if csize >= _U32:
                values.append(csize)
                csize = _U32
            if offset >= _U32:
                values.append(offset)
                offset = _U32
            extra = struct.pack(f"<HH{len(values)}Q", 0x0001, 8 * len(values), *values) if values else b""
            version = 45 if (values or r.zip64_local) else r.version_needed
            parts.append(
                _CENTRAL.pack(
                    _SIG_CENTRAL,
                    _MADE_BY,
                    version,
                    r.flags,
                    r.method,
                    self._time,
                    self._date,
                    r.crc32,
                    csize,
                    usize,
                    len(name_bytes),
                    len(extra),
                    0,  # comment length
                    0,  # disk number start
                    0,  # internal attributes
                    _EXTERNAL_ATTR,
                    offset,
                )
                + name_bytes
                + extra
            )
            if len(parts) >= 4096:
                self._write(b"".join(parts))
                parts.clear()
        if parts:
            self._write(b"".join(parts))
        cd_size = self.offset - cd_start
        count = len(self.records)
        if count >= _U16 or cd_size >= _U32 or cd_start >= _U32:
            eocd64_offset = self.offset
            self._write(_EOCD64.pack(_SIG_EOCD64, 44, _MADE_BY, 45, 0, 0, count, count, cd_size, cd_start))
            self._write(_EOCD64_LOCATOR.pack(_SIG_EOCD64_LOCATOR, 0, eocd64_offset, 1))
        self._write(
            _EOCD.pack(_SIG_EOCD, 0, 0, min(count, _U16), min(count, _U16), min(cd_size, _U32), min(cd_start, _U32), 0)
        )
        self.closed = True
        return self.offset


def _report(progress: ProgressCallback | None, writer: ZipStreamWriter, total: int) -> None:
    if progress is not None:
        progress(len(writer.records), total, writer.bytes_done)


def write_zip(
    out: BinaryIO,
    entries: Iterable[Entry],
    *,
    date_time: dt.datetime | dt.date | tuple,
    manifest: bool = True,
    manifest_name: str = MANIFEST_NAME,
    progress: ProgressCallback | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> list[EntryRecord]:
    """Write a complete ZIP of ``entries`` (in order), plus ``manifest_name`` last if ``manifest``.

    ``progress(files_done, files_total, bytes_done)`` is called after each
    entry (the manifest counts as a file; ``bytes_done`` = uncompressed bytes).
    Returns the records of all entries written, manifest included.
    """
    entries = list(entries)
    total = len(entries) + (1 if manifest else 0)
    writer = ZipStreamWriter(out, date_time=date_time, chunk_size=chunk_size)
    for entry in entries:
        writer.add(entry)
        _report(progress, writer, total)
    if manifest:
        writer.add_manifest(manifest_name)
        _report(progress, writer, total)
    writer.close()
    return writer.records


def build_base(
    out: BinaryIO,
    entries: Iterable[Entry],
    *,
    date_time: dt.datetime | dt.date | tuple,
    progress: ProgressCallback | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> BaseIndex:
    """Write the buyer-independent entries as a complete, valid ZIP (no manifest); return its index."""
    entries = list(entries)
    writer = ZipStreamWriter(out, date_time=date_time, chunk_size=chunk_size)
    for entry in entries:
        writer.add(entry)
        _report(progress, writer, len(entries))
    local_end = writer.offset
    base_size = writer.close()
    return BaseIndex(entries=tuple(writer.records), local_end=local_end, base_size=base_size, date_time=_iso(date_time))


def _verify_base(base: BinaryIO, index: BaseIndex) -> None:
    """Check (central directory only, no file data read) that ``base`` is the archive ``index`` describes."""
    import zipfile

    end = base.seek(0, io.SEEK_END)
    if end != index.base_size:
        raise ValueError(f"base is {end} bytes, its index says {index.base_size}")
    with zipfile.ZipFile(base) as zf:
        infos = zf.infolist()
        if len(infos) != len(index.entries):
            raise ValueError("base and index list a different number of entries")
        for info, rec in zip(infos, index.entries, strict=True):
            got = (info.filename, info.CRC, info.file_size, info.compress_size, info.header_offset, info.compress_type)
            want = (rec.name, rec.crc32, rec.size, rec.compressed_size, rec.header_offset, rec.method)
            if got != want:
                raise ValueError(f"base entry {got} does not match its index {want}")
        if zf.start_dir != index.local_end:
            raise ValueError("base central directory is not where the index says")
    base.seek(0)


def _copy_prefix(src: BinaryIO, out: BinaryIO, length: int, chunk_size: int) -> None:
    """Copy ``src[0:length]`` to ``out`` at its current position; in-kernel when both are real files."""
    try:
        src_fd, out_fd = src.fileno(), out.fileno()
        fast = out.seekable() and stat.S_ISREG(os.fstat(src_fd).st_mode) and stat.S_ISREG(os.fstat(out_fd).st_mode)
    except (AttributeError, OSError, io.UnsupportedOperation, ValueError):
        fast = False
    if fast and hasattr(os, "copy_file_range"):
        out.flush()
        out_pos = out.tell()
        done = 0
        try:
            while done < length:
                n = os.copy_file_range(src_fd, out_fd, length - done, done, out_pos + done)
                if n == 0:
                    raise ValueError(f"base ended after {done} of {length} bytes")
                done += n
        except OSError:
            if done:
                raise
            fast = False  # e.g. EXDEV on old kernels: fall back to the plain loop
        else:
            out.seek(out_pos + length)
            return
    if src.seekable():
        src.seek(0)
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    left = length
    while left:
        n = src.readinto(view[: min(left, chunk_size)]) if hasattr(src, "readinto") else None
        if n is None:
            data = src.read(min(left, chunk_size))
            n = len(data)
            chunk = data
        else:
            chunk = view[:n]
        if not n:
            raise ValueError(f"base ended after {length - left} of {length} bytes")
        w = out.write(chunk)
        while w is not None and w < n:  # short raw write
            w += out.write(chunk[w:]) or 0
        left -= n


def personal_tail(
    index: BaseIndex,
    extra: Iterable[Entry],
    out: BinaryIO,
    *,
    date_time: dt.datetime | dt.date | tuple | None = None,
    manifest: bool = True,
    manifest_name: str = MANIFEST_NAME,
    progress: ProgressCallback | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> list[EntryRecord]:
    """Write only what follows the base's local records in a buyer's archive.

    The buyer's archive is exactly ``base[0:index.local_end] + tail``: the
    personal entries, the manifest and a central directory covering base and
    personal entries, with offsets as if the base prefix preceded it.  This
    lets a second buyer's bundle be assembled without touching the image
    bytes at all -- e.g. an S3 multipart upload whose first parts are
    ``UploadPartCopy`` ranges of the stored base object and whose last part is
    the tail, or an HTTP response streaming the base range then the tail.
    :func:`personalise` is this plus the byte copy of the prefix.
    Returns the records of all entries (base, extra, manifest).
    """
    if index.format != 1:
        raise ValueError("unsupported BaseIndex")
    extra = list(extra)
    total = len(index.entries) + len(extra) + (1 if manifest else 0)
    writer = ZipStreamWriter(
        out,
        date_time=index.datetime if date_time is None else date_time,
        chunk_size=chunk_size,
        start_offset=index.local_end,
        records=index.entries,
    )
    _report(progress, writer, total)
    for entry in extra:
        writer.add(entry)
        _report(progress, writer, total)
    if manifest:
        writer.add_manifest(manifest_name)
        _report(progress, writer, total)
    writer.close()
    return writer.records


def personalise(
    base: BinaryIO,
    index: BaseIndex,
    extra: Iterable[Entry],
    out: BinaryIO,
    *,
    date_time: dt.datetime | dt.date | tuple | None = None,
    manifest: bool = True,
    manifest_name: str = MANIFEST_NAME,
    progress: ProgressCallback | None = None,
    verify: bool = True,
    chunk_size: int = CHUNK_SIZE,
) -> list[EntryRecord]:
    """One buyer's archive: the base's local records copied verbatim + ``extra`` + manifest + new central directory.

    ``base`` is read sequentially from its start (it may be non-seekable when
    ``verify`` is False); when it is seekable and ``verify`` is True its
    central directory is first checked against ``index`` (no file data is
    read).  ``out`` must be at the start of the new archive.  The prefix is
    copied with ``os.copy_file_range`` when both are regular files, else in
    ``chunk_size`` chunks.  ``date_time`` defaults to the base's, which makes
    the result byte-identical to ``write_zip`` over all entries.  Returns the
    records of all entries (base, extra, manifest).
    """
    if index.format != 1:
        raise ValueError("unsupported BaseIndex")
    if verify and base.seekable():
        _verify_base(base, index)
    _copy_prefix(base, out, index.local_end, chunk_size)
    return personal_tail(
        index,
        extra,
        out,
        date_time=date_time,
        manifest=manifest,
        manifest_name=manifest_name,
        progress=progress,
        chunk_size=chunk_size,
    )
