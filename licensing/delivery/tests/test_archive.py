"""The Django-free bundle core: ZIP writer, ML formats, base/personalise reuse.

No database.  External tools are the real ones: ``unzip``, ``sha256sum``, the
``mlcroissant`` CLI and Python API, Hugging Face ``datasets``; 7-Zip and
bsdtar are used when installed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from catalog.splits import split_by_subject
from conftest import requires
from licensing.delivery.archive import (
    ANNOTATED,
    UNEDITED,
    BaseIndex,
    Entry,
    EntryRecord,
    ZipStreamWriter,
    base_entries,
    build_base,
    build_bundle,
    bundle_date_time,
    bundle_root,
    formats,
    manifest_name,
    personal_entries,
    personal_tail,
    personalise,
    personalise_bundle,
    write_zip,
)

BIN = Path(sys.executable).parent
ROOT_A = "faces-masks-v3-annotated"
ROOT_U = "faces-masks-v3-unedited"
SEVEN_ZIP = shutil.which("7zz") or shutil.which("7z")
BSDTAR = shutil.which("bsdtar")


# ----------------------------------------------------------------------------- fixtures
def _jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "JPEG", quality=90)  # no EXIF at all
    return buf.getvalue()


@pytest.fixture(scope="module")
def version():
    sizes = [(64, 48), (50, 70), (81, 61)]
    images = {}
    items = []
    for i, (w, h) in enumerate(sizes):
        name = f"sd_{0x0123ABCD + i:08x}.jpg"
        images[name] = _jpeg(w, h, (40 * i, 120, 200))
        items.append(
            {
                "file_name": name,
                "width": w,
                "height": h,
                "tags": [["マスク", "outdoor"], [], ["mask"]][i],
                "attributes": [{"setting": "street"}, {}, {"lighting": "studio", "setting": "indoor"}][i],
                "subjects": [
                    {
                        "subject_id": f"S-ABCD234{i}",
                        "age_band": "30-39",
                        "gender": "female",
                        "mask": i != 1,
                        "nationality": "JP",
                    },
                    *(
                        [{"subject_id": "S-ZZZZ2222", "age_band": None, "gender": "male", "mask": False}]
                        if i == 2
                        else []
                    ),
                ],
                "scopes": ["ai_training", "biometric", "publication"],
                "boxes": [
                    [
                        {"label": "face", "x": 3, "y": 4, "w": 20, "h": 25},
                        {"label": "mask", "x": 7, "y": 15, "w": 12, "h": 9},
                    ],
                    [],
                    # one box touching the right and bottom edges, one at the origin
                    [
                        {"label": "face", "x": 60, "y": 40, "w": 21, "h": 21},
                        {"label": "face", "x": 0, "y": 0, "w": 1, "h": 1},
                        {"label": "mask", "x": 62, "y": 50, "w": 15, "h": 8},
                    ],
                ][i],
            }
        )
    info = {
        "slug": "faces-masks",
        "title": "Japanese faces with masks",
        "description": "Test version.\nSecond paragraph.",
        "version": 3,
        "frozen_at": "2026-03-01T18:30:15+09:00",
        "content_hash": "ab" * 32,
        "required_scopes": ["ai_training", "biometric"],
        "licence_name": "Stockdata ML Training Licence 1.0",
        "url": "https://stockdata.example/datasets/faces-masks",
    }
    return items, info, images


def _open(images):
    return lambda name: io.BytesIO(images[name])


def _license(buyer: str, order: str, info) -> bytes:
    return formats.license_txt(
        buyer_organisation=buyer,
        order_number=order,
        dataset_title=info["title"],
        dataset_slug=info["slug"],
        version=info["version"],
        edition=ANNOTATED,
        licence_name=info["licence_name"],
        licence_terms="1. Use only within the consent scopes.\n2. Do not redistribute.\n",
        issued_on="2026-04-02",
        content_hash=info["content_hash"],
    )


@pytest.fixture(scope="module")
def bundle(version, tmp_path_factory):
    """The annotated bundle for buyer A, written to disk and unzipped with the unzip CLI."""
    items, info, images = version
    tmp = tmp_path_factory.mktemp("bundle")
    path = tmp / "bundle.zip"
    progress = []
    with open(path, "wb") as f:
        records = build_bundle(
            f,
            items,
            info,
            edition=ANNOTATED,
            open_image=_open(images),
            license=_license("Acme Vision KK", "SD-2026-0001", info),
            progress=lambda *a: progress.append(a),
        )
    out = tmp / "unzipped"
    subprocess.run(["unzip", "-q", str(path), "-d", str(out)], check=True)
    return path, records, out / ROOT_A, progress


# ----------------------------------------------------------------------------- layout and integrity
def test_exact_file_list(bundle, version):
    path, records, _, _ = bundle
    stems = ["sd_0123abcd", "sd_0123abce", "sd_0123abcf"]
    expected = sorted(
        [
            f"{ROOT_A}/{p}"
            for p in (
                "LICENSE.txt",
                "MANIFEST.sha256",
                "README.txt",
                "croissant.json",
                "image_metadata.csv",
                "data.yaml",
                "annotations/coco.json",
                "images/metadata.jsonl",
                # Splits by subject (issue 16): COCO per split, YOLO image lists, the VOC devkit's lists.
                "annotations/coco_train.json",
                "annotations/coco_validation.json",
                "annotations/coco_test.json",
                "train.txt",
                "val.txt",
                "test.txt",
                "annotations/voc/ImageSets/Main/train.txt",
                "annotations/voc/ImageSets/Main/val.txt",
                "annotations/voc/ImageSets/Main/test.txt",
            )
        ]
        + [f"{ROOT_A}/images/{s}.jpg" for s in stems]
        + [f"{ROOT_A}/labels/{s}.txt" for s in stems]
        + [f"{ROOT_A}/annotations/voc/{s}.xml" for s in stems]
    )
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == expected
        assert zf.testzip() is None
        for info in zf.infolist():
            assert info.date_time == (2026, 3, 1, 9, 30, 14)  # freeze time in UTC, DOS 2-second resolution
            assert info.external_attr >> 16 == 0o100644
            want = zipfile.ZIP_STORED if info.filename.endswith(".jpg") else zipfile.ZIP_DEFLATED
            assert info.compress_type == want, info.filename
    assert [r.name for r in records] == [
        *sorted(n for n in expected if "/images/sd_" not in n and not n.endswith(("LICENSE.txt", "MANIFEST.sha256"))),
        *(f"{ROOT_A}/images/{s}.jpg" for s in stems),
        f"{ROOT_A}/LICENSE.txt",
        f"{ROOT_A}/MANIFEST.sha256",
    ]


def test_unzip_test_and_sha256sum_check(bundle, version):
    path, records, root, _ = bundle
    _, _, images = version
    subprocess.run(["unzip", "-tq", str(path)], check=True, capture_output=True)
    res = subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=root, check=True, capture_output=True, text=True)
    lines = res.stdout.splitlines()
    assert len(lines) == len(records) - 1 and all(line.endswith(": OK") for line in lines)
    # the photos are the bytes given, and the records' hashes are the files' hashes
    for name, data in images.items():
        assert (root / "images" / name).read_bytes() == data
    for r in records:
        assert hashlib.sha256((root.parent / r.name).read_bytes()).hexdigest() == r.sha256
    # no GPS in the photos (there was no EXIF to begin with; the writer adds nothing)
    with Image.open(root / "images" / "sd_0123abcd.jpg") as im:
        assert not im.getexif().get_ifd(0x8825)
    licence = (root / "LICENSE.txt").read_text()
    assert "Acme Vision KK" in licence and "SD-2026-0001" in licence


@requires("7zip", "bsdtar")
def test_other_readers(bundle, tmp_path):
    path = bundle[0]
    res = subprocess.run([SEVEN_ZIP, "t", str(path)], check=False, capture_output=True, text=True)
    assert res.returncode == 0 and "Everything is Ok" in res.stdout, res.stdout + res.stderr
    # streaming read (from a pipe, no central directory): data descriptors must be right
    with open(path, "rb") as f:
        subprocess.run([BSDTAR, "-xf", "-", "-C", str(tmp_path)], stdin=f, check=True)
    subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=tmp_path / ROOT_A, check=True)


# ----------------------------------------------------------------------------- annotations
def _input_boxes(items):
    return {
        item["file_name"]: sorted((b["label"], b["x"], b["y"], b["w"], b["h"]) for b in item["boxes"]) for item in items
    }


def test_coco_yolo_voc_agree_to_the_pixel(bundle, version):
    items, _, _ = version
    root = bundle[2]
    want = _input_boxes(items)
    sizes = {i["file_name"]: (i["width"], i["height"]) for i in items}

    coco = json.loads((root / "annotations/coco.json").read_text())
    assert coco["categories"] == [
        {"id": 1, "name": "face", "supercategory": "person"},
        {"id": 2, "name": "mask", "supercategory": "accessory"},
    ]
    names = {c["id"]: c["name"] for c in coco["categories"]}
    images = {im["id"]: im for im in coco["images"]}
    assert [im["file_name"] for im in coco["images"]] == [i["file_name"] for i in items]
    assert all((im["width"], im["height"]) == sizes[im["file_name"]] for im in coco["images"])
    got = {i["file_name"]: [] for i in items}
    for a in coco["annotations"]:
        x, y, w, h = a["bbox"]
        assert all(isinstance(v, float) for v in a["bbox"]) and a["iscrowd"] == 0 and a["area"] == w * h
        got[images[a["image_id"]]["file_name"]].append((names[a["category_id"]], int(x), int(y), int(w), int(h)))
    assert {k: sorted(v) for k, v in got.items()} == want
    assert [a["id"] for a in coco["annotations"]] == list(range(1, 6))

    data_yaml = (root / "data.yaml").read_text()
    # Issue 16: train / val / test point at per-split image lists instead of every image twice.
    assert "train: train.txt\nval: val.txt\ntest: test.txt\n" in data_yaml
    assert "names:\n  0: face\n  1: mask\n" in data_yaml
    got = {}
    for name, (W, H) in sizes.items():
        boxes = []
        for line in (root / "labels" / (name[:-4] + ".txt")).read_text().splitlines():
            cls, *vals = line.split()
            assert all(len(v.split(".")[1]) == 6 and 0 <= float(v) <= 1 for v in vals)
            cx, cy, bw, bh = map(float, vals)
            boxes.append(
                (
                    {"0": "face", "1": "mask"}[cls],
                    round((cx - bw / 2) * W),
                    round((cy - bh / 2) * H),
                    round(bw * W),
                    round(bh * H),
                )
            )
        got[name] = sorted(boxes)
    assert got == want
    assert (root / "labels/sd_0123abce.txt").read_bytes() == b""  # background image: empty label file

    got = {}
    for name, (W, H) in sizes.items():
        tree = ET.parse(root / "annotations/voc" / (name[:-4] + ".xml")).getroot()
        assert tree.findtext("filename") == name and tree.findtext("folder") == "images"
        assert (int(tree.findtext("size/width")), int(tree.findtext("size/height"))) == (W, H)
        boxes = []
        for obj in tree.findall("object"):
            xmin, ymin, xmax, ymax = (int(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax"))
            assert 1 <= xmin <= xmax <= W and 1 <= ymin <= ymax <= H  # 1-based, inclusive
            boxes.append((obj.findtext("name"), xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1))
        got[name] = sorted(boxes)
    assert got == want


def test_box_validation():
    item = {
        "file_name": "a.jpg",
        "width": 10,
        "height": 10,
        "boxes": [{"label": "face", "x": 5, "y": 5, "w": 6, "h": 2}],
    }
    with pytest.raises(ValueError, match="outside"):
        formats.coco_json([item], {"title": "t", "version": 1, "frozen_at": "2026-01-01", "licence_name": "l"})
    with pytest.raises(ValueError, match="label"):
        formats.yolo_files([{**item, "boxes": [{"label": "hat", "x": 0, "y": 0, "w": 1, "h": 1}]}])
    with pytest.raises(ValueError, match="identify a person"):
        formats.metadata_jsonl([{**item, "boxes": [], "subjects": [{"subject_id": "S-A", "name": "Hanako Yamada"}]}])
    with pytest.raises(ValueError, match="duplicate"):
        formats.voc_files([{**item, "boxes": []}, {**item, "file_name": "a.png", "boxes": []}])


# ----------------------------------------------------------------------------- metadata table, loaders
def _expected_rows(items):
    # Issue 16 added the split column: by subject, from the version's content hash.
    splits = split_by_subject(items, content_hash="ab" * 32)
    return [
        {
            "file_name": i["file_name"],
            "width": i["width"],
            "height": i["height"],
            "tags": i["tags"],
            "attributes": json.dumps(i["attributes"], sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            "subject_count": len(i["subjects"]),
            "subject_ids": [s["subject_id"] for s in i["subjects"]],
            "subject_age_bands": [s["age_band"] for s in i["subjects"]],
            "subject_genders": [s["gender"] for s in i["subjects"]],
            "subject_masks": [s["mask"] for s in i["subjects"]],
            "subjects": json.dumps(i["subjects"], sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            "scopes": i["scopes"],
            "split": splits[i["file_name"]],
        }
        for i in items
    ]


def test_metadata_jsonl_and_csv(bundle, version):
    items = version[0]
    root = bundle[2]
    lines = (root / "images/metadata.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows == _expected_rows(items)
    assert all(next(iter(r)) == "file_name" for r in rows)
    import csv

    with open(root / "image_metadata.csv", newline="", encoding="utf-8-sig") as f:
        csv_rows = list(csv.DictReader(f))
    assert [
        {
            k: json.loads(v)
            if k in ("tags", "subject_ids", "subject_age_bands", "subject_genders", "subject_masks", "scopes")
            else (int(v) if k in ("width", "height", "subject_count") else v)
            for k, v in r.items()
        }
        for r in csv_rows
    ] == _expected_rows(items)


def test_hf_imagefolder_loads_every_row(bundle, version, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    items = version[0]
    root = bundle[2]
    expected = _expected_rows(items)
    # The images folder, as README.txt says. (Since issue 16 the bundle folder holds per-split files --
    # train.txt, annotations/coco_train.json -- from whose names the HF loader would infer splits of no image.)
    for data_dir in (root / "images",):
        ds = datasets.load_dataset("imagefolder", data_dir=str(data_dir), split="train", cache_dir=str(tmp_path / "c"))
        assert len(ds) == len(items)
        rows = sorted(ds, key=lambda r: r["subject_ids"][0])
        for row, want in zip(rows, expected, strict=True):
            image = row.pop("image")
            assert image.size == (want["width"], want["height"])
            assert Path(image.filename).name == want["file_name"]
            assert row == {k: v for k, v in want.items() if k != "file_name"}


# ----------------------------------------------------------------------------- Croissant
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_croissant_validates_offline_and_describes_the_bundle(bundle, version):
    items = version[0]
    root = bundle[2]
    jsonld = root / "croissant.json"
    doc = json.loads(jsonld.read_text())
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert doc["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
    for key in (
        "rai:dataCollection",
        "rai:personalSensitiveInformation",
        "rai:dataUseCases",
        "rai:dataLimitations",
        "rai:dataBiases",
    ):
        assert doc[key], key
    assert "signed model release" in " ".join(doc["rai:personalSensitiveInformation"])
    for obj in doc["distribution"]:
        if obj["@type"] == "cr:FileObject":
            assert hashlib.sha256((root / obj["contentUrl"]).read_bytes()).hexdigest() == obj["sha256"]
    assert {o["contentUrl"] for o in doc["distribution"] if o["@type"] == "cr:FileObject"} == {
        "images/metadata.jsonl",
        "image_metadata.csv",
        "annotations/coco.json",
    }

    # The CLI, with any network access made to fail (a dead proxy): validation must not need it.
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    res = subprocess.run(
        [str(BIN / "mlcroissant"), "validate", "--jsonld", str(jsonld)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert not re.search(r"^[WEF]\d{4} ", res.stderr, re.MULTILINE), res.stderr  # no absl warning/error lines

    import mlcroissant as mlc

    ds = mlc.Dataset(jsonld=str(jsonld))
    assert not ds.metadata.ctx.issues.errors and not ds.metadata.ctx.issues.warnings
    assert ds.metadata.personal_sensitive_information and ds.metadata.data_use_cases
    records = list(ds.records("images"))

    def text(v):
        return [text(x) for x in v] if isinstance(v, list) else (v.decode() if isinstance(v, bytes) else v)

    got = [{k.split("/", 1)[1]: text(v) for k, v in r.items()} for r in records]
    assert sorted(got, key=lambda r: r["file_name"]) == _expected_rows(items)
    files = {text(r["image_files/file_name"]): r["image_files/image"].size for r in ds.records("image_files")}
    assert files == {i["file_name"]: (i["width"], i["height"]) for i in items}
    boxes = [(r["boxes/image_id"], r["boxes/category_id"], r["boxes/bbox"]) for r in ds.records("boxes")]
    assert boxes == [
        (1, 1, [3.0, 4.0, 20.0, 25.0]),
        (1, 2, [7.0, 15.0, 12.0, 9.0]),
        (3, 1, [60.0, 40.0, 21.0, 21.0]),
        (3, 1, [0.0, 0.0, 1.0, 1.0]),
        (3, 2, [62.0, 50.0, 15.0, 8.0]),
    ]


def test_unedited_edition(version, tmp_path):
    items, info, images = version
    path = tmp_path / "u.zip"
    with open(path, "wb") as f:
        build_bundle(f, items, info, edition=UNEDITED, open_image=_open(images), license=b"licence\n")
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
    assert names == sorted(
        [
            f"{ROOT_U}/{p}"
            for p in (
                "LICENSE.txt",
                "MANIFEST.sha256",
                "README.txt",
                "croissant.json",
                "image_metadata.csv",
                "images/metadata.jsonl",
            )
        ]
        + [f"{ROOT_U}/images/{i['file_name']}" for i in items]
    )
    subprocess.run(["unzip", "-q", str(path), "-d", str(tmp_path)], check=True)
    res = subprocess.run(
        [str(BIN / "mlcroissant"), "validate", "--jsonld", str(tmp_path / ROOT_U / "croissant.json")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "boxes" not in {
        rs["@id"] for rs in json.loads((tmp_path / ROOT_U / "croissant.json").read_text())["recordSet"]
    }


# ----------------------------------------------------------------------------- determinism and reuse
def test_deterministic_bytes(version):
    items, info, images = version
    outs = []
    for _ in range(2):
        buf = io.BytesIO()
        build_bundle(buf, items, info, edition=ANNOTATED, open_image=_open(images), license=b"same\n")
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    # a different licence changes the archive; the same one on another run does not
    buf = io.BytesIO()
    build_bundle(buf, items, info, edition=ANNOTATED, open_image=_open(images), license=b"other\n")
    assert buf.getvalue() != outs[0]


def test_personalise_two_buyers(version, tmp_path):
    items, info, images = version
    root = bundle_root(info, ANNOTATED)
    base_path = tmp_path / "base.zip"
    with open(base_path, "wb") as f:
        index = build_base(
            f, base_entries(items, info, edition=ANNOTATED, open_image=_open(images)), date_time=bundle_date_time(info)
        )
    subprocess.run(["unzip", "-tq", str(base_path)], check=True, capture_output=True)  # the base is a valid zip
    index = BaseIndex.from_json(index.to_json())  # as stored beside the base
    assert index.base_size == base_path.stat().st_size

    outs = {}
    for buyer, order in (("Acme Vision KK", "SD-2026-0001"), ("Tohoku University", "SD-2026-0002")):
        out = tmp_path / f"{order}.zip"
        with open(base_path, "rb") as base, open(out, "wb") as f:  # no image source given: nothing re-read
            records = personalise_bundle(
                base, index, f, info=info, edition=ANNOTATED, license=_license(buyer, order, info)
            )
        outs[buyer] = (out.read_bytes(), records)
        subprocess.run(["unzip", "-tq", str(out)], check=True, capture_output=True)
        subprocess.run(["unzip", "-q", str(out), "-d", str(tmp_path / order)], check=True)
        subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=tmp_path / order / root, check=True)
        assert buyer in (tmp_path / order / root / "LICENSE.txt").read_text()
        with zipfile.ZipFile(out) as zf:
            assert zf.testzip() is None

    (a, rec_a), (b, rec_b) = outs.values()
    base = base_path.read_bytes()
    # identical base records, byte for byte; everything after them is LICENSE, manifest, central directory
    assert a[: index.local_end] == b[: index.local_end] == base[: index.local_end]
    assert rec_a[: len(index.entries)] == rec_b[: len(index.entries)] == list(index.entries)
    assert [r.name for r in rec_a[len(index.entries) :]] == [f"{root}/LICENSE.txt", f"{root}/MANIFEST.sha256"]
    assert a[index.local_end :] != b[index.local_end :]

    # same bytes as a one-pass build for that buyer
    one_pass = io.BytesIO()
    build_bundle(
        one_pass,
        items,
        info,
        edition=ANNOTATED,
        open_image=_open(images),
        license=_license("Acme Vision KK", "SD-2026-0001", info),
    )
    assert one_pass.getvalue() == a

    # the tail alone: base prefix + tail == the buyer's archive (for S3 UploadPartCopy + last part)
    tail = io.BytesIO()
    personal_tail(
        index,
        personal_entries(root=root, license=_license("Acme Vision KK", "SD-2026-0001", info)),
        tail,
        manifest_name=manifest_name(root),
    )
    assert base[: index.local_end] + tail.getvalue() == a


class _Pipe(io.RawIOBase):
    """A non-seekable sink or source (like an upload stream or a socket)."""

    def __init__(self, data: bytes = b""):
        self.buf = bytearray()
        self._src = io.BytesIO(data)

    def writable(self):
        return True

    def readable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)

    def readinto(self, b):
        return self._src.readinto(b)


def test_non_seekable_streams(version, tmp_path):
    items, info, images = version
    root = bundle_root(info, ANNOTATED)
    pipe = _Pipe()
    build_bundle(pipe, items, info, edition=ANNOTATED, open_image=_open(images), license=b"x\n")
    ref = io.BytesIO()
    build_bundle(ref, items, info, edition=ANNOTATED, open_image=_open(images), license=b"x\n")
    assert bytes(pipe.buf) == ref.getvalue()

    base = io.BytesIO()
    index = build_base(
        base, base_entries(items, info, edition=ANNOTATED, open_image=_open(images)), date_time=bundle_date_time(info)
    )
    out = _Pipe()
    personalise(
        _Pipe(base.getvalue()),
        index,
        personal_entries(root=root, license=b"x\n"),
        out,
        manifest_name=manifest_name(root),
        verify=False,
    )
    assert bytes(out.buf) == ref.getvalue()


def test_personalise_rejects_a_base_that_does_not_match(version):
    items, info, images = version
    base = io.BytesIO()
    index = build_base(
        base, base_entries(items, info, edition=ANNOTATED, open_image=_open(images)), date_time=bundle_date_time(info)
    )
    other = io.BytesIO()
    build_base(
        other,
        base_entries(items[:2], info, edition=ANNOTATED, open_image=_open(images)),
        date_time=bundle_date_time(info),
    )
    with pytest.raises(ValueError):
        personalise(other, index, [], io.BytesIO())


# ----------------------------------------------------------------------------- writer details
class _CountingSource(io.RawIOBase):
    """10 MiB of data; records the size of every read request."""

    def __init__(self, size=10 << 20):
        self.left = size
        self.requests = []

    def readable(self):
        return True

    def readinto(self, b):
        self.requests.append(len(b))
        n = min(len(b), self.left)
        b[:n] = b"\xab" * n
        self.left -= n
        return n

    def read(self, size=-1):  # a whole-file read would show up here
        raise AssertionError("read() called; the writer must use bounded readinto()")


def test_streams_in_bounded_chunks_and_hashes_while_copying():
    src = _CountingSource()
    out = io.BytesIO()
    records = write_zip(out, [Entry("big.jpg", lambda: src)], date_time=(2026, 1, 1, 0, 0, 0), manifest=False)
    assert max(src.requests) == 1 << 20 and len(src.requests) == 11
    assert records[0].sha256 == hashlib.sha256(b"\xab" * (10 << 20)).hexdigest()
    assert records[0].size == records[0].compressed_size == 10 << 20
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None


def test_progress_callback(bundle):
    _, records, _, progress = bundle
    total = len(records)
    assert [p[0] for p in progress] == list(range(1, total + 1))
    assert {p[1] for p in progress} == {total}
    assert [p[2] for p in progress] == [sum(r.size for r in records[: i + 1]) for i in range(total)]


def test_bad_names_and_duplicates():
    w = ZipStreamWriter(io.BytesIO(), date_time=(2026, 1, 1, 0, 0, 0))
    for bad in ("/abs", "a/../b", "a//b", "dir/", "back\\slash", "new\nline", ""):
        with pytest.raises(ValueError):
            w.add(Entry(bad, b"x"))
    w.add(Entry("a", b"x"))
    with pytest.raises(ValueError, match="duplicate"):
        w.add(Entry("a", b"y"))
    with pytest.raises(ValueError, match="outside"):
        w.manifest_bytes("sub/MANIFEST.sha256")


def _readers_ok(path: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    subprocess.run(["unzip", "-tq", str(path)], check=True, capture_output=True)
    res = subprocess.run([SEVEN_ZIP, "t", str(path)], check=False, capture_output=True, text=True)
    assert res.returncode == 0 and "Everything is Ok" in res.stdout, res.stdout
    dest = tmp_path / "bsdtar"
    dest.mkdir(exist_ok=True)
    with open(path, "rb") as f:
        subprocess.run([BSDTAR, "-xf", "-", "-C", str(dest)], stdin=f, check=True)


@requires("7zip", "bsdtar")
def test_zip64_local_headers_and_data_descriptors(tmp_path):
    """Streamed entries of unknown size get ZIP64 local extras and 8-byte data descriptors."""
    payload = os.urandom(300_000)

    class Unsized(io.RawIOBase):  # no fileno, not seekable: size unknown -> ZIP64
        def __init__(self):
            self.src = io.BytesIO(payload)

        def readable(self):
            return True

        def readinto(self, b):
            return self.src.readinto(b)

    path = tmp_path / "z64.zip"
    with open(path, "wb") as f:
        records = write_zip(
            f,
            [
                Entry("r/a.jpg", Unsized),
                Entry("r/b.txt", lambda: io.BytesIO(b"text " * 50_000)),
                Entry("r/c.txt", lambda: Unsized()),
            ],
            date_time=(2026, 1, 1, 0, 0, 0),
            manifest_name="r/MANIFEST.sha256",
        )
    assert [r.zip64_local for r in records] == [True, False, True, False]
    data = path.read_bytes()
    r = records[0]
    sig, version, flags = struct.unpack_from("<IHH", data, r.header_offset)
    assert (sig, version, flags & 0x08) == (0x04034B50, 45, 0x08)
    assert struct.unpack_from("<IIQQ", data, r.end_offset - 24) == (0x08074B50, r.crc32, r.compressed_size, r.size)
    _readers_ok(path, tmp_path)


@requires("7zip")
def test_zip64_end_record_for_more_than_65535_entries(tmp_path):
    n = 65_540
    path = tmp_path / "many.zip"
    with open(path, "wb") as f:
        write_zip(
            f,
            (Entry(f"d/{i:05d}.txt", b"%d" % i, compress=False) for i in range(n)),
            date_time=(2026, 1, 1, 0, 0, 0),
            manifest_name="d/MANIFEST.sha256",
        )
    data = path.read_bytes()
    eocd = data[-22:]
    assert struct.unpack("<IHHHHIIH", eocd)[3:5] == (0xFFFF, 0xFFFF)
    assert struct.unpack_from("<I", data, len(data) - 22 - 20)[0] == 0x07064B50  # ZIP64 locator
    with zipfile.ZipFile(path) as zf:
        assert len(zf.infolist()) == n + 1
        assert zf.read("d/65539.txt") == b"65539"
    subprocess.run(["unzip", "-tq", str(path)], check=True, capture_output=True)
    assert subprocess.run([SEVEN_ZIP, "t", str(path)], check=False, capture_output=True).returncode == 0


def test_zip64_central_directory_fields_past_4gib(tmp_path):
    """Sizes and offsets >= 4 GiB go to the ZIP64 extra field (checked on a sparse file, nothing big written)."""
    big = 5 << 30
    fake = EntryRecord(
        name="huge.jpg",
        size=big,
        compressed_size=big,
        crc32=0x12345678,
        sha256="0" * 64,
        header_offset=0,
        end_offset=30 + 8 + 20 + big + 24,
        method=0,
        flags=0x08,
        version_needed=45,
        zip64_local=True,
    )
    fake2 = EntryRecord(
        name="late.txt",
        size=10,
        compressed_size=12,
        crc32=1,
        sha256="1" * 64,
        header_offset=fake.end_offset,
        end_offset=fake.end_offset + 50,
        method=8,
        flags=0x08,
        version_needed=20,
        zip64_local=False,
    )
    path = tmp_path / "sparse.zip"
    with open(path, "wb") as f:
        f.seek(fake2.end_offset)  # a hole where the (unwritten) local records would be
        w = ZipStreamWriter(f, date_time=(2026, 1, 1, 0, 0, 0), start_offset=fake2.end_offset, records=[fake, fake2])
        w.close()
    assert path.stat().st_blocks * 512 < 1 << 20  # sparse: nothing big was written
    with zipfile.ZipFile(path) as zf:  # reads only the end records and the central directory
        a, b = zf.infolist()
    assert (a.file_size, a.compress_size, a.header_offset, a.CRC) == (big, big, 0, 0x12345678)
    assert (b.file_size, b.compress_size, b.header_offset) == (10, 12, fake.end_offset)
    assert zf.start_dir == fake2.end_offset
    with open(path, "rb") as f:
        f.seek(fake2.end_offset)
        data = f.read()
    # entry 1: sizes in ZIP64 extra (offset 0 fits); entry 2: offset in ZIP64 extra
    assert struct.unpack_from("<II", data, 20) == (0xFFFFFFFF, 0xFFFFFFFF)
    assert struct.unpack_from("<HHQQ", data, 46 + len("huge.jpg")) == (1, 16, big, big)
    second = 46 + len("huge.jpg") + 20
    assert struct.unpack_from("<I", data, second + 42)[0] == 0xFFFFFFFF
    assert struct.unpack_from("<HHQ", data, second + 46 + len("late.txt")) == (1, 8, fake.end_offset)
    # ZIP64 end of central directory record + locator, since the directory starts past 4 GiB
    assert struct.unpack_from("<I", data, len(data) - 22 - 20 - 56)[0] == 0x06064B50
    assert struct.unpack("<IHHHHIIH", data[-22:])[6] == 0xFFFFFFFF


# ----------------------------------------------------------------------------- resumable SHA-256
@pytest.mark.parametrize("prefix_len", [0, 1, 63, 64, 65, 1000, 1 << 20])
def test_personal_tail_sha256_state_saved_after_the_prefix_resumes_to_the_whole_hash(prefix_len):
    """The whole archive's SHA-256 = the base prefix's saved state + the tail, for every position of
    the prefix's end within a 64-byte block, through JSON (as the state is stored on the base row)."""
    import hashlib
    import json

    from licensing.delivery.archive import digest

    data = bytes(range(256)) * ((prefix_len + 5000) // 256 + 1)
    prefix, tail = data[:prefix_len], data[prefix_len:]
    hasher = digest.sha256()
    assert isinstance(hasher, digest.Sha256), "libcrypto was not loaded: tails would re-read the base"
    hasher.update(memoryview(bytearray(prefix)))
    state = json.loads(json.dumps(hasher.state()))
    assert state["length"] == prefix_len and len(bytes.fromhex(state["pending"])) == prefix_len % 64
    resumed = digest.resume(state)
    resumed.update(tail[:7])
    resumed.update(tail[7:])
    assert resumed.hexdigest() == hashlib.sha256(data).hexdigest()
    assert hasher.hexdigest() == hashlib.sha256(prefix).hexdigest()  # digest() leaves the hasher usable
    assert digest.resume({}) is None
    with pytest.raises(ValueError):
        digest.resume(state | {"pending": ""} if prefix_len % 64 else state | {"pending": "00"})
