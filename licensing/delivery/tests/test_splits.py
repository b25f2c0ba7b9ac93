"""Train / validation / test by subject: nobody in two splits, the same split every time, and the
loaders buyers use (HF imagefolder, pycocotools, the YOLO data.yaml, mlcroissant) open each split."""

from __future__ import annotations

import io
import json
import random
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from PIL import Image

from catalog.splits import SPLITS, split_by_subject, split_counts
from licensing.delivery.archive import ANNOTATED, build_bundle


def make_items(n: int, *, seed: int = 1) -> list[dict]:
    """``n`` photos: most of one person, some of two or three (people recur across photos), some of nobody."""
    rng = random.Random(seed)
    people = [f"S-{i:08d}" for i in range(n)]
    items = []
    for i in range(n):
        kind = rng.random()
        who = [] if kind < 0.15 else rng.sample(people, 1 if kind < 0.9 else rng.randint(2, 3))
        items.append(
            {
                "file_name": f"sd_{i:016x}.jpg",
                "width": 40,
                "height": 30,
                "tags": [],
                "attributes": {},
                "subjects": [{"subject_id": s, "age_band": "30s", "gender": "female", "mask": True} for s in who],
                "scopes": ["ai_training"],
                "boxes": [{"label": "face", "x": 1 + k * 12, "y": 2, "w": 10, "h": 12} for k in range(len(who))]
                + [{"label": "mask", "x": 2, "y": 8, "w": 8, "h": 5}]
                if who
                else [],
            }
        )
    return items


def subjects_by_split(items, splits) -> dict[str, set[str]]:
    out = {name: set() for name in SPLITS}
    for item in items:
        out[splits[item["file_name"]]].update(s["subject_id"] for s in item["subjects"])
    return out


def test_split_by_subject_never_puts_a_subject_in_two_splits():
    items = make_items(400)
    splits = split_by_subject(items, content_hash="c0" * 32)
    seen = subjects_by_split(items, splits)
    assert not (seen["train"] & seen["validation"])
    assert not (seen["train"] & seen["test"])
    assert not (seen["validation"] & seen["test"])
    counts = split_counts(splits)
    assert sum(counts.values()) == 400
    # 80/10/10 of the photos, to within the largest group (people recur, so groups are a few photos).
    assert 300 <= counts["train"] <= 340 and 20 <= counts["validation"] <= 60 and 20 <= counts["test"] <= 60


def test_split_by_subject_is_the_same_for_the_same_version_and_differs_for_another():
    items = make_items(200)
    first = split_by_subject(items, content_hash="c0" * 32)
    shuffled = list(items)
    random.Random(5).shuffle(shuffled)
    assert split_by_subject(shuffled, content_hash="c0" * 32) == first
    assert split_by_subject(items, content_hash="c1" * 32) != first
    # Photos without people are split one by one, not all into one split.
    alone = [i["file_name"] for i in items if not i["subjects"]]
    assert len({first[name] for name in alone}) > 1


@pytest.mark.django_db
def test_split_by_subject_in_a_delivered_version_survives_a_withdrawal():
    """The delivery splits the whole version, then leaves photos out: nobody moves between splits."""
    from catalog.tests.factories import DatasetFactory
    from licensing.delivery.services import version_items

    dataset = DatasetFactory(version__photos=30, version__annotated=True)
    version = dataset.latest_version
    whole = {i["file_name"]: i["split"] for i in version_items(version, edition=ANNOTATED)}
    assert split_counts(whole) == version.statistics["splits"]
    left_out = sorted(whole)[:5]
    rest = {i["file_name"]: i["split"] for i in version_items(version, edition=ANNOTATED, excluded=left_out)}
    assert rest == {name: split for name, split in whole.items() if name not in left_out}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    items = make_items(60, seed=3)
    info = {
        "slug": "split-test",
        "title": "Split test",
        "description": "",
        "version": 1,
        "frozen_at": "2026-03-01T09:00:00+00:00",
        "content_hash": "5e" * 32,
        "required_scopes": ["ai_training"],
        "licence_name": "Test licence",
    }
    images = {}
    for n, item in enumerate(items):
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (n * 4, 100, 150)).save(buf, "JPEG")
        images[item["file_name"]] = buf.getvalue()
    tmp = tmp_path_factory.mktemp("splits")
    with open(tmp / "b.zip", "wb") as f:
        build_bundle(
            f,
            items,
            info,
            edition=ANNOTATED,
            open_image=lambda name: io.BytesIO(images[name]),
            license=b"licence\n",
        )
    subprocess.run(["unzip", "-q", str(tmp / "b.zip"), "-d", str(tmp / "out")], check=True)
    splits = split_by_subject(items, content_hash=info["content_hash"])
    return items, splits, tmp / "out" / "split-test-v1-annotated"


