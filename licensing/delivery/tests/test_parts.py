"""Parted bundles: a big dataset as self-contained parts built by one task each, plus an index part.

Real parts: the product's storage, the loaders buyers use (pycocotools, HF imagefolder,
``sha256sum -c``), and for the kill test a real Celery worker process whose child is SIGKILLed.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from conftest import start_worker, stop_worker, wait_until
from licensing.delivery import services as bundles
from licensing.delivery.tests.test_bundles import _pool_children, build, factory_version, login, make_line
from licensing.models import Bundle, BundleBase, BundleBasePart, BundlePart, DownloadEvent


def part_bytes_for(version, per_part: int) -> int:
    """A part size that puts ``per_part`` of this version's images in each part."""
    sizes = sorted(default_storage.size(i.photo.cleaned.name) for i in version.items.select_related("photo"))
    return sum(sizes[-per_part:])  # the biggest ``per_part`` images fit; one more never does


def download_part(client, line, number: int) -> tuple[bytes, BundlePart]:
    response = client.post(reverse("licensing:bundle_download", args=[line.order.uuid, line.pk]), {"part": number})
    assert response.status_code == 302, response.content[:300]
    fetched = client.get(response["Location"])
    assert fetched.status_code == 200
    part = BundlePart.objects.get(bundle__order_line=line, number=number)
    assert part.file_name in fetched["Content-Disposition"]
    return b"".join(fetched.streaming_content), part


