"""Bundles: built by Celery once a line is paid, delivered through checked, short-lived links.

Services (every write to ``Bundle``, ``BundleBase``, ``DownloadEvent`` and ``WithdrawalNotice``)
and the few selectors the views need. The heavy, buyer-independent part of an archive (the
``BundleBase`` of a version+edition) is built once, under a lease, and every buyer's bundle is
that base's local records plus their own tail (``LICENSE.txt``, ``MANIFEST.sha256``, central
directory). Only the tail is stored per buyer (kilobytes): on local disk the download view
streams base prefix + tail as one file (``bundle_read``); on S3 the buyer's object is assembled
inside S3 from ``UploadPartCopy`` ranges of the base and the tail (``bundle_compose``), because a
presigned URL must name one object and S3 then serves ranges and resumes natively.

Storage: archives are written through the storage API. ``storage.open(name, "wb")`` streams:
on local disk it is a plain file, and on S3 django-storages' ``S3File`` sends a multipart
upload part every ``AWS_S3_FILE_BUFFER_SIZE`` (5 MiB), so memory stays at one part whatever
the archive size. An archive is written to a fresh temporary name recorded on the row
(``partial``) and becomes the served ``archive`` only once the upload is complete; a retry
deletes the partial object first and starts clean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import logging
import os
import secrets
import stat
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import DatasetVersionItem
from catalog.splits import split_by_subject
from licensing.commerce.models import OrderLine
from licensing.consent.models import ConsentWithdrawal, ProvisionRecord
from licensing.consent.selectors import photos_consent_scopes
from licensing.consent.services import provision_records_create
from licensing.delivery import archive as core
from licensing.delivery.archive import digest
from licensing.delivery.models import (
    DELETION_DAYS,
    Bundle,
    BundleBase,
    BundleBasePart,
    BundlePart,
    DeletionConfirmation,
    DownloadEvent,
    DownloadLink,
    WithdrawalNotice,
)
from stockdata.accounts.permissions import COMPLIANCE, DOWNLOADING, has_any_org_role
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.i18n import language_of
from stockdata.mail.services import email_send_template, email_send_to_admins, site_url

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress writes to the row
# Subject fields copied into the bundle; anything else (release ids, names) stays out.
SUBJECT_FIELDS = (
    "position",
    "subject_id",
    "scopes",
    "age_band",
    "gender",
    "ethnicity",
    "mask",
    "glasses",
    "hat",
    "angle",
)


def _setting(name: str, default):
    return getattr(settings, name, default)


def download_limit_default() -> int | None:
    return _setting("STOCKDATA_BUNDLE_DOWNLOAD_LIMIT", None)


def download_url_max_age() -> int:
    return int(_setting("STOCKDATA_DOWNLOAD_URL_MAX_AGE", 600))


# --- Requests from commerce -----------------------------------------------------------------


@transaction.atomic
def bundle_request(*, line: OrderLine) -> Bundle:
    """A paid line gets exactly one bundle; its build is queued once, after the order commits."""
    bundle, created = Bundle.objects.get_or_create(
        order_line=line, defaults={"download_limit": download_limit_default()}
    )
    if created:
        transaction.on_commit(lambda: bundle_build_enqueue(bundle.pk))
    return bundle


def bundle_build_enqueue(bundle_id: int) -> bool:
    """Queue one bundle's build. If the broker cannot be reached the bundle stays 'waiting'
    (the payment is not undone, nothing is lost): ``bundles_requeue_stalled`` queues it later."""
    from kombu.exceptions import OperationalError

    from licensing.delivery.tasks import bundle_build_task  # tasks import this module

    try:
        bundle_build_task.delay(bundle_id)
    except OperationalError as exc:
        logger.warning("bundle %s not queued (broker unreachable), the sweeper will queue it: %s", bundle_id, exc)
        return False
    return True


def bundles_requeue_stalled(*, older_than_seconds: int | None = None) -> int:
    """Queue again every bundle still waiting after ``older_than_seconds`` (its message never
    reached the broker, or the broker lost it). Building is idempotent, so a bundle queued twice
    is still built once. Returns how many were queued."""
    if older_than_seconds is None:
        older_than_seconds = int(_setting("STOCKDATA_BUNDLE_REQUEUE_AFTER_SECONDS", 15 * 60))
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    ids = list(
        Bundle.objects.filter(status=Bundle.Status.PENDING, created_at__lte=cutoff, revoked_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    return sum(1 for pk in ids if bundle_build_enqueue(pk))


@transaction.atomic
def bundle_revoke(*, line: OrderLine) -> Bundle | None:
    """A refunded line's downloads fail from now on (the archive is kept for the audit trail)."""
    bundle = Bundle.objects.select_for_update().filter(order_line=line).first()
    if bundle is not None and bundle.revoked_at is None:
        bundle.revoked_at = timezone.now()
        bundle.save(update_fields=["revoked_at"])
    return bundle


@transaction.atomic
def bundle_rebuild(*, bundle: Bundle) -> Bundle:
    """Staff start a failed bundle over (its base too, if that failed); a ready one is left alone."""
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    if bundle.status == Bundle.Status.READY:
        raise ApplicationError(_("This bundle is ready; there is nothing to rebuild."), code=ErrorCode.BUNDLE_READY)
    BundleBase.objects.filter(bundles=bundle, status=BundleBase.Status.FAILED).update(
        status=BundleBase.Status.PENDING, error="", builder=None
    )
    failed_parts = list(
        BundleBasePart.objects.filter(base__bundles=bundle, status=BundleBase.Status.FAILED).values_list(
            "pk", flat=True
        )
    )
    if failed_parts:  # only the parts that failed are built again
        BundleBasePart.objects.filter(pk__in=failed_parts).update(status=BundleBase.Status.PENDING, error="")
        transaction.on_commit(lambda: bundle_base_parts_enqueue(failed_parts))
    bundle.status = Bundle.Status.PENDING
    bundle.attempts = 0
    bundle.error = ""
    bundle.save(update_fields=["status", "attempts", "error"])
    transaction.on_commit(lambda: bundle_build_enqueue(bundle.pk))
    return bundle


# --- Building ---------------------------------------------------------------------------------