def test_split_by_subject_every_loader_opens_each_split(bundle, tmp_path, monkeypatch):
    items, splits, root = bundle
    want = {name: sorted(f for f, s in splits.items() if s == name) for name in SPLITS}
    assert all(want.values()), want  # every split has photos
    boxes = {i["file_name"]: len(i["boxes"]) for i in items}

    # Hugging Face datasets: the imagefolder table, one split at a time from its split column.
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    table = datasets.load_dataset(
        "imagefolder", data_dir=str(root / "images"), split="train", cache_dir=str(tmp_path / "c")
    )
    for name in SPLITS:
        part = table.filter(lambda row, name=name: row["split"] == name)
        assert sorted(Path(row["image"].filename).name for row in part) == want[name]

    # pycocotools: one annotation file per split, with that split's images and boxes.
    from pycocotools.coco import COCO

    for name in SPLITS:
        coco = COCO(str(root / f"annotations/coco_{name}.json"))
        files = sorted(img["file_name"] for img in coco.loadImgs(coco.getImgIds()))
        assert files == want[name]
        assert len(coco.getAnnIds()) == sum(boxes[f] for f in files)
        assert {c["name"] for c in coco.loadCats(coco.getCatIds())} == {"face", "mask"}

    # YOLO: data.yaml's train / val / test lists, resolved as Ultralytics does (./ = the list's folder;
    # labels beside images/ in labels/).
    data = yaml.safe_load((root / "data.yaml").read_text())
    assert data["names"] == {0: "face", 1: "mask"} and data["nc"] == 2
    for key, name in (("train", "train"), ("val", "validation"), ("test", "test")):
        listing = root / data[key]
        paths = [
            Path(str(listing.parent) + "/" + line[2:]) for line in listing.read_text().splitlines() if line.strip()
        ]
        assert sorted(p.name for p in paths) == want[name]
        for path in paths:
            assert path.is_file()
            label = Path(str(path).replace("/images/", "/labels/")).with_suffix(".txt")
            assert len(label.read_text().splitlines()) == boxes[path.name]

    # Pascal VOC: the devkit's ImageSets/Main lists name every split's stems.
    for key, name in (("train", "train"), ("val", "validation"), ("test", "test")):
        stems = (root / f"annotations/voc/ImageSets/Main/{key}.txt").read_text().split()
        assert sorted(f"{stem}.jpg" for stem in stems) == want[name]
        for stem in stems:
            assert ET.parse(root / f"annotations/voc/{stem}.xml").getroot().findtext("filename") == f"{stem}.jpg"

    # Croissant: the cr:Split record set, and each image's split referencing it.
    doc = json.loads((root / "croissant.json").read_text())
    split_set = next(rs for rs in doc["recordSet"] if rs["@id"] == "splits")
    assert split_set["dataType"] == "cr:Split"
    assert [row["splits/url"] for row in split_set["data"]] == [
        "cr:TrainingSplit",
        "cr:ValidationSplit",
        "cr:TestSplit",
    ]
    import mlcroissant as mlc

    ds = mlc.Dataset(jsonld=str(root / "croissant.json"))
    assert not ds.metadata.ctx.issues.errors
    got = {}
    for record in ds.records("images"):
        split = record["images/split"]
        got.setdefault(split.decode() if isinstance(split, bytes) else split, []).append(
            record["images/file_name"].decode()
        )
    assert {k: sorted(v) for k, v in got.items()} == want

    # README states the sizes.
    readme = (root / "README.txt").read_text()
    counts = split_counts(splits)
    assert (
        f"train: {counts['train']} photos, validation: {counts['validation']} photos, test: {counts['test']} photos."
        in readme
    )
