"""The download bundle of a dataset version, Django-free.

Three layers, all taking plain data:

* :mod:`licensing.delivery.archive.writer` -- one-pass, deterministic, streaming ZIP
  writer with SHA-256 per entry, ZIP64, a ``MANIFEST.sha256`` and the
  base/personalise split that lets every buyer after the first be served by a
  byte copy.
* :mod:`licensing.delivery.archive.formats` -- the files ML tools open (metadata table,
  COCO, YOLO, Pascal VOC, Croissant 1.0 + RAI, LICENSE/README text).
* this module -- which files go where for an edition (:func:`base_entries`,
  :func:`personal_entries`) and a one-shot :func:`build_bundle`.

Archive layout (everything under one top folder, so that several bundles of a
large order unzip side by side)::

    <slug>-v<version>-<edition>/
        README.txt                  base
        croissant.json              base  (Croissant 1.0 + RAI; hashes of the files below)
        image_metadata.csv          base
        images/metadata.jsonl       base  (HF imagefolder metadata; file_name relative to images/)
        images/<file_name>          base  (STORED, bytes as given)
        annotations/coco.json       base, annotated edition only (every image)
        annotations/coco_<split>.json base, annotated edition only (train, validation, test)
        train.txt, val.txt, test.txt base, annotated edition only (YOLO image lists per split)
        annotations/voc/ImageSets/Main/{train,val,test}.txt  base, annotated edition only
        annotations/voc/<stem>.xml  base, annotated edition only
        labels/<stem>.txt           base, annotated edition only (YOLO)
        data.yaml                   base, annotated edition only (YOLO)
        LICENSE.txt                 personal (names the buyer and the order)
        MANIFEST.sha256             personal (sha256sum format, every other file)

Typical use by the worker::

    entries = base_entries(items, info, edition="annotated", open_image=storage_open)
    with open(base_path, "wb") as f:
        index = build_base(f, entries, date_time=bundle_date_time(info))
    index_json = index.to_json()                      # stored beside the base zip
    ...
    with open(base_path, "rb") as base, upload_stream() as out:
        personalise_bundle(base, BaseIndex.from_json(index_json), out,
                           info=info, edition="annotated", license=license_txt(...))

or, to avoid copying the image bytes at all, store only the buyer's tail and
serve/upload ``base[:index.local_end] + tail`` (see ``writer.personal_tail``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import BinaryIO

from licensing.delivery.archive import formats
from licensing.delivery.archive.formats import (
    coco_json,
    croissant_json,
    license_txt,
    metadata_csv,
    metadata_jsonl,
    readme_txt,
    voc_files,
    yolo_files,
)
from licensing.delivery.archive.writer import (
    CHUNK_SIZE,
    BaseIndex,
    Entry,
    EntryRecord,
    ZipStreamWriter,
    build_base,
    personal_tail,
    personalise,
    write_zip,
)

__all__ = [
    "ANNOTATED",
    "CHUNK_SIZE",
    "UNEDITED",
    "BaseIndex",
    "Entry",
    "EntryRecord",
    "ZipStreamWriter",
    "base_entries",
    "build_base",
    "build_bundle",
    "bundle_date_time",
    "bundle_root",
    "coco_json",
    "croissant_json",
    "index_part",
    "license_txt",
    "manifest_name",
    "metadata_csv",
    "metadata_jsonl",
    "part_file_name",
    "part_plan",
    "part_root",
    "personal_entries",
    "personal_tail",
    "personal_tail_bundle",
    "personalise",
    "personalise_bundle",
    "readme_txt",
    "voc_files",
    "write_zip",
    "yolo_files",
]

ANNOTATED = "annotated"  # catalog.models.Edition.ANNOTATED ("edited for machine learning")
UNEDITED = "unedited"
_EDITIONS = (ANNOTATED, UNEDITED)


def bundle_root(info: Mapping, edition: str) -> str:
    """Top folder of the archive: ``<slug>-v<version>-<edition>``."""
    if edition not in _EDITIONS:
        raise ValueError(f"unknown edition {edition!r}")
    slug = str(info["slug"])
    if not slug or "/" in slug or slug.startswith("."):
        raise ValueError(f"bad slug {slug!r}")
    return f"{slug}-v{int(info['version'])}-{edition}"


def manifest_name(root: str) -> str:
    return f"{root}/MANIFEST.sha256"


def bundle_date_time(info: Mapping) -> dt.datetime:
    """The timestamp of every entry: the version's freeze time, in UTC (ZIP times have no zone)."""
    frozen = dt.datetime.fromisoformat(str(info["frozen_at"]))
    if frozen.tzinfo is not None:
        frozen = frozen.astimezone(dt.UTC).replace(tzinfo=None)
    return frozen