class _Progress:
    """Writes files done to a row at most every PROGRESS_INTERVAL seconds (and always at the end)."""

    def __init__(self, model, pk: int, *, heartbeat: bool = False):
        self.model, self.pk, self.heartbeat = model, pk, heartbeat
        self.last = 0.0

    def __call__(self, done: int, total: int, _bytes: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        fields = {"files_done": done, "files_total": total}
        if self.heartbeat:
            fields["heartbeat_at"] = timezone.now()
        self.model.objects.filter(pk=self.pk).update(**fields)


class _HashingWriter:
    """A write-only stream in front of a storage file: hashes and counts what passes.

    On S3 (no real file behind it) it has no ``fileno``/``seek``: the ZIP writer then copies in
    chunks through ``write``, which is what makes S3File upload part by part instead of
    buffering. On local disk it exposes the file's descriptor, so the base prefix of a buyer's
    archive is copied in the kernel (``os.copy_file_range``) without passing through Python.

    ``sha256`` may start from the hash of bytes already known (``known`` bytes: the base prefix);
    those bytes, whether copied in the kernel or written here, are not hashed a second time.
    """

    def __init__(self, out, *, sha256=None, known: int = 0):
        self.out = out
        self.sha256 = sha256 if sha256 is not None else digest.sha256()
        self.known = known
        self.size = 0
        self._fd = _regular_file_descriptor(out)

    def write(self, data) -> int:
        n = len(data)
        self.out.write(data)
        if self.size + n > self.known:
            self.sha256.update(memoryview(data)[max(0, self.known - self.size) :])
        self.size += n
        return n

    def flush(self) -> None:
        if self._fd is not None:
            self.out.flush()

    def seekable(self) -> bool:
        return self._fd is not None

    def fileno(self) -> int:
        if self._fd is None:
            raise io.UnsupportedOperation("not a local file")
        return self._fd

    def tell(self) -> int:
        return self.size

    def seek(self, position: int, whence: int = io.SEEK_SET) -> int:
        """Only forward over bytes the kernel wrote (the copied prefix), which are known already."""
        if self._fd is None or whence != io.SEEK_SET or not self.size <= position <= max(self.known, self.size):
            raise io.UnsupportedOperation("the archive is written front to back")
        self.out.seek(position)
        self.size = position
        return position


def _regular_file_descriptor(out) -> int | None:
    try:
        fd = out.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class _PrefixSnapshot:
    """Progress callback of a base build that keeps the SHA-256 of the base's local records (the
    prefix every buyer's archive starts with) as it passes: taken after the last entry, before
    the central directory. The first buyer's archive hash then continues from it."""

    def __init__(self, out: _HashingWriter, progress):
        self.out, self.progress = out, progress
        self.sha256, self.size = None, -1

    def __call__(self, done: int, total: int, nbytes: int) -> None:
        if done == total:
            self.sha256, self.size = self.out.sha256.copy(), self.out.size
        self.progress(done, total, nbytes)


# (base id, archive name) -> SHA-256 object of that base's prefix, for the buyer whose task built it.
_prefix_hashes: dict[tuple[int, str], object] = {}


def _prefix_sha256(base: BundleBase, index) -> object:
    """The SHA-256 state after the base's first ``index.local_end`` bytes: resumed from the state
    saved with the base (costs nothing), else remembered from the build in this process, else
    read from the stored base once."""
    state = base.prefix_sha256_state or None
    if state and int(state.get("length", -1)) == index.local_end:
        resumed = digest.resume(state)
        if resumed is not None:
            return resumed
    known = _prefix_hashes.pop((base.pk, base.archive), None)
    if known is not None:
        return known
    sha = digest.sha256()
    left = index.local_end
    buf = bytearray(core.CHUNK_SIZE)
    view = memoryview(buf)
    with default_storage.open(base.archive, "rb") as src:
        while left:
            n = src.readinto(view[: min(left, len(buf))]) if hasattr(src, "readinto") else 0
            if not n:
                raise ValueError(f"base {base.archive} ended {left} bytes early")
            sha.update(view[:n])
            left -= n
    return sha


def _reserve(prefix: str) -> str:
    """A fresh private name for an archive being written (created empty, so folders exist on disk)."""
    return default_storage.save(f"{prefix}/{uuid.uuid4().hex}.zip", ContentFile(b""))


def _delete_quietly(name: str) -> None:
    if not name:
        return
    try:
        default_storage.delete(name)
    except Exception:  # a leftover temp object must not fail a build
        logger.warning("could not delete temporary bundle object %s", name, exc_info=True)


class NothingToDeliver(ApplicationError):
    """Every photo of the version was left out: there is no archive to build (retrying will not help)."""


def version_exclusions(version, *, required_scopes) -> list[str]:
    """The file names (sorted) of the version's items that may no longer be delivered.

    An item stays only if its photo still holds every scope in ``required_scopes`` by the consent
    rule (:func:`licensing.consent.selectors.photos_consent_scopes`: approved, unexpired releases, scopes
    not withdrawn, no opt-out), evaluated now. A dataset that requires no scope still loses the
    photos that hold none at all (a person in them withdrew their whole consent), as the
    withdrawal notices treat a whole withdrawal.
    """
    rows = list(version.items.order_by("position").values_list("file_name", "photo_id"))
    held = photos_consent_scopes([photo_id for _name, photo_id in rows])
    needed = frozenset(required_scopes or ())
    return sorted(
        name for name, photo_id in rows if not needed <= held.get(photo_id, frozenset()) or not held.get(photo_id)
    )


def exclusion_key(excluded: Iterable[str]) -> str:
    """The SHA-256 (hex) of the sorted left-out file names joined by newlines; "" when none are left out."""
    names = sorted(excluded)
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest() if names else ""


def left_out_notes(*, count: int, version_number: int) -> list[str]:
    """The README line saying how many photos are left out, in English and (once translated) Japanese."""
    if not count:
        return []
    notes: list[str] = []
    for language in ("en", "ja"):
        with translation.override(language):
            note = _(
                "%(count)d photo(s) of version %(version)d are left out: "
                "the people in them withdrew consent after the version was frozen."
            ) % {"count": count, "version": version_number}
        if note not in notes:
            notes.append(note)
    return notes


def version_info(version, *, excluded: Iterable[str] = ()) -> dict:
    dataset = version.dataset
    excluded = list(excluded)
    return {
        "slug": dataset.slug,
        "title": dataset.title_en,
        "description": dataset.description_en,
        "version": version.number,
        "frozen_at": version.frozen_at.isoformat(),
        "content_hash": version.content_hash,
        "required_scopes": list(dataset.required_scopes or []),
        "licence_name": dataset.licence.title_en if dataset.licence_id else "Stockdata licence",
        "url": settings.SITE_URL.rstrip("/") + f"/datasets/{dataset.slug}/",
        "notes": left_out_notes(count=len(excluded), version_number=version.number),
        "annotation": (version.statistics or {}).get("annotation"),
    }


def version_items(version, *, edition: str, excluded: Iterable[str] = ()) -> list[dict]:
    """The frozen items as the bundle formats take them: pseudonymous subjects only, boxes for the annotated
    edition, each item's split (by subject, over the whole version), without the items whose file names are
    in ``excluded`` (so every format agrees, and a photo left out never moves another between splits)."""
    left_out = set(excluded)
    frozen = list(version.items.order_by("position"))
    splits = split_by_subject(
        [{"file_name": i.file_name, "subjects": i.subjects} for i in frozen], content_hash=version.content_hash
    )
    rows = []
    for item in frozen:
        if item.file_name in left_out:
            continue
        rows.append(
            {
                "file_name": item.file_name,
                "width": item.width,
                "height": item.height,
                "tags": list(item.tags),
                "attributes": dict(item.attributes),
                "subjects": [{k: s.get(k) for k in SUBJECT_FIELDS if k in s} for s in item.subjects],
                "scopes": list(item.scopes),
                "boxes": [{k: b[k] for k in ("label", "x", "y", "w", "h")} for b in item.boxes]
                if edition == core.ANNOTATED
                else [],
                "split": splits[item.file_name],
            }
        )
    return rows


def _image_opener(version):
    names = dict(version.items.values_list("file_name", "photo__cleaned"))
    throttle = float(_setting("STOCKDATA_BUNDLE_THROTTLE_SECONDS", 0.0))

    def open_image(file_name: str):
        if throttle:
            time.sleep(throttle)
        cleaned = names[file_name]
        if not cleaned:
            raise RuntimeError(f"{file_name}: the photo has no cleaned copy")
        return default_storage.open(cleaned, "rb")

    return open_image


def _base_claim(base_id: int, bundle_id: int) -> tuple[str, BundleBase]:
    """Take the build lease of a base: 'ready', 'claimed' (we build it) or 'wait' (someone else is).

    The lease is a compare-and-set on (status, builder, attempts), so two buyers' tasks never
    build the same base; a task redelivered after its worker died takes its own lease back at
    once, and anyone takes over a lease with no heartbeat for STOCKDATA_BUNDLE_LEASE_SECONDS.
    """
    lease = dt.timedelta(seconds=int(_setting("STOCKDATA_BUNDLE_LEASE_SECONDS", 120)))
    with transaction.atomic():
        base = BundleBase.objects.select_for_update().get(pk=base_id)
        if base.status == BundleBase.Status.READY:
            return "ready", base
        if base.part_count:
            return "parts", base  # its parts are built by their own tasks; the last one queues us again
        now = timezone.now()
        stale = base.heartbeat_at is None or now - base.heartbeat_at > lease
        if base.status == BundleBase.Status.BUILDING and base.builder != bundle_id and not stale:
            return "wait", base
        old_partial = base.partial
        partial = _reserve(f"bundles/bases/v{base.version_id}-{base.edition}/partial")
        claimed = BundleBase.objects.filter(
            pk=base.pk, status=base.status, builder=base.builder, attempts=base.attempts
        ).update(
            status=BundleBase.Status.BUILDING,
            builder=bundle_id,
            heartbeat_at=now,
            started_at=now,
            attempts=F("attempts") + 1,
            files_done=0,
            error="",
            partial=partial,
        )
        if not claimed:
            _delete_quietly(partial)
            return "wait", base
    _delete_quietly(old_partial)
    base.refresh_from_db()
    return "claimed", base


def _base_build(base: BundleBase, bundle_id: int) -> None:
    version = base.version
    info = version_info(version, excluded=base.excluded)
    items = version_items(version, edition=base.edition, excluded=base.excluded)
    if not items:  # checked when the base was chosen; a base row written by hand must not give an empty zip
        raise NothingToDeliver(
            _("Every photo of this version was left out: consent was withdrawn for all of them."),
            code=ErrorCode.NOTHING_TO_DELIVER,
        )
    sizes = _image_sizes(version)
    part_bytes = int(_setting("STOCKDATA_BUNDLE_PART_BYTES", 4 * 1024**3))
    if sum(sizes.get(item["file_name"], 0) for item in items) > part_bytes:
        _base_parts_start(base, bundle_id, core.part_plan(items, sizes, part_bytes=part_bytes))
        return
    entries = core.base_entries(items, info, edition=base.edition, open_image=_image_opener(version))
    BundleBase.objects.filter(pk=base.pk).update(files_total=len(entries))
    with default_storage.open(base.partial, "wb") as fh:
        out = _HashingWriter(fh)
        snapshot = _PrefixSnapshot(out, _Progress(BundleBase, base.pk, heartbeat=True))
        index = core.build_base(out, entries, date_time=core.bundle_date_time(info), progress=snapshot)
    prefix_state = {}
    if snapshot.size == index.local_end:
        _prefix_hashes.clear()  # one at a time: the buyer whose task built it uses it next
        _prefix_hashes[(base.pk, base.partial)] = snapshot.sha256
        prefix_state = snapshot.sha256.state() if isinstance(snapshot.sha256, digest.Sha256) else {}
    with transaction.atomic():
        updated = BundleBase.objects.filter(pk=base.pk, builder=bundle_id, partial=base.partial).update(
            status=BundleBase.Status.READY,
            archive=base.partial,
            partial="",
            index=index.to_json(),
            prefix_sha256_state=prefix_state,
            byte_size=out.size,
            files_done=len(entries),
            files_total=len(entries),
            finished_at=timezone.now(),
            builder=None,
            error="",
        )
    if not updated:  # our lease was taken over meanwhile; theirs wins, ours is garbage
        _delete_quietly(base.partial)


def _base_choose(line: OrderLine) -> BundleBase:
    """The base this line's bundle is built from: its version+edition without what may no longer be
    delivered now. A withdrawal since the last base was built makes a new one, without the photo;
    bundles already built keep theirs (their buyers get a withdrawal notice instead)."""
    version = line.version
    required = line.dataset.required_scopes
    excluded = version_exclusions(version, required_scopes=required)
    if excluded and len(excluded) >= version.items.count():
        raise NothingToDeliver(
            _(
                "Version %(version)d of %(title)s has no photo left to deliver: consent was withdrawn for all "
                "%(count)d of them after it was frozen."
            )
            % {"version": version.number, "title": version.dataset.title_en, "count": len(excluded)},
            code=ErrorCode.NOTHING_TO_DELIVER,
        )
    base, _created = BundleBase.objects.get_or_create(
        version_id=line.version_id,
        edition=line.edition,
        excluded_key=exclusion_key(excluded),
        defaults={"excluded": excluded},
    )
    return base


def _image_sizes(version) -> dict[str, int]:
    """Bytes of each item's cleaned copy, as stored (what the archive will hold)."""
    return {
        name: default_storage.size(cleaned)
        for name, cleaned in version.items.values_list("file_name", "photo__cleaned")
        if cleaned
    }


def _base_parts_start(base: BundleBase, bundle_id: int, plan: list[list[dict]]) -> None:
    """Turn a claimed base into ``len(plan)`` parts and queue one build task per part (a Celery
    group); the last part to finish completes the base and queues its buyers (``base_parts_finish``)."""
    with transaction.atomic():
        claimed = BundleBase.objects.select_for_update().filter(pk=base.pk, builder=bundle_id, partial=base.partial)
        if not claimed.exists():
            return  # our lease was taken over meanwhile
        parts = [
            BundleBasePart.objects.get_or_create(
                base=base, number=number, defaults={"file_names": [item["file_name"] for item in items]}
            )[0]
            for number, items in enumerate(plan, start=1)
        ]
        claimed.update(part_count=len(parts), partial="", builder=None, files_done=0, files_total=0)
        ids = [part.pk for part in parts]
        transaction.on_commit(lambda: bundle_base_parts_enqueue(ids))
    _delete_quietly(base.partial)


def bundle_base_parts_enqueue(part_ids: list[int]) -> None:
    """Queue the parts' builds as one Celery group: as many workers as there are build them at once."""
    from celery import group

    from licensing.delivery.tasks import bundle_base_part_build_task  # tasks import this module

    group(bundle_base_part_build_task.si(pk) for pk in part_ids).apply_async()


def bundle_base_part_build(*, part_id: int) -> BundleBasePart:
    """Build one part of a parted base: its images with their own annotations, metadata rows and
    Croissant under ``<root>/part-NNN/``. Idempotent: a ready part is left alone; an attempt
    killed mid-way left a partial object, which the next attempt deletes before starting clean.
    Other parts are never touched."""
    with transaction.atomic():
        part = BundleBasePart.objects.select_for_update().select_related("base__version__dataset").get(pk=part_id)
        if part.status == BundleBase.Status.READY:
            return part
        old_partial = part.partial
        base = part.base
        part.partial = _reserve(f"bundles/bases/v{base.version_id}-{base.edition}/partial")
        part.status = BundleBase.Status.BUILDING
        part.attempts += 1
        part.files_done = 0
        part.error = ""
        part.save(update_fields=["partial", "status", "attempts", "files_done", "error"])
    _delete_quietly(old_partial)
    version = base.version
    info = version_info(version, excluded=base.excluded)
    wanted = set(part.file_names)
    items = [
        i for i in version_items(version, edition=base.edition, excluded=base.excluded) if i["file_name"] in wanted
    ]
    root = core.part_root(info, base.edition, part.number)
    entries = core.base_entries(items, info, edition=base.edition, open_image=_image_opener(version), root=root)
    BundleBasePart.objects.filter(pk=part.pk).update(files_total=len(entries))
    _base_parts_progress(base.pk)
    progress = _PartProgress(part.pk, base.pk)
    with default_storage.open(part.partial, "wb") as fh:
        out = _HashingWriter(fh)
        snapshot = _PrefixSnapshot(out, progress)
        index = core.build_base(out, entries, date_time=core.bundle_date_time(info), progress=snapshot)
    state = snapshot.sha256.state() if isinstance(snapshot.sha256, digest.Sha256) else {}
    BundleBasePart.objects.filter(pk=part.pk, partial=part.partial).update(
        status=BundleBase.Status.READY,
        archive=part.partial,
        partial="",
        index=index.to_json(),
        prefix_sha256_state=state if snapshot.size == index.local_end else {},
        byte_size=out.size,
        files_done=len(entries),
        finished_at=timezone.now(),
    )
    base_parts_finish(base_id=base.pk)
    part.refresh_from_db()
    return part


class _PartProgress:
    def __init__(self, part_id: int, base_id: int):
        self.part = _Progress(BundleBasePart, part_id)
        self.base_id = base_id

    def __call__(self, done: int, total: int, nbytes: int) -> None:
        before = self.part.last
        self.part(done, total, nbytes)
        if self.part.last != before:
            _base_parts_progress(self.base_id)


def _base_parts_progress(base_id: int) -> None:
    """The base's progress is the sum of its parts' (what the buyer's page shows)."""
    from django.db.models import Sum

    totals = BundleBasePart.objects.filter(base_id=base_id).aggregate(done=Sum("files_done"), total=Sum("files_total"))
    BundleBase.objects.filter(pk=base_id).update(
        files_done=totals["done"] or 0, files_total=totals["total"] or 0, heartbeat_at=timezone.now()
    )


def bundle_base_part_failed(*, part_id: int, error: str, final: bool) -> None:
    """Record a failed part; when it failed for good, its base and every bundle waiting for it fail
    too (staff are told through ``bundle_build_failed``; 'Rebuild' starts the failed parts over)."""
    error = error[:500]
    with transaction.atomic():
        part = BundleBasePart.objects.select_for_update().get(pk=part_id)
        if part.status == BundleBase.Status.READY:
            return
        part.status = BundleBase.Status.FAILED if final else BundleBase.Status.RETRYING
        part.error = error
        part.save(update_fields=["status", "error"])
        if not final:
            return
        BundleBase.objects.filter(pk=part.base_id).update(status=BundleBase.Status.FAILED, error=error)
        waiting = list(
            Bundle.objects.filter(base_id=part.base_id).exclude(status=Bundle.Status.READY).values_list("pk", flat=True)
        )
    for pk in waiting:
        bundle_build_failed(bundle_id=pk, error=f"part {part.number}: {error}", final=True)


def base_parts_finish(*, base_id: int) -> bool:
    """The join of the parts' group (what a chord's callback does, kept in the database so that a
    redelivered part still counts, and without a result backend): once every part is ready the
    base is ready and every bundle waiting for it is queued to write its tails and index part."""
    with transaction.atomic():
        base = BundleBase.objects.select_for_update().get(pk=base_id)
        parts = list(BundleBasePart.objects.filter(base=base))
        if base.status == BundleBase.Status.READY or any(p.status != BundleBase.Status.READY for p in parts):
            return False
        base.status = BundleBase.Status.READY
        base.byte_size = sum(p.byte_size for p in parts)
        base.files_done = base.files_total = sum(p.files_total for p in parts)
        base.finished_at = timezone.now()
        base.error = ""
        base.save(update_fields=["status", "byte_size", "files_done", "files_total", "finished_at", "error"])
        waiting = list(
            Bundle.objects.filter(base=base, revoked_at__isnull=True)
            .exclude(status=Bundle.Status.READY)
            .values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: [bundle_build_enqueue(pk) for pk in waiting])
    return True


def _base_ready(bundle: Bundle) -> BundleBase | None:
    line = OrderLine.objects.select_related("version__dataset", "dataset").get(pk=bundle.order_line_id)
    base = _base_choose(line)
    if bundle.base_id != base.pk:
        Bundle.objects.filter(pk=bundle.pk).update(base=base)
    deadline = time.monotonic() + int(_setting("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60))
    while True:
        state, base = _base_claim(base.pk, bundle.pk)
        if state == "ready":
            return base
        if state == "parts":
            return None
        if state == "claimed":
            _base_build(base, bundle.pk)
            base.refresh_from_db()
            if base.part_count:
                return None
            continue
        if time.monotonic() > deadline:
            raise TimeoutError("the shared base of this version is still being built")
        time.sleep(1)


def licence_text(line: OrderLine) -> bytes:
    order = line.order
    version = line.version
    dataset = version.dataset
    terms = order.licence
    body = f"{terms.title_en}\n\n{terms.body_en}\n\n{'=' * 72}\n\n{terms.title_ja}\n\n{terms.body_ja}\n"
    return core.license_txt(
        buyer_organisation=order.organisation.name,
        order_number=order.number,
        dataset_title=dataset.title_en,
        dataset_slug=dataset.slug,
        version=version.number,
        edition=line.edition,
        licence_name=terms.title_en,
        licence_terms=body,
        issued_on=(order.paid_at or order.placed_at).date().isoformat(),
        content_hash=version.content_hash,
        required_scopes=dataset.required_scopes or (),
    )


def bundle_file_name(line: OrderLine) -> str:
    info = version_info(line.version)
    return f"{core.bundle_root(info, line.edition)}-{line.order.number}.zip"


def bundle_build(*, bundle_id: int) -> Bundle:
    """Build one line's bundle: the shared base (once per version+edition), then the buyer's copy.

    Idempotent: a ready bundle is left alone. The archive becomes downloadable only when it is
    completely stored; what a killed attempt left behind is deleted by the next one.
    """
    with transaction.atomic():
        bundle = Bundle.objects.select_for_update().select_related("order_line").get(pk=bundle_id)
        if bundle.status == Bundle.Status.READY or bundle.revoked_at is not None:
            return bundle  # done already, or refunded before it was built: nothing to deliver
        old_partial = bundle.partial
        bundle.status = Bundle.Status.BUILDING
        bundle.attempts += 1
        bundle.partial = ""
        bundle.save(update_fields=["status", "attempts", "partial"])
    _delete_quietly(old_partial)

    base = _base_ready(bundle)
    if base is None:  # a parted base: its parts' tasks build it, the last one queues this bundle again
        return Bundle.objects.get(pk=bundle.pk)
    line = OrderLine.objects.select_related("order__organisation", "order__licence", "version__dataset__licence").get(
        pk=bundle.order_line_id
    )
    info = version_info(line.version, excluded=base.excluded)
    if base.part_count:
        return _bundle_build_parts(bundle, base, line, info)
    index = core.BaseIndex.from_json(base.index)
    # The buyer's own bytes only: LICENSE.txt, manifest and central directory (kilobytes).
    partial = _reserve(f"bundles/orders/{line.order.uuid}/{line.pk}/partial")
    Bundle.objects.filter(pk=bundle.pk).update(partial=partial)
    tail = bundle_tail_write(
        base=base,
        index=index,
        name=partial,
        info=info,
        edition=line.edition,
        license=licence_text(line),
        progress=_Progress(Bundle, bundle.pk),
    )
    archive, base_prefix = partial, index.local_end
    if _is_s3(default_storage):
        # A presigned URL names one object: S3 assembles it from the base (server-side copy) + tail.
        archive = _reserve(f"bundles/orders/{line.order.uuid}/{line.pk}/partial")
        Bundle.objects.filter(pk=bundle.pk).update(partial=archive)
        bundle_compose(base=base, index=index, tail=tail, name=archive)
        _delete_quietly(partial)  # the tail is inside the composed object now
        base_prefix = 0
    with transaction.atomic():
        bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
        if bundle.status == Bundle.Status.READY:  # a duplicate delivery finished first
            _delete_quietly(archive)
            return bundle
        bundle.status = Bundle.Status.READY
        bundle.archive = archive
        bundle.base_prefix = base_prefix
        bundle.partial = ""
        bundle.base = base
        bundle.file_name = bundle_file_name(line)
        bundle.byte_size = index.local_end + tail.size
        bundle.sha256 = tail.sha256
        bundle.files_total = bundle.files_done = tail.files
        bundle.error = ""
        bundle.ready_at = timezone.now()
        # APPI: the record of this provision names exactly what the archive holds, written as it is delivered.
        delivered = set(line.version.items.values_list("file_name", flat=True)) - set(base.excluded)
        provision_records_create(line=line, files=delivered)
        bundle.save(
            update_fields=[
                "status",
                "archive",
                "base_prefix",
                "partial",
                "base",
                "file_name",
                "byte_size",
                "sha256",
                "files_total",
                "files_done",
                "error",
                "ready_at",
            ]
        )
        _email_ready(bundle)
    return bundle


@dataclasses.dataclass(frozen=True)
class TailWritten:
    name: str  # storage name of the tail
    size: int  # bytes of the tail
    sha256: str  # hex, of the whole archive (base prefix + tail)
    files: int  # entries in the whole archive


def bundle_tail_write(
    *, base: BundleBase, index, name: str, info: dict, edition: str, license: bytes, progress=None
) -> TailWritten:
    """Write one buyer's personal tail to storage ``name``.

    The buyer's archive is ``base.archive[:index.local_end]`` followed by these bytes, byte for
    byte what the one-pass writer gives for the same inputs; its SHA-256 continues from the
    prefix state saved with the base, so nothing of the base is read or copied.
    """
    sha = _prefix_sha256(base, index)
    with default_storage.open(name, "wb") as fh:
        out = _HashingWriter(fh, sha256=sha)
        records = core.personal_tail_bundle(index, out, info=info, edition=edition, license=license, progress=progress)
    return TailWritten(name=name, size=out.size, sha256=out.sha256.hexdigest(), files=len(records))


def _is_s3(storage) -> bool:
    return hasattr(storage, "bucket_name")  # django-storages' S3 backends, whatever the subclass


#: S3's multipart limits: every part but the last is 5 MiB .. 5 GiB.
S3_PART_MIN = 5 * 1024 * 1024
S3_COPY_PART_MAX = 5 * 1024**3


def bundle_compose(*, base: BundleBase, index, tail: TailWritten, name: str) -> None:
    """On S3, store the whole archive as ``name``: a multipart upload whose parts are
    ``UploadPartCopy`` ranges of the base object (copied inside S3, never through the worker)
    and whose last part is the tail. A base prefix under S3's 5 MiB part minimum is small: it is
    read and uploaded with the tail as one part."""
    storage = default_storage
    client = storage.connection.meta.client
    bucket = storage.bucket_name
    key = storage._normalize_name(name)
    source_key = storage._normalize_name(base.archive)
    prefix = index.local_end
    params = {k: v for k, v in storage._get_write_parameters(name).items() if k in ("ACL", "ContentType")}
    upload = client.create_multipart_upload(Bucket=bucket, Key=key, **params)
    upload_id = upload["UploadId"]
    parts: list[dict] = []
    try:
        copied = 0
        if prefix >= S3_PART_MIN:
            count = -(-prefix // S3_COPY_PART_MAX)
            step = -(-prefix // count)
            while copied < prefix:
                last = min(copied + step, prefix) - 1
                result = client.upload_part_copy(
                    Bucket=bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=len(parts) + 1,
                    CopySource={"Bucket": bucket, "Key": source_key},
                    CopySourceRange=f"bytes={copied}-{last}",
                )
                parts.append({"PartNumber": len(parts) + 1, "ETag": result["CopyPartResult"]["ETag"]})
                copied = last + 1
        body = b""
        if copied < prefix:
            with storage.open(base.archive, "rb") as src:
                body = src.read(prefix)
        with storage.open(tail.name, "rb") as fh:
            body += fh.read()
        result = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=len(parts) + 1, Body=body)
        parts.append({"PartNumber": len(parts) + 1, "ETag": result["ETag"]})
        client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    except Exception:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise


@dataclasses.dataclass(frozen=True)
class Segment:
    name: str  # storage name
    length: int  # bytes of it, from its start


def bundle_segments(bundle: Bundle | BundlePart) -> list[Segment]:
    """What a buyer's archive (or one part of it) is made of, in order: the base prefix (when only
    the tail is stored), then the stored archive."""
    if bundle.base_prefix:
        source = bundle.base_part.archive if isinstance(bundle, BundlePart) else bundle.base.archive
        return [
            Segment(source, bundle.base_prefix),
            Segment(bundle.archive, bundle.byte_size - bundle.base_prefix),
        ]
    return [Segment(bundle.archive, bundle.byte_size)]


def bundle_read(
    bundle: Bundle | BundlePart, start: int = 0, end: int | None = None, *, chunk_size: int = core.CHUNK_SIZE
):
    """Yield the bytes ``start..end`` (inclusive; ``None``: to the last byte) of a buyer's archive,
    as served: base prefix then tail, read in chunks, one storage file open at a time."""
    end = bundle.byte_size - 1 if end is None else end
    offset = 0
    for segment in bundle_segments(bundle):
        lo, hi = max(start, offset), min(end + 1, offset + segment.length)
        if lo < hi:
            with default_storage.open(segment.name, "rb") as fh:
                fh.seek(lo - offset)
                left = hi - lo
                while left:
                    data = fh.read(min(chunk_size, left))
                    if not data:
                        raise ValueError(f"{segment.name} ended {left} bytes early")
                    left -= len(data)
                    yield data
        offset += segment.length


def _bundle_build_parts(bundle: Bundle, base: BundleBase, line: OrderLine, info: dict) -> Bundle:
    """A parted buyer's bundle: a tail per base part (base part prefix + tail = that part's ZIP,
    with the buyer's LICENSE.txt and the part's manifest), then the index part with the combined
    manifest. Kilobytes per part are written; nothing of the images is copied."""
    license = licence_text(line)
    folder = f"bundles/orders/{line.order.uuid}/{line.pk}"
    count = base.part_count
    written: list[dict] = []
    records: list[list] = []
    try:
        for base_part in BundleBasePart.objects.filter(base=base).order_by("number"):
            index = core.BaseIndex.from_json(base_part.index)
            name = _reserve(f"{folder}/partial")
            written.append({"archive": name})
            sha = _prefix_sha256(base_part, index)
            with default_storage.open(name, "wb") as fh:
                out = _HashingWriter(fh, sha256=sha)
                part_records = core.personal_tail_bundle(
                    index,
                    out,
                    info=info,
                    edition=line.edition,
                    license=license,
                    root=core.part_root(info, line.edition, base_part.number),
                )
            records.append(part_records)
            written[-1].update(
                number=base_part.number,
                base_part=base_part,
                base_prefix=index.local_end,
                byte_size=index.local_end + out.size,
                sha256=out.sha256.hexdigest(),
            )
            if _is_s3(default_storage):
                tail = TailWritten(name=name, size=out.size, sha256="", files=0)
                composed = _reserve(f"{folder}/partial")
                bundle_compose(base=base_part, index=index, tail=tail, name=composed)
                _delete_quietly(name)
                written[-1].update(archive=composed, base_prefix=0)
        name = _reserve(f"{folder}/partial")
        written.append({"archive": name})
        with default_storage.open(name, "wb") as fh:
            out = _HashingWriter(fh)
            core.index_part(out, info, edition=line.edition, license=license, parts=records)
        written[-1].update(number=0, base_part=None, base_prefix=0, byte_size=out.size, sha256=out.sha256.hexdigest())
    except Exception:
        for row in written:
            _delete_quietly(row["archive"])
        raise
    with transaction.atomic():
        locked = Bundle.objects.select_for_update().get(pk=bundle.pk)
        if locked.status == Bundle.Status.READY:
            for row in written:
                _delete_quietly(row["archive"])
            return locked
        for row in written:
            BundlePart.objects.update_or_create(
                bundle=locked,
                number=row["number"],
                defaults={
                    "archive": row["archive"],
                    "base_part": row["base_part"],
                    "base_prefix": row["base_prefix"],
                    "byte_size": row["byte_size"],
                    "sha256": row["sha256"],
                    "file_name": core.part_file_name(info, line.edition, row["number"], count, f"-{line.order.number}"),
                },
            )
        index_row = written[-1]
        locked.status = Bundle.Status.READY
        locked.archive = index_row["archive"]
        locked.base_prefix = 0
        locked.partial = ""
        locked.base = base
        locked.file_name = bundle_file_name(line)
        locked.byte_size = sum(row["byte_size"] for row in written)
        locked.sha256 = ""  # several files: each part shows its own
        locked.files_total = locked.files_done = sum(len(r) for r in records) + 2
        locked.error = ""
        locked.ready_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "archive",
                "base_prefix",
                "partial",
                "base",
                "file_name",
                "byte_size",
                "sha256",
                "files_total",
                "files_done",
                "error",
                "ready_at",
            ]
        )
        # APPI: as for a single archive, the record names exactly what the parts hold.
        delivered = set(line.version.items.values_list("file_name", flat=True)) - set(base.excluded)
        provision_records_create(line=line, files=delivered)
        _email_ready(locked)
    return locked


def bundle_build_failed(*, bundle_id: int, error: str, final: bool) -> None:
    """Record a failed attempt on the rows, so the page says 'retrying' or 'failed' instead of spinning."""
    error = error[:500]
    with transaction.atomic():
        bundle = Bundle.objects.select_for_update().select_related("order_line__order").get(pk=bundle_id)
        if bundle.status == Bundle.Status.READY:
            return
        bundle.status = Bundle.Status.FAILED if final else Bundle.Status.RETRYING
        bundle.error = error
        bundle.save(update_fields=["status", "error"])
        BundleBase.objects.filter(builder=bundle_id).exclude(status=BundleBase.Status.READY).update(
            status=BundleBase.Status.FAILED if final else BundleBase.Status.RETRYING,
            builder=None,
            error=error,
        )
    if final:
        logger.error("bundle %s failed for good: %s", bundle_id, error)
        email_send_to_admins(
            key=f"bundle-failed:{bundle_id}:{bundle.attempts}",
            subject=f"Bundle {bundle_id} failed (order {bundle.order_line.order.number})",
            body=f"The bundle of order line {bundle.order_line_id} failed after {bundle.attempts} attempts:\n\n{error}\n\n"
            "Fix the cause, then use the 'Rebuild' action in the admin.",
        )
    else:
        logger.warning("bundle %s attempt failed, will retry: %s", bundle_id, error)


def _email_ready(bundle: Bundle) -> None:
    """Tell the buyer, once per build (a rebuilt bundle is a new archive, so a new e-mail)."""
    order = bundle.order_line.order
    language = language_of(order.placed_by)
    email_send_template(
        key=f"bundle-ready:{bundle.pk}:{bundle.archive}",
        to=[order.placed_by.email],
        template="mail/bundle_ready",
        context={
            "title": bundle.order_line.title,
            "number": order.number,
            "link": site_url(order_page_path(order), language=language),
            "recipient_name": order.placed_by.full_name,
        },
        language=language,
    )


def order_page_path(order) -> str:
    """The buyer's order page, where the bundle's progress and downloads are."""
    return reverse("licensing:order_detail", kwargs={"uuid": order.uuid})


# --- Delivery -----------------------------------------------------------------------------------


class DownloadRefused(ApplicationError):
    pass


def download_check(bundle: Bundle | None, line: OrderLine, *, counting: bool = True) -> None:
    """Raise DownloadRefused (with the status the page should get) unless the line may be downloaded now
    (``counting=False``: whatever the download limit, e.g. to resume a download already counted)."""
    if line.status == OrderLine.Status.REFUNDED or (bundle is not None and bundle.revoked_at is not None):
        raise DownloadRefused(
            _("This order line was refunded; its bundle can no longer be downloaded."),
            code=ErrorCode.REFUNDED,
            status=410,
        )
    if bundle is None or bundle.status != Bundle.Status.READY or not bundle.archive:
        raise DownloadRefused(
            _("The bundle is not ready yet. This page updates itself; try again when it says Ready."),
            code=ErrorCode.NOT_READY,
            status=409,
        )
    if counting and bundle.download_limit is not None and downloads_counted(bundle) >= bundle.download_limit:
        raise DownloadRefused(
            _("This bundle has been downloaded %(count)d times, its limit. Contact us if you need another copy.")
            % {"count": bundle.download_limit},
            code=ErrorCode.DOWNLOAD_LIMIT,
            status=403,
        )


def downloads_counted(bundle: Bundle) -> int:
    """Downloads of ``bundle`` so far: fetches from byte 0 (a resumed fetch is the same download)."""
    return bundle.downloads.filter(resumed=False).count()


def bundle_withdrawn_since_built(bundle: Bundle) -> list[str]:
    """The file names in this ready bundle's archive that may no longer be delivered (consent withdrawn,
    release ended or opted out since it was built), sorted; [] when it may be handed out as it is."""
    if bundle.status != Bundle.Status.READY or bundle.base_id is None:
        return []
    line = bundle.order_line
    now_excluded = version_exclusions(line.version, required_scopes=line.dataset.required_scopes)
    return sorted(set(now_excluded) - set(bundle.base.excluded))


@transaction.atomic
def bundle_refresh_after_withdrawal(*, bundle: Bundle) -> bool:
    """No provision after a withdrawal: a ready bundle that holds a photo which may no longer be delivered
    is rebuilt without it (its old archive deleted, never served again) and its buyer waits for the new one
    with progress, as for a first build. The one place that decides it; True when a rebuild was started."""
    bundle = (
        Bundle.objects.select_for_update(of=("self",)).select_related("order_line__version", "base").get(pk=bundle.pk)
    )
    gone = bundle_withdrawn_since_built(bundle)
    if not gone:
        return False
    old_archive = bundle.archive
    old_parts = [part.archive for part in bundle.parts.all() if part.archive and part.archive != old_archive]
    bundle.withdrawn_files = sorted(set(bundle.withdrawn_files) | set(gone))
    bundle.rebuilt_at = timezone.now()
    bundle.status = Bundle.Status.PENDING
    bundle.archive = ""
    bundle.sha256 = ""
    bundle.byte_size = 0
    bundle.files_done = 0
    bundle.attempts = 0
    bundle.error = ""
    bundle.ready_at = None
    bundle.save(
        update_fields=[
            "withdrawn_files",
            "rebuilt_at",
            "status",
            "archive",
            "sha256",
            "byte_size",
            "files_done",
            "attempts",
            "error",
            "ready_at",
        ]
    )
    transaction.on_commit(lambda: _delete_quietly(old_archive))
    for part_archive in old_parts:  # a parted bundle's parts are rebuilt in place (same numbers)
        transaction.on_commit(lambda part_archive=part_archive: _delete_quietly(part_archive))
    transaction.on_commit(lambda: bundle_build_enqueue(bundle.pk))
    return True


def bundle_download(*, line: OrderLine, user, ip: str | None, part: int | None = None) -> str:
    """Issue one member a fresh, short-lived link to the archive, and log the issue.

    Only a ready bundle of a line not refunded, within its download limit. On local disk the
    link is opaque and bound to ``user``; each fetch through it is logged (``bundle_fetch``). On
    S3 the presigned URL is the download: it is logged as one now. A bundle holding a photo whose
    consent was withdrawn since it was built is rebuilt first (``bundle_refresh_after_withdrawal``).
    """
    if not has_any_org_role(user, line.order.organisation_id, DOWNLOADING):
        raise DownloadRefused(
            _("Your role in your organisation does not include downloading. Ask an owner of your organisation."),
            code=ErrorCode.PERMISSION_DENIED,
            status=403,
        )
    bundle = Bundle.objects.filter(order_line=line).first()
    active = bundle is not None and line.status == OrderLine.Status.ACTIVE and bundle.revoked_at is None
    if active and bundle_refresh_after_withdrawal(bundle=bundle):
        raise DownloadRefused(
            _(
                "A person in this bundle withdrew their consent: it is being rebuilt without their photos. "
                "Your order page shows the progress; download it there when it says Ready."
            ),
            code=ErrorCode.NOT_READY,
            status=409,
        )
    return _bundle_download_issue(line=line, user=user, ip=ip, part=part)


@transaction.atomic
def _bundle_download_issue(*, line: OrderLine, user, ip: str | None, part: int | None) -> str:
    bundle = Bundle.objects.select_for_update().filter(order_line=line).first()
    download_check(bundle, line)
    target = bundle
    if part is not None:  # one part of a parted bundle (number 0: the index part)
        target = bundle.parts.filter(number=part).first()
        if target is None:
            raise DownloadRefused(_("This bundle has no such part."), code=ErrorCode.NOT_FOUND, status=404)
    elif bundle.parts.exists():
        raise DownloadRefused(
            _("This bundle comes in parts: download each part."), code=ErrorCode.NOT_FOUND, status=404
        )
    max_age = download_url_max_age()
    expires_at = timezone.now() + dt.timedelta(seconds=max_age)
    selector, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    storage = default_storage
    if _is_s3(storage):
        link = DownloadLink.objects.create(
            selector=selector,
            bundle=bundle,
            user=user,
            ip=ip or None,
            kind=DownloadLink.Kind.PRESIGNED,
            expires_at=expires_at,
            part=target if part is not None else None,
        )
        DownloadEvent.objects.create(bundle=bundle, user=user, ip=ip or None, link=link)
        logger.info("download link issued", extra={"bundle": bundle.pk, "link": selector, "user_id": user.pk})
        return storage.url(
            target.archive,
            parameters={"ResponseContentDisposition": f'attachment; filename="{target.file_name}"'},
            expire=max_age,
        )
    DownloadLink.objects.create(
        selector=selector,
        secret_hash=_secret_hash(secret),
        bundle=bundle,
        user=user,
        ip=ip or None,
        kind=DownloadLink.Kind.LOCAL,
        expires_at=expires_at,
        part=target if part is not None else None,
    )
    return reverse("licensing:bundle_file", kwargs={"token": f"{selector}.{secret}"})


#: An interrupted download may be resumed (HTTP Range) through its link this long after it expired.
RESUME_GRACE = dt.timedelta(hours=24)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def bundle_etag(bundle: Bundle | BundlePart) -> str:
    """The archive's entity tag: its SHA-256 (a rebuilt archive has another)."""
    return f'"{bundle.sha256}"'


def if_range_holds(bundle: Bundle | BundlePart, if_range: str) -> bool:
    """``If-Range``: a range applies only to the archive the client already has part of: the same
    entity tag (strong comparison) or, given a date, the time the archive was made. Otherwise the
    client gets (and is counted for) the whole archive."""
    value = (if_range or "").strip()
    if not value:
        return True
    if value.startswith(('"', "W/")):
        return value == bundle_etag(bundle)
    from django.utils.http import parse_http_date_safe

    since = parse_http_date_safe(value)
    ready_at = bundle.bundle.ready_at if isinstance(bundle, BundlePart) else bundle.ready_at
    return since is not None and ready_at is not None and int(ready_at.timestamp()) == since


#: More ranges than this in one request is refused (416) rather than served as a huge multipart body.
MAX_RANGES = 16


@transaction.atomic
def bundle_fetch(
    *,
    token: str,
    user,
    ip: str | None,
    range_start: int = 0,
    byte_ranges: list[tuple[int | None, int | None]] | None = None,
    if_range: str = "",
) -> Bundle | BundlePart:
    """Check and log one fetch of a local download link; the bundle (or the part of it the link
    names) to stream.

    Raises ``DownloadRefused`` with status 404 for a link that does not exist, is not ``user``'s,
    or names a bundle that may no longer be downloaded (as if there were no such link); 403 when
    the link expired or the download limit is reached; 416 when no requested range is inside the
    archive. A fetch from byte 0 is a new download (counted against the limit, only while the link
    is fresh); a fetch from a later byte resumes a download this link started (not counted again,
    for ``RESUME_GRACE`` after expiry). ``byte_ranges`` are a Range header's (first, last) pairs
    (``None`` where left out); with an ``If-Range`` that no longer holds they are ignored.
    """
    selector, _dot, secret = (token or "").partition(".")
    link = (
        DownloadLink.objects.select_related("bundle__order_line")
        .filter(selector=selector, kind=DownloadLink.Kind.LOCAL)
        .first()
    )
    gone = DownloadRefused(_("This download link does not exist."), code=ErrorCode.NOT_FOUND, status=404)
    if link is None or not secret or not hmac.compare_digest(link.secret_hash, _secret_hash(secret)):
        raise gone
    if not getattr(user, "is_authenticated", False) or link.user_id != user.pk:
        raise gone
    bundle = (
        Bundle.objects.select_for_update(of=("self",))
        .select_related("order_line__order", "base")
        .get(pk=link.bundle_id)
    )
    # Only while they are still a member who may download (removed, or moved to another role: gone).
    if not has_any_org_role(user, bundle.order_line.order.organisation_id, DOWNLOADING):
        raise gone
    try:
        download_check(bundle, bundle.order_line, counting=False)
    except DownloadRefused:
        raise gone from None
    if bundle_withdrawn_since_built(bundle):  # a link issued before the withdrawal: never the old archive
        raise DownloadRefused(
            _("A person in this bundle withdrew their consent. Go back to your order and download it again."),
            code=ErrorCode.LINK_EXPIRED,
            status=403,
        )
    now = timezone.now()
    target = bundle
    if link.part_id:
        target = BundlePart.objects.select_related("base_part", "bundle").get(pk=link.part_id, bundle=bundle)
    size = target.byte_size
    unsatisfiable = DownloadRefused(
        _("That part of the file does not exist."),
        code=ErrorCode.RANGE_NOT_SATISFIABLE,
        status=416,
        extra={"size": size},
    )
    if byte_ranges and if_range_holds(target, if_range):
        if len(byte_ranges) > MAX_RANGES:
            raise unsatisfiable
        starts = [
            (max(0, size - last) if first is None else first)
            for first, last in byte_ranges
            if (first is None and last) or (first is not None and first < size)
        ]
        if not starts:
            raise unsatisfiable
        range_start = min(starts)
    elif byte_ranges:
        range_start = 0
    if range_start and size is not None and range_start >= size:
        raise unsatisfiable
    if range_start > 0:
        started = link.fetches.filter(resumed=False).exists()
        if not started or now > link.expires_at + RESUME_GRACE:
            raise DownloadRefused(
                _("This download link has expired. Go back to your order and download again."),
                code=ErrorCode.LINK_EXPIRED,
                status=403,
            )
    else:
        if now > link.expires_at:
            raise DownloadRefused(
                _("This download link has expired. Go back to your order and download again."),
                code=ErrorCode.LINK_EXPIRED,
                status=403,
            )
        download_check(bundle, bundle.order_line)
    DownloadEvent.objects.create(
        bundle=bundle, user=user, ip=ip or None, link=link, range_start=range_start, resumed=range_start > 0
    )
    return target


def download_links_expire(*, user) -> int:
    """Every link issued to ``user`` stops working now (a member removed from their organisation);
    the links stay as the record of what was issued. The number ended."""
    now = timezone.now()
    return DownloadLink.objects.filter(user_id=user.pk, expires_at__gt=now).update(expires_at=now)


# --- Consent withdrawn after delivery -------------------------------------------------------------


def bundle_withdrawal_notices(*, withdrawal: ConsentWithdrawal) -> list[WithdrawalNotice]:
    """Tell every recipient who already received the subject's photos which files to delete, by when.

    One notice per delivered line (bundle ready, line not refunded) whose version holds a photo of
    the subject and whose dataset required a withdrawn scope (any, when the whole consent is
    withdrawn), and per evaluation pack likewise; created once per withdrawal with its tombstone
    (the files as delivered, with their SHA-256) and a deadline of ``DELETION_DAYS``; each e-mail
    goes through the outbox (a Celery task with retries) once the withdrawal commits, so a mail
    outage never undoes the withdrawal. Call it inside ``consent_withdraw``'s transaction.
    """
    subject_id = withdrawal.release.subject_id
    release_id = withdrawal.release_id
    withdrawn = None if withdrawal.entire else set(withdrawal.scopes.values_list("code", flat=True))
    lines = (
        OrderLine.objects.filter(status=OrderLine.Status.ACTIVE, bundle__status=Bundle.Status.READY)
        .select_related("order__placed_by", "dataset", "version", "bundle__base")
        .order_by("pk")
    )
    by_version: dict[int, list[str]] = {}
    notices = []
    now = timezone.now()
    due_on = timezone.localdate(now) + dt.timedelta(days=DELETION_DAYS)
    records = {
        (r.order_line_id or 0, r.evaluation_pack_id or 0): r
        for r in ProvisionRecord.objects.filter(release_id=release_id).only("id", "order_line_id", "evaluation_pack_id")
    }
    with transaction.atomic():
        for line in lines:
            # A scope the dataset never needed (e.g. publication only) leaves its photos licensed.
            if withdrawn is not None and not withdrawn & set(line.dataset.required_scopes or ()):
                continue
            if line.version_id not in by_version:
                by_version[line.version_id] = _files_of_subject(line.version_id, subject_id, release_id)
            files = [f for f in by_version[line.version_id] if f.removeprefix("images/") in _delivered(line.bundle)]
            if not files:
                continue
            notice, created = WithdrawalNotice.objects.get_or_create(
                order_line=line,
                withdrawal=withdrawal,
                defaults={
                    "file_names": files,
                    "tombstone": bundle_tombstone(line.bundle, files),
                    "provision_record": records.get((line.pk, 0)),
                    "created_at": now,
                    "due_on": due_on,
                },
            )
            if created:
                notices.append(notice)
                _email_notice(notice)
        # Evaluation packs are provisions too: their provision records name the release and the files.
        for record in ProvisionRecord.objects.filter(
            evaluation_pack__isnull=False, release_id=release_id
        ).select_related("evaluation_pack__dataset", "evaluation_pack__buyer"):
            pack = record.evaluation_pack
            if withdrawn is not None and not withdrawn & set(pack.dataset.required_scopes or ()):
                continue
            names = sorted(record.items.get("files", []))
            notice, created = WithdrawalNotice.objects.get_or_create(
                evaluation_pack=pack,
                withdrawal=withdrawal,
                defaults={
                    "file_names": [f"images/{name}" for name in names],
                    "tombstone": _pack_tombstone(pack, names),
                    "provision_record": record,
                    "created_at": now,
                    "due_on": due_on,
                },
            )
            if created:
                notices.append(notice)
                _email_notice(notice)
    return notices


def _delivered(bundle: Bundle) -> set[str]:
    """The version's file names the bundle's archive holds (all but what its base left out)."""
    if not hasattr(bundle, "_delivered_names"):
        names = set(bundle.order_line.version.items.values_list("file_name", flat=True))
        kept = names - set(bundle.base.excluded if bundle.base_id else ())
        bundle._delivered_names = kept | set(bundle.withdrawn_files)  # taken out by a rebuild: received before
    return bundle._delivered_names


def _files_of_subject(version_id: int, subject_id: str, release_id: int) -> list[str]:
    files = []
    for name, subjects in DatasetVersionItem.objects.filter(version_id=version_id).values_list("file_name", "subjects"):
        if any(s.get("subject_id") == subject_id or s.get("release_id") == release_id for s in subjects or ()):
            files.append(f"images/{name}")
    return sorted(files)


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def bundle_tombstone(bundle: Bundle, files: Iterable[str]) -> list[dict]:
    """What to delete, exactly as delivered: every entry of the bundle's archive that belongs to the
    photos ``files`` (the image and its label files: same stem), by path inside the bundle's folder,
    with the SHA-256 the archive's manifest gives it."""
    stems = {_stem(f) for f in files}
    if bundle.base_id is None or not bundle.base.index:
        return [{"file": f, "sha256": ""} for f in sorted(files)]
    rows = []
    for entry in core.BaseIndex.from_json(bundle.base.index).entries:
        if _stem(entry.name) in stems:
            rows.append({"file": entry.name.split("/", 1)[1], "sha256": entry.sha256})
    found = {_stem(r["file"]) for r in rows}
    # Delivered in an earlier archive of this bundle, since rebuilt without it: the name is all we keep.
    rows += [{"file": f, "sha256": ""} for f in files if _stem(f) not in found]
    return sorted(rows, key=lambda r: r["file"])


def _pack_tombstone(pack, names: list[str]) -> list[dict]:
    """An evaluation pack's images are the photos' cleaned copies: hash them as they are stored."""
    cleaned = dict(pack.version.items.filter(file_name__in=names).values_list("file_name", "photo__cleaned"))
    rows = []
    for name in names:
        digest = ""
        if cleaned.get(name):
            try:
                with default_storage.open(cleaned[name], "rb") as fh:
                    sha = hashlib.sha256()
                    for chunk in iter(lambda fh=fh: fh.read(core.CHUNK_SIZE), b""):
                        sha.update(chunk)
                    digest = sha.hexdigest()
            except OSError:
                logger.warning("could not hash %s for a tombstone", name, exc_info=True)
        rows.append({"file": f"images/{name}", "sha256": digest})
    return rows


def notice_recipient(notice: WithdrawalNotice):
    """(the user to write to, the title of what they received, its reference)."""
    if notice.evaluation_pack_id:
        pack = notice.evaluation_pack
        return pack.buyer, pack.dataset.title_en, pack.reference
    line = notice.order_line
    return line.order.placed_by, line.title, line.order.number


def notice_page_path(notice: WithdrawalNotice) -> str:
    return reverse("licensing:withdrawal_notice", kwargs={"pk": notice.pk})


def _email_notice(notice: WithdrawalNotice, *, reminder: int = 0) -> None:
    """The notice (``reminder=0``) or its reminder after ``reminder`` days, in the recipient's language,
    through the outbox (a Celery task with retries)."""
    user, title, reference = notice_recipient(notice)
    language = language_of(user)
    email_send_template(
        key=f"withdrawal-notice:{notice.pk}:{reminder}",
        to=[user.email],
        template="mail/withdrawal_notice",
        context={
            "title": title,
            "reference": reference,
            "evaluation": bool(notice.evaluation_pack_id),
            "reminder": reminder,
            "count": len(notice.file_names),
            "files": "\n".join(notice.file_names),
            "due": notice.due_on.isoformat() if notice.due_on else "",
            "link": site_url(notice_page_path(notice), language=language),
            "recipient_name": user.full_name,
        },
        language=language,
    )
    if not reminder:
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["emailed_at"])


def can_confirm_deletion(user, notice: WithdrawalNotice) -> bool:
    """Who may see a notice and confirm its deletion: a member of the recipient organisation whose
    role covers compliance (its owners and compliance members), or the buyer who took an
    evaluation pack."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if notice.evaluation_pack_id:
        return notice.evaluation_pack.buyer_id == user.pk
    return has_any_org_role(user, notice.order_line.order.organisation_id, COMPLIANCE)


@transaction.atomic
def deletion_confirm(
    *, notice: WithdrawalNotice, user, name: str, role: str, deleted_on: dt.date, statement: bool, ip: str | None
) -> DeletionConfirmation:
    """A named person at the recipient confirms the deletion; it closes the notice, once."""
    if not can_confirm_deletion(user, notice):
        raise ApplicationError(_("Not found."), code=ErrorCode.NOT_FOUND, status=404)
    notice = WithdrawalNotice.objects.select_for_update().get(pk=notice.pk)
    if DeletionConfirmation.objects.filter(notice=notice).exists():
        raise ApplicationError(_("This deletion is already confirmed."), code=ErrorCode.INVALID, status=409)
    name, role = (name or "").strip(), (role or "").strip()
    if not name:
        raise ApplicationError(_("Give the name of the person confirming."), code=ErrorCode.INVALID, field="name")
    if not role:
        raise ApplicationError(_("Give their role in your organisation."), code=ErrorCode.INVALID, field="role")
    if deleted_on is None or deleted_on > timezone.localdate() or deleted_on < timezone.localdate(notice.created_at):
        raise ApplicationError(
            _("Give the date the files were deleted: between the notice and today."),
            code=ErrorCode.INVALID,
            field="deleted_on",
        )
    if not statement:
        raise ApplicationError(
            _("Confirm that the files are deleted from all copies and excluded from new training runs."),
            code=ErrorCode.INVALID,
            field="statement",
        )
    return DeletionConfirmation.objects.create(
        notice=notice,
        name=name[:200],
        role=role[:200],
        deleted_on=deleted_on,
        statement=True,
        submitted_by=user,
        ip=ip or None,
    )


def notices_due_for_reminder(*, now: dt.datetime | None = None) -> list[tuple[WithdrawalNotice, int]]:
    """Unconfirmed notices owed a reminder now: (notice, 7 or 21), the later one only."""
    now = now or timezone.now()
    due = []
    open_notices = WithdrawalNotice.objects.filter(confirmation__isnull=True).order_by("pk")
    for notice in open_notices.filter(reminded_21_at__isnull=True, created_at__lte=now - dt.timedelta(days=21)):
        due.append((notice, 21))
    seen = {n.pk for n, _days in due}
    for notice in open_notices.filter(reminded_7_at__isnull=True, created_at__lte=now - dt.timedelta(days=7)):
        if notice.pk not in seen:
            due.append((notice, 7))
    return due


def notices_overdue(*, today: dt.date | None = None):
    """Unconfirmed notices past their deadline, oldest first (the staff page)."""
    today = today or timezone.localdate()
    return (
        WithdrawalNotice.objects.filter(confirmation__isnull=True, due_on__lt=today)
        .select_related("order_line__order__organisation", "evaluation_pack__buyer", "withdrawal__release")
        .order_by("due_on", "pk")
    )


def notices_remind(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Periodic: send the 7- and 21-day reminders that are due, and tell staff once about each notice
    that became overdue. Idempotent (each is stamped on the notice, and keyed in the outbox)."""
    now = now or timezone.now()
    sent = {"reminders": 0, "overdue": 0}
    for notice, days in notices_due_for_reminder(now=now):
        with transaction.atomic():
            locked = WithdrawalNotice.objects.select_for_update().get(pk=notice.pk)
            if days == 21:
                if locked.reminded_21_at:
                    continue
                locked.reminded_21_at = now
                if locked.reminded_7_at is None:
                    locked.reminded_7_at = now  # one reminder, not two, when the task was down for weeks
                locked.save(update_fields=["reminded_7_at", "reminded_21_at"])
            else:
                if locked.reminded_7_at:
                    continue
                locked.reminded_7_at = now
                locked.save(update_fields=["reminded_7_at"])
            _email_notice(locked, reminder=days)
            sent["reminders"] += 1
    for notice in notices_overdue(today=timezone.localdate(now)).filter(overdue_reported_at__isnull=True):
        with transaction.atomic():
            updated = WithdrawalNotice.objects.filter(pk=notice.pk, overdue_reported_at__isnull=True).update(
                overdue_reported_at=now
            )
            if not updated:
                continue
            _user, title, reference = notice_recipient(notice)
            email_send_to_admins(
                key=f"withdrawal-notice-overdue:{notice.pk}",
                subject=f"Deletion confirmation overdue: {reference} ({title})",
                body=f"The recipient of {reference} has not confirmed deleting {len(notice.file_names)} file(s) "
                f"due on {notice.due_on}.\n\nSee {settings.SITE_URL.rstrip('/')}"
                f"{reverse('licensing:withdrawal_notices_overdue')}\n",
            )
            sent["overdue"] += 1
    return sent
