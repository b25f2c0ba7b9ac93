"""The files inside a bundle that ML tools open: pure functions over plain data.

No Django.  Every function returns ``bytes`` (or ``{path: bytes}``) and is
deterministic: the same input gives the same bytes (JSON with sorted keys
where order carries no meaning, fixed separators, ``\\n`` line ends).

Input shapes
------------
An *item* (one photo of a frozen dataset version)::

    {"file_name": "sd_0123abcd.jpg", "width": 4000, "height": 3000,
     "tags": ["mask", "outdoor"], "attributes": {"setting": "street"},
     "subjects": [{"subject_id": "S-ABCD2345", "age_band": "30-39",
                   "gender": "female", "mask": True, ...}],
     "scopes": ["ai_training", "biometric", "publication"],
     "boxes": [{"label": "face", "x": 10, "y": 20, "w": 300, "h": 400}]}

``width``/``height`` and boxes are in pixels of the *displayed* orientation,
origin at the top-left; a box covers pixel columns ``x .. x+w-1`` and rows
``y .. y+h-1``.  ``file_name`` is a bare file name (no folder).

*info* (the dataset version)::

    {"slug", "title", "description", "version": int, "frozen_at": ISO datetime,
     "content_hash", "required_scopes": [...], "licence_name", "url"}

Bundle layout (paths relative to the bundle's top folder, see
:mod:`licensing.delivery.archive`)::

    images/<file_name>            the photos
    images/metadata.jsonl         one row per photo   (metadata_jsonl)
    image_metadata.csv            the same table, CSV (metadata_csv)
    annotations/coco.json         COCO detection      (coco_json; edited edition)
    labels/<stem>.txt, data.yaml  YOLO                (yolo_files; edited edition)
    annotations/voc/<stem>.xml    Pascal VOC          (voc_files; edited edition)
    croissant.json                MLCommons Croissant 1.0 + RAI (croissant_json)

Box conventions, all describing the same pixels:

* COCO: ``bbox = [x, y, w, h]`` as floats, 0-based, top-left origin.
* YOLO: ``class cx cy w h``, each divided by the image width/height, 6 decimals;
  class 0 = face, 1 = mask.
* VOC: integer ``xmin = x + 1``, ``ymin = y + 1``, ``xmax = x + w``,
  ``ymax = y + h`` -- 1-based and inclusive, as in the original PASCAL VOC
  devkit (so ``xmax - xmin + 1 == w``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import posixpath
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from catalog.splits import SPLITS, TEST, TRAIN, VALIDATION, split_by_subject
from stockdata.csv_export import csv_writer

__all__ = [
    "CATEGORIES",
    "COCO_JSON",
    "CROISSANT_JSON",
    "IMAGES_DIR",
    "METADATA_CSV",
    "METADATA_JSONL",
    "VOC_DIR",
    "YOLO_DATA_YAML",
    "YOLO_LABELS_DIR",
    "coco_json",
    "coco_split_json",
    "croissant_json",
    "license_txt",
    "metadata_csv",
    "metadata_jsonl",
    "metadata_rows",
    "readme_txt",
    "validate_items",
    "voc_files",
    "with_splits",
    "yolo_files",
]

# Paths inside the bundle's top folder.
IMAGES_DIR = "images"
METADATA_JSONL = "images/metadata.jsonl"
METADATA_CSV = "image_metadata.csv"  # not "metadata.csv": see metadata_csv()
COCO_JSON = "annotations/coco.json"
VOC_DIR = "annotations/voc"
YOLO_LABELS_DIR = "labels"
YOLO_DATA_YAML = "data.yaml"
CROISSANT_JSON = "croissant.json"
VOC_SPLITS_DIR = "annotations/voc/ImageSets/Main"
#: YOLO's names for the splits (Ultralytics' data.yaml keys) and the image lists at the top folder.
YOLO_SPLIT_KEYS = {TRAIN: "train", VALIDATION: "val", TEST: "test"}


def coco_split_path(split: str) -> str:
    return f"annotations/coco_{split}.json"


def yolo_list_path(split: str) -> str:
    return f"{YOLO_SPLIT_KEYS[split]}.txt"


#: Detection classes: name -> (COCO category id, YOLO class id).
CATEGORIES: dict[str, tuple[int, int]] = {"face": (1, 0), "mask": (2, 1)}
_SUPERCATEGORY = {"face": "person", "mask": "accessory"}

_MIME = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}

#: Metadata columns, in order (``file_name`` first, as the HF imagefolder loader wants).
COLUMNS = (
    "file_name",
    "width",
    "height",
    "tags",
    "attributes",
    "subject_count",
    "subject_ids",
    "subject_age_bands",
    "subject_genders",
    "subject_masks",
    "subjects",
    "scopes",
    "split",
)


def _dumps(value: Any, *, sort_keys: bool = True) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))


def _stem(file_name: str) -> str:
    return posixpath.splitext(file_name)[0]


#: Subject fields that would identify a person: refused (subjects are passed through into ``subjects``).
_IDENTIFYING_KEYS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "date_of_birth",
        "birth_date",
        "release",
        "release_id",
        "release_document",
        "document",
        "signature",
        "contact",
    }
)


def with_splits(items: Sequence[Mapping], *, content_hash: str) -> list[dict]:
    """The items with their ``split`` (train / validation / test, by subject: :mod:`catalog.splits`).

    Items that already carry a ``split`` keep it: the delivery splits the whole version before it
    leaves out withdrawn photos, so a rebuilt bundle never moves a photo between splits.
    """
    if all(item.get("split") for item in items):
        return [dict(item) for item in items]
    splits = split_by_subject(items, content_hash=content_hash)
    return [{**item, "split": item.get("split") or splits[item["file_name"]]} for item in items]


def _split(item: Mapping) -> str:
    return item.get("split") or TRAIN


def validate_items(items: Sequence[Mapping]) -> None:
    """Raise ValueError on data no format could represent faithfully.

    Bare, unique file names (unique stems too: YOLO and VOC files are named by
    stem); positive integer sizes; known box labels; integer boxes with
    positive size lying inside the image; every subject has a ``subject_id``
    and none of the obviously identifying fields (name, email, release
    document, ...) -- subject dicts are otherwise copied as they are into the
    ``subjects`` column, so callers pass only pseudonymous attributes.
    """
    names: set[str] = set()
    stems: set[str] = set()
    for item in items:
        name = item["file_name"]
        if not name or "/" in name or "\\" in name or name.startswith(".") or name == "metadata.jsonl":
            raise ValueError(f"bad file_name: {name!r}")
        if name in names or _stem(name) in stems:
            raise ValueError(f"duplicate file name or stem: {name!r}")
        names.add(name)
        stems.add(_stem(name))
        if item.get("split") is not None and item["split"] not in SPLITS:
            raise ValueError(f"{name}: unknown split {item['split']!r}")
        for subject in item.get("subjects") or ():
            if not subject.get("subject_id"):
                raise ValueError(f"{name}: every subject needs a pseudonymous subject_id")
            leaked = _IDENTIFYING_KEYS.intersection(subject)
            if leaked:
                raise ValueError(f"{name}: subject fields {sorted(leaked)} identify a person; bundles are pseudonymous")
        width, height = item["width"], item["height"]
        if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
            raise ValueError(f"{name}: width/height must be positive integers")
        for box in item.get("boxes") or ():
            if box["label"] not in CATEGORIES:
                raise ValueError(f"{name}: unknown box label {box['label']!r}")
            x, y, w, h = box["x"], box["y"], box["w"], box["h"]
            if not all(isinstance(v, int) for v in (x, y, w, h)):
                raise ValueError(f"{name}: box coordinates must be integers: {box}")
            if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
                raise ValueError(f"{name}: box {box} is empty or outside the {width}x{height} image")


# --------------------------------------------------------------------------- metadata table
def metadata_rows(items: Sequence[Mapping]) -> list[dict[str, Any]]:
    """The per-image table as dicts (column order = :data:`COLUMNS`); types are the same on every row.

    * ``tags``, ``scopes``, ``subject_ids``, ``subject_age_bands``,
      ``subject_genders``: lists of strings (age band / gender ``None`` when
      unknown); ``subject_masks``: list of booleans; all subject lists are in
      the same order.
    * ``attributes`` and ``subjects``: JSON text (objects whose keys vary from
      photo to photo would make Arrow infer a different struct per chunk).
      ``subjects`` keeps every subject field, for lossless round trips.
    """
    validate_items(items)
    rows = []
    for item in items:
        subjects = list(item.get("subjects") or ())
        rows.append(
            {
                "file_name": item["file_name"],
                "width": int(item["width"]),
                "height": int(item["height"]),
                "tags": [str(t) for t in item.get("tags") or ()],
                "attributes": _dumps(dict(item.get("attributes") or {})),
                "subject_count": len(subjects),
                "subject_ids": [str(s["subject_id"]) for s in subjects],
                "subject_age_bands": [None if s.get("age_band") is None else str(s["age_band"]) for s in subjects],
                "subject_genders": [None if s.get("gender") is None else str(s["gender"]) for s in subjects],
                "subject_masks": [bool(s.get("mask", False)) for s in subjects],
                "subjects": _dumps(subjects),
                "scopes": [str(s) for s in item.get("scopes") or ()],
                "split": _split(item),
            }
        )
    return rows


def metadata_jsonl(items: Sequence[Mapping]) -> bytes:
    """``images/metadata.jsonl``: one JSON object per line, ``file_name`` first and relative to ``images/``.

    Lives inside ``images/`` so that ``datasets.load_dataset("imagefolder",
    data_dir="<bundle>/images")`` (and ``data_dir="<bundle>"``) finds it: the
    loader resolves ``file_name`` against the folder holding the metadata file.
    """
    lines = [_dumps(row, sort_keys=False) + "\n" for row in metadata_rows(items)]
    return "".join(lines).encode("utf-8")


def metadata_csv(items: Sequence[Mapping]) -> bytes:
    """``image_metadata.csv``: the same table as CSV, for spreadsheets and pandas.

    UTF-8 with a byte-order mark (so Excel on a Japanese Windows opens it as
    UTF-8; ``pandas.read_csv`` strips it), CRLF line ends (RFC 4180).  List
    and object columns hold JSON text.  Written by the product's one CSV writer
    (``stockdata.csv_export``): the numeric columns (``width``, ``height``,
    ``subject_count``) are numbers and stay numbers; the JSON columns start with
    ``[`` or ``{``; only a text cell (``file_name``) that starts like a
    spreadsheet formula (``= + - @``, tab, CR) is written with a leading ``'``.
    It is NOT called ``metadata.csv`` and
    not put in ``images/``: the HF imagefolder loader refuses a tree with
    metadata files of two formats.
    """
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow(COLUMNS)
    for row in metadata_rows(items):
        writer.writerow([_dumps(v, sort_keys=False) if isinstance(v, (list, dict, bool)) else v for v in row.values()])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- annotations
def _boxes(item: Mapping) -> list[Mapping]:
    return list(item.get("boxes") or ())


def _frozen(info: Mapping) -> dt.datetime:
    return dt.datetime.fromisoformat(str(info["frozen_at"]))


def coco_json(items: Sequence[Mapping], info: Mapping) -> bytes:
    """COCO detection JSON (``annotations/coco.json``); ``file_name`` is relative to ``images/``.

    Image ids are 1.. in item order, annotation ids 1.. in item then box
    order; ``bbox`` = ``[x, y, w, h]`` float pixels; ``area`` = ``w*h``;
    ``iscrowd`` 0; categories face=1, mask=2.  No ``segmentation`` key (boxes only).
    """
    validate_items(items)
    frozen = _frozen(info)
    images, annotations = [], []
    for image_id, item in enumerate(items, start=1):
        images.append(
            {
                "id": image_id,
                "file_name": item["file_name"],
                "width": item["width"],
                "height": item["height"],
                "license": 1,
            }
        )
        for box in _boxes(item):
            w, h = float(box["w"]), float(box["h"])
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": CATEGORIES[box["label"]][0],
                    "bbox": [float(box["x"]), float(box["y"]), w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    doc = {
        "info": {
            "description": str(info["title"]),
            "url": str(info.get("url") or ""),
            "version": str(info["version"]),
            "year": frozen.year,
            "contributor": "Stockdata",
            "date_created": frozen.isoformat(),
        },
        "licenses": [{"id": 1, "name": str(info["licence_name"]), "url": str(info.get("url") or "")}],
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": cid, "name": name, "supercategory": _SUPERCATEGORY[name]} for name, (cid, _) in CATEGORIES.items()
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def coco_split_json(coco: bytes, items: Sequence[Mapping], split: str) -> bytes:
    """``annotations/coco_<split>.json``: the images of one split and their boxes, cut from the whole
    file (same image and annotation ids, so the files agree with each other)."""
    doc = json.loads(coco)
    names = {item["file_name"] for item in items if _split(item) == split}
    doc["images"] = [image for image in doc["images"] if image["file_name"] in names]
    ids = {image["id"] for image in doc["images"]}
    doc["annotations"] = [a for a in doc["annotations"] if a["image_id"] in ids]
    doc["info"]["description"] = f"{doc['info']['description']} ({split} split)"
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def yolo_files(items: Sequence[Mapping]) -> dict[str, bytes]:
    """YOLO (Ultralytics/Darknet) labels: ``labels/<stem>.txt`` per image + ``data.yaml``.

    ``labels/`` is a sibling of ``images/``, where Ultralytics looks for them
    (it swaps ``/images/`` for ``/labels/`` in each image path).  An image
    without boxes gets an empty file (a background image).  ``data.yaml`` has
    no ``path:`` key, so Ultralytics resolves ``images`` against the YAML's
    own folder.
    """
    validate_items(items)
    files: dict[str, bytes] = {}
    for item in items:
        width, height = item["width"], item["height"]
        lines = []
        for box in _boxes(item):
            x, y, w, h = box["x"], box["y"], box["w"], box["h"]
            lines.append(
                f"{CATEGORIES[box['label']][1]} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} "
                f"{w / width:.6f} {h / height:.6f}\n"
            )
        files[f"{YOLO_LABELS_DIR}/{_stem(item['file_name'])}.txt"] = "".join(lines).encode("ascii")
    for split in SPLITS:
        files[yolo_list_path(split)] = "".join(
            f"./{IMAGES_DIR}/{item['file_name']}\n" for item in items if _split(item) == split
        ).encode("utf-8")
    names = "".join(
        f"  {yolo_id}: {name}\n" for name, (_, yolo_id) in sorted(CATEGORIES.items(), key=lambda kv: kv[1][1])
    )
    files[YOLO_DATA_YAML] = (
        "# YOLO dataset (Ultralytics format). Paths are relative to this file's folder.\n"
        "# Splits by subject: nobody appears in two of train, val and test (lists of ./images/... paths).\n"
        + "".join(f"{YOLO_SPLIT_KEYS[split]}: {yolo_list_path(split)}\n" for split in SPLITS)
        + f"nc: {len(CATEGORIES)}\n"
        "names:\n" + names
    ).encode("utf-8")
    return files


def voc_files(items: Sequence[Mapping], *, database: str = "Stockdata") -> dict[str, bytes]:
    """One Pascal VOC XML per image, ``annotations/voc/<stem>.xml`` (1-based inclusive integer boxes)."""
    validate_items(items)
    files: dict[str, bytes] = {}
    for item in items:
        root = ET.Element("annotation")
        ET.SubElement(root, "folder").text = IMAGES_DIR
        ET.SubElement(root, "filename").text = item["file_name"]
        source = ET.SubElement(root, "source")
        ET.SubElement(source, "database").text = database
        size = ET.SubElement(root, "size")
        ET.SubElement(size, "width").text = str(item["width"])
        ET.SubElement(size, "height").text = str(item["height"])
        ET.SubElement(size, "depth").text = str(item.get("depth", 3))
        ET.SubElement(root, "segmented").text = "0"
        for box in _boxes(item):
            obj = ET.SubElement(root, "object")
            ET.SubElement(obj, "name").text = box["label"]
            ET.SubElement(obj, "pose").text = "Unspecified"
            ET.SubElement(obj, "truncated").text = "0"
            ET.SubElement(obj, "difficult").text = "0"
            bnd = ET.SubElement(obj, "bndbox")
            ET.SubElement(bnd, "xmin").text = str(box["x"] + 1)
            ET.SubElement(bnd, "ymin").text = str(box["y"] + 1)
            ET.SubElement(bnd, "xmax").text = str(box["x"] + box["w"])
            ET.SubElement(bnd, "ymax").text = str(box["y"] + box["h"])
        ET.indent(root, space="  ")
        xml = ET.tostring(root, encoding="unicode")
        files[f"{VOC_DIR}/{_stem(item['file_name'])}.xml"] = (
            '<?xml version="1.0" encoding="utf-8"?>\n' + xml + "\n"
        ).encode("utf-8")
    # The VOC devkit's split lists: one stem per line.
    for split in SPLITS:
        files[f"{VOC_SPLITS_DIR}/{YOLO_SPLIT_KEYS[split]}.txt"] = "".join(
            f"{_stem(item['file_name'])}\n" for item in items if _split(item) == split
        ).encode("utf-8")
    return files


# --------------------------------------------------------------------------- Croissant
CROISSANT_CONTEXT: dict[str, Any] = {
    # The @context of the Croissant 1.0 specification (mlcommons.org/croissant/1.0), as mlcroissant
    # checks it (it warns about any missing key).
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",  # not in the 1.0 text; mlcroissant's reference context has it
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_FILE_FORMATS = {
    ".jsonl": "application/jsonlines",
    ".json": "application/json",
    ".csv": "text/csv",
    ".yaml": "application/yaml",
    ".txt": "text/plain",
    ".xml": "application/xml",
}


def _sha256_of(value: bytes | str) -> tuple[str, int | None]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return hashlib.sha256(value).hexdigest(), len(value)
    return str(value), None


def _field(
    record_set: str,
    name: str,
    data_type: str,
    description: str,
    *,
    column: str | None = None,
    repeated: bool = False,
    file_object: str = "metadata-jsonl",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{record_set}/{name}",
        "name": name,
        "description": description,
        "dataType": data_type,
        "source": {"fileObject": {"@id": file_object}, "extract": {"column": column or name}},
    }
    if repeated:
        out["repeated"] = True
    return out


def croissant_json(items: Sequence[Mapping], info: Mapping, files: Mapping[str, bytes | str]) -> bytes:
    """``croissant.json``: MLCommons Croissant 1.0 JSON-LD with the Responsible-AI (``rai:``) vocabulary.

    ``files`` maps bundle paths (relative to the bundle's top folder, where
    ``croissant.json`` sits) to their content (``bytes``, hashed here) or their
    SHA-256 hex.  It must contain :data:`METADATA_JSONL`; each file listed
    becomes a ``cr:FileObject`` with its ``sha256``.  The photos are a
    ``cr:FileSet`` (``images/*.<ext>``; no per-file hashes there --
    ``MANIFEST.sha256`` has them).  Record sets: ``images`` (the metadata
    table, keyed by ``file_name``, which references ``image_files/file_name``)
    and ``image_files`` (file name + image content from the FileSet).
    Only files common to every buyer should be listed, so ``croissant.json``
    can live in the shared base archive.
    """
    validate_items(items)
    if METADATA_JSONL not in files:
        raise ValueError(f"croissant_json needs {METADATA_JSONL} in files")
    frozen = _frozen(info)
    version = int(info["version"])
    scopes = sorted({str(s) for s in info.get("required_scopes") or ()})
    n_items = len(items)
    n_subjects = len({s["subject_id"] for item in items for s in item.get("subjects") or ()})
    n_boxes = sum(len(_boxes(item)) for item in items)
    has_boxes = any(path == COCO_JSON for path in files)
    per_split = {split: sum(1 for item in items if _split(item) == split) for split in SPLITS}
    split_text = ", ".join(f"{split} {count}" for split, count in per_split.items())

    distribution: list[dict[str, Any]] = []
    for path in sorted(files):
        digest, size = _sha256_of(files[path])
        file_id = "metadata-jsonl" if path == METADATA_JSONL else path.replace("/", "-").replace(".", "-")
        obj: dict[str, Any] = {
            "@type": "cr:FileObject",
            "@id": file_id,
            "name": path,
            "contentUrl": path,
            "encodingFormat": _FILE_FORMATS.get(posixpath.splitext(path)[1].lower(), "application/octet-stream"),
            "sha256": digest,
        }
        if size is not None:
            obj["contentSize"] = f"{size} B"
        distribution.append(obj)
    exts = sorted({posixpath.splitext(item["file_name"])[1] for item in items}) or [".jpg"]  # globs are case-sensitive
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": "image-files",
            "name": "image-files",
            "description": "The photos, as delivered (location metadata removed). SHA-256 of each in MANIFEST.sha256.",
            "encodingFormat": sorted({_MIME.get(e.lower(), "application/octet-stream") for e in exts}),
            "includes": [f"{IMAGES_DIR}/*{e}" for e in exts],
        }
    )

    record_sets = [
        {
            "@type": "cr:RecordSet",
            "@id": "image_files",
            "name": "image_files",
            "description": "Every photo file of the dataset.",
            "key": {"@id": "image_files/file_name"},
            "field": [
                {
                    "@type": "cr:Field",
                    "@id": "image_files/file_name",
                    "name": "file_name",
                    "description": "File name, relative to images/.",
                    "dataType": "sc:Text",
                    "source": {"fileSet": {"@id": "image-files"}, "extract": {"fileProperty": "filename"}},
                },
                {
                    "@type": "cr:Field",
                    "@id": "image_files/image",
                    "name": "image",
                    "description": "The photo.",
                    "dataType": "sc:ImageObject",
                    "source": {"fileSet": {"@id": "image-files"}, "extract": {"fileProperty": "content"}},
                },
            ],
        },
        {
            "@type": "cr:RecordSet",
            "@id": "images",
            "name": "images",
            "description": "One record per photo: size, tags, pseudonymous subjects and their consent scopes "
            "(images/metadata.jsonl).",
            "key": {"@id": "images/file_name"},
            "field": [
                {
                    **_field("images", "file_name", "sc:Text", "File name, relative to images/."),
                    "references": {"field": {"@id": "image_files/file_name"}},
                },
                _field("images", "width", "sc:Integer", "Width in pixels (displayed orientation)."),
                _field("images", "height", "sc:Integer", "Height in pixels (displayed orientation)."),
                _field("images", "tags", "sc:Text", "Keywords.", repeated=True),
                _field("images", "attributes", "sc:Text", "Photo attributes, as a JSON object."),
                _field("images", "subject_count", "sc:Integer", "Number of people in the photo."),
                _field("images", "subject_ids", "sc:Text", "Pseudonymous subject ids (S-XXXXXXXX).", repeated=True),
                _field("images", "subject_age_bands", "sc:Text", "Age band of each subject.", repeated=True),
                _field("images", "subject_genders", "sc:Text", "Gender of each subject, as declared.", repeated=True),
                _field("images", "subject_masks", "sc:Boolean", "Whether each subject wears a mask.", repeated=True),
                _field(
                    "images",
                    "subjects",
                    "sc:Text",
                    "All subject fields, as a JSON array; consent_receipt gives the id and SHA-256 of the "
                    "subject's signed consent receipt (no personal data), which the subject can show to prove "
                    "what they consented to.",
                ),
                _field(
                    "images",
                    "scopes",
                    "sc:Text",
                    "Consent scopes held by the photo: the intersection of its subjects' release scopes.",
                    repeated=True,
                ),
                {
                    **_field(
                        "images",
                        "split",
                        "sc:Text",
                        "train, validation or test: by subject, so nobody appears in two splits.",
                    ),
                    "references": {"field": {"@id": "splits/name"}},
                },
            ],
        },
        {
            "@type": "cr:RecordSet",
            "@id": "splits",
            "name": "splits",
            "description": "The splits of the images record set, by subject (80/10/10 of the photos, deterministic "
            f"from the version's content hash): {split_text}.",
            "dataType": "cr:Split",
            "key": {"@id": "splits/name"},
            "field": [
                {"@type": "cr:Field", "@id": "splits/name", "name": "name", "dataType": "sc:Text"},
                {"@type": "cr:Field", "@id": "splits/url", "name": "url", "dataType": "sc:URL"},
            ],
            "data": [
                {"splits/name": TRAIN, "splits/url": "cr:TrainingSplit"},
                {"splits/name": VALIDATION, "splits/url": "cr:ValidationSplit"},
                {"splits/name": TEST, "splits/url": "cr:TestSplit"},
            ],
        },
    ]

    if has_boxes:
        # Only one record set reads coco.json: mlcroissant reads every jsonPath of a file into one
        # table, so images[*] and annotations[*] (different lengths) cannot both be extracted.
        coco_id = COCO_JSON.replace("/", "-").replace(".", "-")

        def coco_field(record_set: str, name: str, data_type: str, description: str, json_path: str) -> dict:
            return {
                "@type": "cr:Field",
                "@id": f"{record_set}/{name}",
                "name": name,
                "description": description,
                "dataType": data_type,
                "source": {"fileObject": {"@id": coco_id}, "extract": {"jsonPath": json_path}},
            }

        record_sets += [
            {
                "@type": "cr:RecordSet",
                "@id": "boxes",
                "name": "boxes",
                "description": "Face and mask boxes (annotations/coco.json): [x, y, w, h] in pixels, top-left origin.",
                "key": {"@id": "boxes/id"},
                "field": [
                    coco_field("boxes", "id", "sc:Integer", "COCO annotation id.", "$.annotations[*].id"),
                    coco_field(
                        "boxes",
                        "image_id",
                        "sc:Integer",
                        "COCO image id (annotations/coco.json images[].id).",
                        "$.annotations[*].image_id",
                    ),
                    coco_field(
                        "boxes", "category_id", "sc:Integer", "1 = face, 2 = mask.", "$.annotations[*].category_id"
                    ),
                    coco_field("boxes", "bbox", "cr:BoundingBox", "[x, y, w, h] in pixels.", "$.annotations[*].bbox"),
                ],
            },
        ]

    scope_text = ", ".join(scopes) if scopes else "none declared"
    ai_terms = ai_training_terms(scopes)
    doc: dict[str, Any] = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": str(info["title"]),
        "alternateName": str(info["slug"]),
        "description": str(info.get("description") or info["title"]),
        "version": f"{version}.0.0",
        "datePublished": frozen.date().isoformat(),
        "dateModified": frozen.date().isoformat(),
        "license": str(info["licence_name"]),
        "creator": {"@type": "sc:Organization", "name": "Stockdata"},
        "publisher": {"@type": "sc:Organization", "name": "Stockdata"},
        "keywords": ["face detection", "face recognition", "masks", "images", *scopes],
        "citeAs": f"Stockdata, {info['title']}, version {version} ({frozen.date().isoformat()})",
        "distribution": distribution,
        "recordSet": record_sets,
        # --- Responsible AI (Croissant RAI 1.0) ---
        "rai:dataCollection": (
            "Photographs taken by contributing photographers and uploaded to Stockdata together with a signed "
            "model release for every person who appears in them. Each release lists the uses the person "
            "consented to (consent scopes); a photo holds only the scopes that every one of its subjects "
            "granted. Staff reviewed every photo and every release before the photo could enter a dataset, and "
            f"this version was assembled and frozen on {frozen.date().isoformat()}."
        ),
        "rai:dataCollectionType": ["Manual Human Curator", "Others"],
        "rai:dataPreprocessingProtocol": [
            "Original image files; EXIF location (GPS) data removed before delivery. No resizing or re-encoding.",
            (
                "Subjects are identified only by pseudonymous ids (S- followed by 8 characters); names, contact "
                "details and release documents are never included."
            ),
        ],
        **annotation_rai(info.get("annotation"), n_items=n_items, n_boxes=n_boxes, has_boxes=has_boxes),
        "rai:personalSensitiveInformation": [
            (
                f"The photos show the faces of {n_subjects} identifiable people: biometric data in the sense of "
                "the GDPR (Art. 9) and personal information under Japan's APPI."
            ),
            (
                "Consent basis: every person has a signed model release granting the listed consent scopes "
                f"({scope_text}); the 'scopes' column gives each photo's scopes. Minors' releases carry a guardian's "
                "signature. Releases are kept by Stockdata and are not part of the dataset."
            ),
            (
                "Age band, gender and mask wearing are declared per subject; subjects are pseudonymous. Stockdata "
                "records each provision of these photos to a third party (the buyer), per subject."
            ),
        ],
        "rai:dataUseCases": [
            (
                f"Training and evaluating machine-learning models within the consented scopes ({scope_text}), "
                "such as face detection and recognition of masked and unmasked faces."
            ),
            (
                f"{ai_terms['sentence']} (IPTC plus:DataMining {ai_terms['plus:DataMining'].rsplit('/', 1)[-1]}; "
                "CAWG cawg.ai_generative_training: "
                f"{ai_terms['cawg.training-mining']['cawg.ai_generative_training']['use']}.)"
            ),
            "Measuring and reducing the accuracy gap of face-analysis systems across demographic groups.",
            (
                "Not permitted: any use outside the consented scopes or the licence; attempting to re-identify "
                "subjects beyond their pseudonymous ids; surveillance or profiling of the people shown; "
                "redistribution of the photos."
            ),
        ],
        "rai:dataLimitations": [
            (
                "A curated, relatively small set of posed and candid stock photographs; not a random sample of any "
                "population or of real-world capture conditions."
            ),
            (
                "Prohibited uses: uses not covered by the consent scopes or the licence, identifying or contacting "
                "the people shown, surveillance, and sharing the photos with third parties."
            ),
            (
                "Consent can be withdrawn: photos of a subject who withdraws are left out of bundles built later; "
                "licensees should honour withdrawal notices under their licence."
            ),
        ],
        "rai:dataBiases": [
            (
                "Composition follows the curation query of this dataset (for example nationality, age bands, mask "
                "wearing); other groups, ages and settings are under-represented or absent."
            ),
            "Demographic attributes are self- or photographer-declared, not measured.",
        ],
        "rai:dataSocialImpact": (
            "Intended to improve the accuracy of face analysis for groups under-represented in common training "
            "data; face recognition can also enable surveillance, which the licence prohibits."
        ),
        "rai:dataReleaseMaintenancePlan": (
            "Each version is frozen and can be rebuilt byte for byte; corrections and consent withdrawals are "
            "published as new versions."
        ),
    }
    if info.get("url"):
        doc["url"] = str(info["url"])
    if info.get("content_hash"):
        doc["identifier"] = str(info["content_hash"])
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- annotation record
ANNOTATION_PLATFORM = "Stockdata box editor (staff web tool: draw, move, relabel, confirm, mark a photo complete)"


def annotation_lines(annotation: Mapping | None, *, n_items: int, n_boxes: int) -> list[str]:
    """What was done to annotate a version, in sentences, from the counts frozen with it.

    ``annotation`` is the version's record summary (``catalog.photos.selectors.annotation_summary``):
    detectors, proposals kept / rejected, boxes drawn by hand, reviewers, photos marked complete.
    A version frozen before those records were kept says only what its items prove.
    """
    if not annotation:
        return [
            (
                f"{n_boxes} face and mask boxes over {n_items} photos; every box was confirmed by a person when the "
                "version was frozen. No further annotation records were kept for this version."
            )
        ]
    detectors = ", ".join(annotation.get("detectors") or ()) or "none"
    frozen = annotation["photos"]
    lines = [
        (
            f"When the version was frozen its {frozen} photos held {annotation['face_boxes']} face boxes and "
            f"{annotation['mask_boxes']} mask boxes (axis-aligned, in pixels)."
        ),
        (
            f"Automatic proposals: faces only, by {detectors}, run on {annotation['photos_run_by_detector']} of the "
            f"{frozen} photos. {annotation['proposals_kept']} proposals were kept (and corrected where needed), "
            f"{annotation['proposals_rejected']} were rejected as false, and {annotation['added_by_hand']} boxes "
            "were drawn by hand."
        ),
        (
            "Every box was confirmed and every photo marked 'annotation complete' (every face and every mask boxed, "
            f"no false box) by a person: {annotation['photos_complete']} of {frozen} photos, by "
            f"{annotation['reviewers']} reviewer(s)."
        ),
    ]
    if frozen != n_items:
        lines.append(f"This bundle holds {n_items} of those photos ({n_boxes} boxes).")
    return lines


def annotation_rai(annotation: Mapping | None, *, n_items: int, n_boxes: int, has_boxes: bool) -> dict[str, Any]:
    """The Croissant RAI annotation fields, computed from the version's annotation record."""
    if not has_boxes:
        return {
            "rai:dataAnnotationProtocol": [
                "Unedited edition: no bounding boxes. Subject attributes come from the contributors' declarations."
            ]
        }
    out: dict[str, Any] = {
        "rai:dataAnnotationProtocol": annotation_lines(annotation, n_items=n_items, n_boxes=n_boxes),
        "rai:dataAnnotationPlatform": [ANNOTATION_PLATFORM],
    }
    if annotation:
        out["rai:machineAnnotationTools"] = [
            f"{name} (face proposals only; a person confirmed or rejected each)"
            for name in annotation.get("detectors") or ()
        ]
        per_photo = f"{n_boxes / n_items:.2f}" if n_items else "0"
        out["rai:annotationsPerItem"] = (
            f"{per_photo} boxes per photo on average; one annotation per photo, confirmed and marked complete "
            f"by a person ({annotation['reviewers']} reviewer(s) in all)."
        )
    return out


# --------------------------------------------------------------------------- AI training terms
AI_TRAINING_SCOPE = "ai_training"
GENERATIVE_AI_TRAINING_SCOPE = "generative_ai_training"


def ai_training_terms(scopes: Iterable[str]) -> dict[str, Any]:
    """What the consent scopes every photo holds say about AI training, in the industry's words.

    IPTC PLUS ``plus:DataMining`` and the CAWG training-and-data-mining assertion separate
    generative training from other training; so do our releases. Generative training needs
    both scopes (it is AI training too).
    """
    held = set(scopes)
    training = AI_TRAINING_SCOPE in held
    generative = training and GENERATIVE_AI_TRAINING_SCOPE in held
    if generative:
        data_mining = "DMI-ALLOWED"
        sentence = (
            "Generative AI training: permitted. Every person shown granted the generative AI training scope "
            "(models that create new images, video or text)."
        )
    elif training:
        data_mining = "DMI-PROHIBITED-GENAIMLTRAINING"
        sentence = (
            "Generative AI training: NOT permitted. Not every person shown granted the generative AI training "
            "scope; do not use these photos to train models that create images, video or text."
        )
    else:
        data_mining = "DMI-PROHIBITED-AIMLTRAINING"
        sentence = "AI training: NOT permitted, generative or not. Not every person shown granted an AI training scope."
    return {
        "plus:DataMining": f"http://ns.useplus.org/ldf/vocab/{data_mining}",
        "cawg.training-mining": {
            "cawg.ai_training": {"use": "allowed" if training else "notAllowed"},
            "cawg.ai_generative_training": {"use": "allowed" if generative else "notAllowed"},
        },
        "generative_permitted": generative,
        "sentence": sentence,
    }


# --------------------------------------------------------------------------- text files
def license_txt(
    *,
    buyer_organisation: str,
    order_number: str,
    dataset_title: str,
    dataset_slug: str,
    version: int,
    edition: str,
    licence_name: str,
    licence_terms: str,
    issued_on: str,
    content_hash: str = "",
    required_scopes: Iterable[str] = (),
) -> bytes:
    """``LICENSE.txt``: names the licensee and the order, the consent scopes every photo holds and
    whether generative AI training is permitted; followed by the licence terms, verbatim."""
    header = [
        f"LICENCE: {licence_name}",
        "",
        f"Licensee:      {buyer_organisation}",
        f"Order:         {order_number}",
        f"Issued on:     {issued_on}",
        f"Dataset:       {dataset_title} ({dataset_slug})",
        f"Version:       {version}",
        f"Edition:       {edition}",
    ]
    if content_hash:
        header.append(f"Content hash:  {content_hash}")
    scopes = sorted({str(s) for s in required_scopes})
    header += [
        f"Consent:       {', '.join(scopes) or 'none declared'}",
        "",
        *textwrap.wrap(ai_training_terms(scopes)["sentence"], 100),
    ]
    header += [
        "",
        "This copy of the dataset is licensed to the licensee named above only, under the terms below.",
        "",
        "-" * 72,
        "",
    ]
    terms = licence_terms.replace("\r\n", "\n").rstrip("\n") + "\n"
    return ("\n".join(header) + terms).encode("utf-8")


def readme_txt(
    *,
    dataset_title: str,
    dataset_slug: str,
    version: int,
    edition: str,
    description: str,
    frozen_at: str,
    content_hash: str,
    required_scopes: Iterable[str],
    image_count: int,
    annotated: bool,
    notes: Iterable[str] = (),
    annotation: Mapping | None = None,
    box_count: int = 0,
    splits: Mapping[str, int] | None = None,
) -> bytes:
    """``README.txt``: what is in the bundle and how to load it.  Buyer-independent (it lives in the base).

    ``notes`` are lines printed under the photo count (e.g. how many photos of the version are
    left out because consent was withdrawn after it was frozen).
    """
    required_scopes = [str(s) for s in required_scopes]
    scopes = ", ".join(sorted(required_scopes)) or "none"
    desc = "\n".join(textwrap.fill(p, 78) for p in description.replace("\r\n", "\n").split("\n"))
    lines = [
        f"{dataset_title}",
        "=" * min(len(dataset_title), 78),
        "",
        f"Dataset {dataset_slug}, version {version}, {edition} edition; frozen {frozen_at}.",
        f"Content hash: {content_hash}",
        f"Photos: {image_count}. Consent scopes held by every photo: {scopes}.",
        ai_training_terms(required_scopes)["sentence"],
        *(str(n) for n in notes),
        "",
        desc,
        "",
        "Contents",
        "--------",
        "LICENSE.txt            your licence: names your organisation and order",
        "MANIFEST.sha256        SHA-256 of every other file; check with: sha256sum -c MANIFEST.sha256",
        "README.txt             this file",
        "croissant.json         MLCommons Croissant 1.0 metadata with Responsible-AI fields",
        "image_metadata.csv     per-photo table (UTF-8 with BOM; list columns hold JSON)",
        "images/                the photos (location data removed)",
        "images/metadata.jsonl  per-photo table; file_name is relative to images/; 'split' column",
    ]
    if annotated:
        lines += [
            "annotations/coco.json  COCO detection boxes (face=1, mask=2; bbox = x, y, w, h in pixels)",
            "annotations/coco_train.json, coco_validation.json, coco_test.json  the same, per split",
            "annotations/voc/       Pascal VOC XML per photo (1-based inclusive pixel boxes);",
            "                       split lists in annotations/voc/ImageSets/Main/{train,val,test}.txt",
            "labels/, data.yaml     YOLO labels per photo (class cx cy w h, normalised; 0 face, 1 mask)",
            "train.txt, val.txt, test.txt  YOLO image lists per split (data.yaml points at them)",
        ]
    if splits:
        lines += [
            "",
            "Splits",
            "------",
            "Train / validation / test by subject: a person never appears in two splits (photos without people",
            "are split one by one); about 80/10/10 of the photos, the same every time for this version (chosen",
            "from its content hash). " + ", ".join(f"{name}: {count} photos" for name, count in splits.items()) + ".",
        ]
    lines += [
        "",
        "Loading",
        "-------",
        "Hugging Face datasets (one table; the 'split' column names each photo's split):",
        '    ds = datasets.load_dataset("imagefolder", data_dir="<this folder>/images")["train"]',
        '    test = ds.filter(lambda row: row["split"] == "test")',
        "MLCommons Croissant:",
        '    mlcroissant.Dataset(jsonld="<this folder>/croissant.json").records("images")',
    ]
    if annotated:
        lines += [
            "Ultralytics YOLO:",
            '    YOLO(...).train(data="<this folder>/data.yaml")',
            "pycocotools:",
            '    COCO("<this folder>/annotations/coco_train.json")  # images in <this folder>/images',
        ]
    if annotated:
        lines += ["", "Annotation", "----------"]
        for sentence in annotation_lines(annotation, n_items=image_count, n_boxes=box_count):
            lines += textwrap.wrap(sentence, 100)
    lines += [
        "",
        "Subjects are identified by pseudonymous ids only. Every person shown signed a model release granting",
        "the consent scopes listed per photo. Use the data only within those scopes and your licence.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")