@pytest.mark.django_db
def test_bundle_parts_each_open_alone_and_the_index_manifest_checks_them_all(
    settings, django_capture_on_commit_callbacks, client, tmp_path, monkeypatch
):
    version = factory_version(photos=7)
    settings.STOCKDATA_BUNDLE_PART_BYTES = part_bytes_for(version, 3)
    line = make_line(version)
    bundle = build(line, django_capture_on_commit_callbacks)
    assert bundle.status == Bundle.Status.READY, (bundle.status, bundle.error)
    base = BundleBase.objects.get(pk=bundle.base_id)
    base_parts = list(BundleBasePart.objects.filter(base=base).order_by("number"))
    assert base.part_count == len(base_parts) >= 3
    assert all(len(p.file_names) <= 3 for p in base_parts)
    assert sorted(n for p in base_parts for n in p.file_names) == sorted(
        version.items.values_list("file_name", flat=True)
    )
    assert all(p.status == BundleBase.Status.READY and p.attempts == 1 for p in base_parts)
    count = base.part_count
    slug_root = f"{version.dataset.slug}-v{version.number}-annotated"

    # Every part downloads (base part prefix + this buyer's tail) with the name the issue gives it.
    login(client, line.order.placed_by)
    html = client.get(reverse("licensing:bundle_status", args=[line.order.uuid, line.pk])).content.decode()
    out = tmp_path / "unpacked"
    files = {}
    for number in range(count + 1):
        data, part = download_part(client, line, number)
        assert hashlib.sha256(data).hexdigest() == part.sha256 and len(data) == part.byte_size
        # The SHA-256 is shown whole, broken once with <wbr> so it wraps on a phone.
        assert f"{part.sha256[:32]}<wbr>{part.sha256[32:]}" in html and part.file_name in html
        if number:
            assert part.file_name == f"{slug_root}-part-{number:03d}-of-{count:03d}-{line.order.number}.zip"
            assert default_storage.size(part.archive) == part.byte_size - part.base_prefix < 16 * 1024
        else:
            assert part.file_name == f"{slug_root}-index-{line.order.number}.zip"
        files[number] = tmp_path / part.file_name
        files[number].write_bytes(data)
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
        subprocess.run(["unzip", "-q", "-o", str(files[number]), "-d", str(out)], check=True)
    assert bundle.byte_size == sum(p.byte_size for p in BundlePart.objects.filter(bundle=bundle))

    # The index part's manifest checks every file of every part, unpacked into one folder.
    root = out / slug_root
    check = subprocess.run(
        ["sha256sum", "-c", "MANIFEST.sha256"], cwd=root, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    listed = check.stdout.count(": OK")
    on_disk = sum(1 for p in root.rglob("*") if p.is_file()) - 1  # all but the manifest itself
    assert listed == on_disk
    assert f"part-001/images/{base_parts[0].file_names[0]}: OK" in check.stdout

    # Each part stands alone: its own manifest, COCO file and HF imagefolder table, its own images only.
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets
    from pycocotools.coco import COCO

    for base_part in base_parts:
        folder = root / f"part-{base_part.number:03d}"
        alone = tmp_path / f"alone-{base_part.number}"
        subprocess.run(["unzip", "-q", str(files[base_part.number]), "-d", str(alone)], check=True)
        alone_folder = alone / slug_root / f"part-{base_part.number:03d}"
        assert sorted(p.name for p in (alone / slug_root).iterdir()) == [f"part-{base_part.number:03d}"]
        own = subprocess.run(
            ["sha256sum", "-c", "MANIFEST.sha256"], cwd=alone_folder, capture_output=True, text=True, check=False
        )
        assert own.returncode == 0, own.stdout + own.stderr
        assert (alone_folder / "LICENSE.txt").read_text().count(line.order.number) >= 1
        coco = COCO(str(alone_folder / "annotations/coco.json"))
        assert sorted(img["file_name"] for img in coco.loadImgs(coco.getImgIds())) == sorted(base_part.file_names)
        assert len(coco.getAnnIds()) > 0
        table = datasets.load_dataset(
            "imagefolder", data_dir=str(alone_folder / "images"), split="train", cache_dir=str(tmp_path / "c")
        )
        assert sorted(Path(row["image"].filename).name for row in table) == sorted(base_part.file_names)
        assert (folder / "images" / base_part.file_names[-1]).exists()

    # A second buyer of the same edition reuses every base part: kilobytes each, nothing rebuilt.
    second_line = make_line(version)
    second = build(second_line, django_capture_on_commit_callbacks)
    assert second.status == Bundle.Status.READY and second.base_id == base.pk
    assert [p.attempts for p in BundleBasePart.objects.filter(base=base).order_by("number")] == [1] * count
    assert BundlePart.objects.filter(bundle=second).count() == count + 1
    # A whole-bundle link is refused for a parted bundle: the buyer downloads parts.
    refused = client.post(reverse("licensing:bundle_download", args=[line.order.uuid, line.pk]))
    assert refused.status_code == 404
    assert DownloadEvent.objects.filter(bundle=bundle).count() == count + 1


@pytest.mark.worker
def test_bundle_parts_a_worker_killed_during_one_part_leaves_the_others_untouched(
    transactional_db, settings, client, tmp_path
):
    """A real prefork worker (one child) whose builds take ~0.4 s per image (a setting, not a mock)."""
    from stockdata.celery import app

    version = factory_version(photos=9)
    part_bytes = part_bytes_for(version, 3)
    settings.STOCKDATA_BUNDLE_PART_BYTES = part_bytes
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = start_worker(
        extra_env={"STOCKDATA_BUNDLE_THROTTLE_SECONDS": "0.4", "STOCKDATA_BUNDLE_PART_BYTES": str(part_bytes)}
    )
    try:
        line = make_line(version)
        bundles.bundle_request(line=line)  # autocommit: queued at once
        bundle = Bundle.objects.get(order_line=line)
        # Part 1 done, part 2 under way: kill the child building it.
        wait_until(
            lambda: (
                BundleBasePart.objects.filter(base__bundles=bundle, number=1, status=BundleBase.Status.READY).exists()
                and BundleBasePart.objects.filter(
                    base__bundles=bundle, number=2, status=BundleBase.Status.BUILDING, files_done__gte=1
                ).exists()
            ),
            timeout=120,
            message="part 1 built and part 2 under way",
        )
        first = BundleBasePart.objects.get(base__bundles=bundle, number=1)
        killed = BundleBasePart.objects.get(base__bundles=bundle, number=2)
        killed_partial = killed.partial
        first_state = (first.archive, first.finished_at, first.attempts, first.index)
        children = _pool_children(worker.pid)
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)

        bundle = wait_until(
            lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.READY).first(),
            timeout=180,
            message="the bundle to be ready after the redelivered part",
        )
        assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output()
        parts = {p.number: p for p in BundleBasePart.objects.filter(base__bundles=bundle)}
        assert (parts[1].archive, parts[1].finished_at, parts[1].attempts, parts[1].index) == first_state
        assert parts[2].attempts == 2 and parts[2].archive != killed_partial
        assert not default_storage.exists(killed_partial), "the killed attempt's partial object was left behind"
        assert all(p.attempts == 1 for n, p in parts.items() if n != 2)
        assert all(p.status == BundleBase.Status.READY for p in parts.values())

        # Every part downloads and the index manifest checks the whole dataset.
        login(client, line.order.placed_by)
        out = tmp_path / "all"
        for number in range(len(parts) + 1):
            data, part = download_part(client, line, number)
            assert hashlib.sha256(data).hexdigest() == part.sha256
            (tmp_path / "p.zip").write_bytes(data)
            subprocess.run(["unzip", "-q", "-o", str(tmp_path / "p.zip"), "-d", str(out)], check=True)
        root = next(out.iterdir())
        check = subprocess.run(
            ["sha256sum", "-c", "MANIFEST.sha256"], cwd=root, capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert sum(1 for p in root.rglob("*.jpg")) == 9
        time.sleep(1)
        assert Bundle.objects.get(pk=bundle.pk).attempts in (1, 2)  # re-queued once by the join
    finally:
        stop_worker(worker)
        app.conf.task_always_eager = True