def base_entries(
    items: Sequence[Mapping],
    info: Mapping,
    *,
    edition: str,
    open_image: Callable[[str], BinaryIO],
    image_sizes: Mapping[str, int] | None = None,
    root: str | None = None,
) -> list[Entry]:
    """The buyer-independent entries of a version+edition, in archive order.

    ``open_image(file_name)`` returns a readable binary file of the delivered
    image bytes (already stripped of GPS EXIF); it is called once per image,
    while the archive is written.  ``image_sizes`` (optional, bytes per file
    name) only spares the writer a size probe.  Order: text files, then the
    images (in item order), so the big copy is one contiguous run.  ``root``
    (default :func:`bundle_root`) is the folder of every entry; a part has its own.
    """
    root = root or bundle_root(info, edition)
    annotated = edition == ANNOTATED
    items = formats.with_splits(list(items), content_hash=str(info.get("content_hash") or ""))
    if not items:
        raise ValueError("a bundle needs at least one image")
    generated: dict[str, bytes] = {
        formats.METADATA_JSONL: metadata_jsonl(items),
        formats.METADATA_CSV: metadata_csv(items),
    }
    if annotated:
        generated[formats.COCO_JSON] = coco_json(items, info)
        for split in formats.SPLITS:
            generated[formats.coco_split_path(split)] = formats.coco_split_json(
                generated[formats.COCO_JSON], items, split
            )
        generated.update(voc_files(items, database=f"Stockdata {info['slug']} v{int(info['version'])}"))
        generated.update(yolo_files(items))
    # Croissant lists the generated files it describes (with SHA-256); the images are a FileSet.
    described = {
        p: b for p, b in generated.items() if p in (formats.METADATA_JSONL, formats.METADATA_CSV, formats.COCO_JSON)
    }
    generated[formats.CROISSANT_JSON] = croissant_json(items, info, described)
    generated["README.txt"] = readme_txt(
        dataset_title=str(info["title"]),
        dataset_slug=str(info["slug"]),
        version=int(info["version"]),
        edition=edition,
        description=str(info.get("description") or ""),
        frozen_at=str(info["frozen_at"]),
        content_hash=str(info.get("content_hash") or ""),
        required_scopes=info.get("required_scopes") or (),
        image_count=len(items),
        annotated=annotated,
        notes=info.get("notes") or (),
        annotation=info.get("annotation"),
        splits={split: sum(1 for item in items if item["split"] == split) for split in formats.SPLITS},
        box_count=sum(len(item.get("boxes") or ()) for item in items),
    )
    entries = [Entry(f"{root}/{path}", data, compress=True) for path, data in sorted(generated.items())]
    sizes = image_sizes or {}
    for item in items:
        name = item["file_name"]
        entries.append(
            Entry(
                f"{root}/{formats.IMAGES_DIR}/{name}",
                functools.partial(open_image, name),
                compress=False,
                size=sizes.get(name),
            )
        )
    return entries


def personal_entries(*, root: str, license: bytes) -> list[Entry]:
    """The buyer's own entries (before the manifest): ``LICENSE.txt``."""
    return [Entry(f"{root}/LICENSE.txt", license, compress=True)]


def build_bundle(
    out: BinaryIO,
    items: Sequence[Mapping],
    info: Mapping,
    *,
    edition: str,
    open_image: Callable[[str], BinaryIO],
    license: bytes,
    image_sizes: Mapping[str, int] | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> list[EntryRecord]:
    """One buyer's complete bundle in one pass (same bytes as build_base + personalise)."""
    root = bundle_root(info, edition)
    entries = base_entries(items, info, edition=edition, open_image=open_image, image_sizes=image_sizes)
    entries += personal_entries(root=root, license=license)
    return write_zip(
        out, entries, date_time=bundle_date_time(info), manifest_name=manifest_name(root), progress=progress
    )


def personalise_bundle(
    base: BinaryIO,
    index: BaseIndex,
    out: BinaryIO,
    *,
    info: Mapping,
    edition: str,
    license: bytes,
    progress: Callable[[int, int, int], None] | None = None,
) -> list[EntryRecord]:
    """A buyer's bundle from the stored base of the version+edition: copy + LICENSE.txt + manifest."""
    root = bundle_root(info, edition)
    return personalise(
        base,
        index,
        personal_entries(root=root, license=license),
        out,
        manifest_name=manifest_name(root),
        progress=progress,
    )


def personal_tail_bundle(
    index: BaseIndex,
    out: BinaryIO,
    *,
    info: Mapping,
    edition: str,
    license: bytes,
    progress: Callable[[int, int, int], None] | None = None,
    root: str | None = None,
) -> list[EntryRecord]:
    """Only what follows the base's local records in a buyer's bundle (LICENSE.txt, manifest, new
    central directory): ``base[:index.local_end] + tail`` is byte for byte ``personalise_bundle``'s output.
    ``root``: the part's folder, for a part of a parted bundle (:func:`part_root`)."""
    root = root or bundle_root(info, edition)
    return personal_tail(
        index,
        personal_entries(root=root, license=license),
        out,
        manifest_name=manifest_name(root),
        progress=progress,
    )


# --- Parts: a big dataset as self-contained ZIPs built in parallel ----------------------------
#
# Every part unpacks into the same top folder, each into its own sub-folder, so nothing collides
# when a buyer unpacks every part into one place:
#
#     <slug>-v<N>-<edition>/
#         part-001/ images/..., images/metadata.jsonl, annotations/coco.json, ..., LICENSE.txt,
#                   MANIFEST.sha256 (of that part)          <- ...-part-001-of-004.zip
#         part-002/ ...                                      <- ...-part-002-of-004.zip
#         LICENSE.txt, MANIFEST.sha256 (every file of every part)   <- ...-index.zip
#
# A part is the images of a run of items with their own annotations and metadata rows (the same
# generators as a whole bundle, over the part's items; splits are the whole version's), so each
# opens alone in pycocotools, HF imagefolder, YOLO and VOC tools.


def part_plan(items: Sequence[Mapping], sizes: Mapping[str, int], *, part_bytes: int) -> list[list[Mapping]]:
    """Items in order, cut into runs of at most ``part_bytes`` image bytes (an image bigger than
    that is a part alone); one run when everything fits."""
    if part_bytes <= 0:
        raise ValueError("part_bytes must be positive")
    parts: list[list[Mapping]] = [[]]
    filled = 0
    for item in items:
        size = int(sizes.get(item["file_name"], 0))
        if parts[-1] and filled + size > part_bytes:
            parts.append([])
            filled = 0
        parts[-1].append(item)
        filled += size
    return parts


def part_root(info: Mapping, edition: str, number: int) -> str:
    """The folder of part ``number`` (1-based) inside the bundle's top folder."""
    return f"{bundle_root(info, edition)}/part-{number:03d}"


def part_file_name(info: Mapping, edition: str, number: int, count: int, suffix: str = "") -> str:
    """``<slug>-v<N>-<edition>-part-001-of-004<suffix>.zip``; ``number=0`` names the index part."""
    root = bundle_root(info, edition)
    if number == 0:
        return f"{root}-index{suffix}.zip"
    return f"{root}-part-{number:03d}-of-{count:03d}{suffix}.zip"


def index_part(
    out: BinaryIO,
    info: Mapping,
    *,
    edition: str,
    license: bytes,
    parts: Sequence[Sequence[EntryRecord]],
) -> list[EntryRecord]:
    """The small index part: the buyer's LICENSE.txt and a ``MANIFEST.sha256`` listing every file of
    every part (``parts``: each part's records, its own manifest included) and of this index,
    relative to the top folder, so that ``sha256sum -c`` checks the whole dataset once every part
    is unpacked into one folder. (Each part carries its own Croissant, describing its own files.)"""
    import hashlib

    root = bundle_root(info, edition)
    licence_name = f"{root}/LICENSE.txt"
    lines = [(hashlib.sha256(license).hexdigest(), licence_name)]
    for records in parts:
        lines += [(r.sha256, r.name) for r in records]
    names = [name for _sha, name in lines]
    if len(set(names)) != len(names):
        raise ValueError("two parts hold the same file")
    manifest = "".join(f"{sha}  {name[len(root) + 1 :]}\n" for sha, name in sorted(lines, key=lambda x: x[1]))
    entries = [
        Entry(licence_name, license, compress=True),
        Entry(manifest_name(root), manifest.encode("utf-8"), compress=True),
    ]
    return write_zip(out, entries, date_time=bundle_date_time(info), manifest=False)
