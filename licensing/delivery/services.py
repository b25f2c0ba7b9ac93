"""Bundles: built by Celery once a line is paid, delivered through checked, short-lived links.

Services (every write to ``Bundle``, ``BundleBase``, ``DownloadEvent`` and ``WithdrawalNotice``)
and the few selectors the views need. The heavy, buyer-independent part of an archive (the
``BundleBase`` of a version+edition) is built once, under a lease, and every buyer's bundle is
that base copied byte for byte plus their own ``LICENSE.txt`` and ``MANIFEST.sha256``.

Storage: archives are written through the storage API. ``storage.open(name, "wb")`` streams:
on local disk it is a plain file, and on S3 django-storages' ``S3File`` sends a multipart
upload part every ``AWS_S3_FILE_BUFFER_SIZE`` (5 MiB), so memory stays at one part whatever
the archive size. An archive is written to a fresh temporary name recorded on the row
(``partial``) and becomes the served ``archive`` only once the upload is complete; a retry
deletes the partial object first and starts clean.
"""

from __future__ import annotations

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
from licensing.delivery import archive as core
from licensing.delivery.models import Bundle, BundleBase, DownloadEvent, DownloadLink, WithdrawalNotice
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
        self.sha256 = sha256 if sha256 is not None else hashlib.sha256()
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


def _prefix_sha256(base: BundleBase, src, index) -> object:
    """The SHA-256 state after the base's first ``index.local_end`` bytes: remembered from the
    build in this process, else read from the stored base once (never written anywhere)."""
    known = _prefix_hashes.pop((base.pk, base.archive), None)
    if known is not None:
        return known
    sha = hashlib.sha256()
    left = index.local_end
    buf = bytearray(core.CHUNK_SIZE)
    view = memoryview(buf)
    src.seek(0)
    while left:
        n = src.readinto(view[: min(left, len(buf))]) if hasattr(src, "readinto") else 0
        if not n:
            raise ValueError(f"base {base.archive} ended {left} bytes early")
        sha.update(view[:n])
        left -= n
    src.seek(0)
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
    entries = core.base_entries(items, info, edition=base.edition, open_image=_image_opener(version))
    BundleBase.objects.filter(pk=base.pk).update(files_total=len(entries))
    with default_storage.open(base.partial, "wb") as fh:
        out = _HashingWriter(fh)
        snapshot = _PrefixSnapshot(out, _Progress(BundleBase, base.pk, heartbeat=True))
        index = core.build_base(out, entries, date_time=core.bundle_date_time(info), progress=snapshot)
    if snapshot.size == index.local_end:
        _prefix_hashes.clear()  # one at a time: the buyer whose task built it uses it next
        _prefix_hashes[(base.pk, base.partial)] = snapshot.sha256
    with transaction.atomic():
        updated = BundleBase.objects.filter(pk=base.pk, builder=bundle_id, partial=base.partial).update(
            status=BundleBase.Status.READY,
            archive=base.partial,
            partial="",
            index=index.to_json(),
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


def _base_ready(bundle: Bundle) -> BundleBase:
    line = OrderLine.objects.select_related("version__dataset", "dataset").get(pk=bundle.order_line_id)
    base = _base_choose(line)
    if bundle.base_id != base.pk:
        Bundle.objects.filter(pk=bundle.pk).update(base=base)
    deadline = time.monotonic() + int(_setting("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60))
    while True:
        state, base = _base_claim(base.pk, bundle.pk)
        if state == "ready":
            return base
        if state == "claimed":
            _base_build(base, bundle.pk)
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
    line = OrderLine.objects.select_related("order__organisation", "order__licence", "version__dataset__licence").get(
        pk=bundle.order_line_id
    )
    info = version_info(line.version, excluded=base.excluded)
    partial = _reserve(f"bundles/orders/{line.order.uuid}/{line.pk}/partial")
    Bundle.objects.filter(pk=bundle.pk).update(partial=partial)
    index = core.BaseIndex.from_json(base.index)
    progress = _Progress(Bundle, bundle.pk)
    with default_storage.open(base.archive, "rb") as src, default_storage.open(partial, "wb") as fh:
        # The prefix (the base's local records) is hashed once: during the base build when this
        # task built it, else read once here; it is then copied (in the kernel on local disk).
        out = _HashingWriter(fh, sha256=_prefix_sha256(base, src, index), known=index.local_end)
        records = core.personalise_bundle(
            src, index, out, info=info, edition=line.edition, license=licence_text(line), progress=progress
        )
    with transaction.atomic():
        bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
        if bundle.status == Bundle.Status.READY:  # a duplicate delivery finished first
            _delete_quietly(partial)
            return bundle
        bundle.status = Bundle.Status.READY
        bundle.archive = partial
        bundle.partial = ""
        bundle.base = base
        bundle.file_name = bundle_file_name(line)
        bundle.byte_size = out.size
        bundle.sha256 = out.sha256.hexdigest()
        bundle.files_total = bundle.files_done = len(records)
        bundle.error = ""
        bundle.ready_at = timezone.now()
        bundle.save(
            update_fields=[
                "status",
                "archive",
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


@transaction.atomic
def bundle_download(*, line: OrderLine, user, ip: str | None) -> str:
    """Issue one member a fresh, short-lived link to the archive, and log the issue.

    Only a ready bundle of a line not refunded, within its download limit. On local disk the
    link is opaque and bound to ``user``; each fetch through it is logged (``bundle_fetch``). On
    S3 the presigned URL is the download: it is logged as one now.
    """
    bundle = Bundle.objects.select_for_update().filter(order_line=line).first()
    download_check(bundle, line)
    max_age = download_url_max_age()
    expires_at = timezone.now() + dt.timedelta(seconds=max_age)
    selector, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    storage = default_storage
    if hasattr(storage, "bucket_name"):  # django-storages' S3 backends, whatever the subclass
        link = DownloadLink.objects.create(
            selector=selector,
            bundle=bundle,
            user=user,
            ip=ip or None,
            kind=DownloadLink.Kind.PRESIGNED,
            expires_at=expires_at,
        )
        DownloadEvent.objects.create(bundle=bundle, user=user, ip=ip or None, link=link)
        logger.info("download link issued", extra={"bundle": bundle.pk, "link": selector, "user_id": user.pk})
        return storage.url(
            bundle.archive,
            parameters={"ResponseContentDisposition": f'attachment; filename="{bundle.file_name}"'},
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
    )
    return reverse("licensing:bundle_file", kwargs={"token": f"{selector}.{secret}"})


#: An interrupted download may be resumed (HTTP Range) through its link this long after it expired.
RESUME_GRACE = dt.timedelta(hours=24)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def bundle_fetch(*, token: str, user, ip: str | None, range_start: int = 0) -> Bundle:
    """Check and log one fetch of a local download link; the bundle to stream.

    Raises ``DownloadRefused`` with status 404 for a link that does not exist, is not ``user``'s,
    or names a bundle that may no longer be downloaded (as if there were no such link); 403 when
    the link expired or the download limit is reached. A fetch from byte 0 is a new download
    (counted against the limit, only while the link is fresh); a fetch from a later byte resumes a
    download this link started (not counted again, for ``RESUME_GRACE`` after expiry).
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
    bundle = Bundle.objects.select_for_update().select_related("order_line").get(pk=link.bundle_id)
    try:
        download_check(bundle, bundle.order_line, counting=False)
    except DownloadRefused:
        raise gone from None
    now = timezone.now()
    if range_start and bundle.byte_size is not None and range_start >= bundle.byte_size:
        raise DownloadRefused(
            _("That part of the file does not exist."),
            code=ErrorCode.RANGE_NOT_SATISFIABLE,
            status=416,
            extra={"size": bundle.byte_size},
        )
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
    return bundle


# --- Consent withdrawn after delivery -------------------------------------------------------------


def bundle_withdrawal_notices(*, withdrawal: ConsentWithdrawal) -> list[WithdrawalNotice]:
    """Tell every buyer who already received the subject's photos which files to delete.

    One notice per delivered line (bundle ready, line not refunded) whose version holds a photo of
    the subject and whose dataset required a withdrawn scope (any, when the whole consent is
    withdrawn); created once per withdrawal, emailed after commit. Call it from
    ``consent_withdraw`` inside its transaction, after the withdrawal's scopes are set.
    """
    subject_id = withdrawal.release.subject_id
    release_id = withdrawal.release_id
    withdrawn = None if withdrawal.entire else set(withdrawal.scopes.values_list("code", flat=True))
    lines = (
        OrderLine.objects.filter(status=OrderLine.Status.ACTIVE, bundle__status=Bundle.Status.READY)
        .select_related("order__placed_by", "dataset")
        .order_by("pk")
    )
    by_version: dict[int, list[str]] = {}
    notices = []
    with transaction.atomic():
        for line in lines:
            # A scope the dataset never needed (e.g. publication only) leaves its photos licensed.
            if withdrawn is not None and not withdrawn & set(line.dataset.required_scopes or ()):
                continue
            if line.version_id not in by_version:
                by_version[line.version_id] = _files_of_subject(line.version_id, subject_id, release_id)
            files = by_version[line.version_id]
            if not files:
                continue
            notice, created = WithdrawalNotice.objects.get_or_create(
                order_line=line, withdrawal=withdrawal, defaults={"file_names": files}
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
            notice, created = WithdrawalNotice.objects.get_or_create(
                evaluation_pack=pack,
                withdrawal=withdrawal,
                defaults={"file_names": sorted(f"images/{name}" for name in record.items.get("files", []))},
            )
            if created:
                notices.append(notice)
                _email_notice(notice)
    return notices


def _files_of_subject(version_id: int, subject_id: str, release_id: int) -> list[str]:
    files = []
    for name, subjects in DatasetVersionItem.objects.filter(version_id=version_id).values_list("file_name", "subjects"):
        if any(s.get("subject_id") == subject_id or s.get("release_id") == release_id for s in subjects or ()):
            files.append(f"images/{name}")
    return sorted(files)


def _email_notice(notice: WithdrawalNotice) -> None:
    """Tell the buyer (of a bundle or an evaluation pack) which files to delete, in their language."""
    if notice.evaluation_pack_id:
        pack = notice.evaluation_pack
        buyer, context = pack.buyer, {"reference": pack.reference, "title": pack.dataset.title_en}
    else:
        order = notice.order_line.order
        buyer, context = order.placed_by, {"title": notice.order_line.title, "number": order.number}
    email_send_template(
        key=f"withdrawal-notice:{notice.pk}",
        to=[buyer.email],
        template="mail/withdrawal_notice",
        context={
            **context,
            "evaluation": bool(notice.evaluation_pack_id),
            "count": len(notice.file_names),
            "files": "\n".join(notice.file_names),
            "recipient_name": buyer.full_name,
        },
        language=language_of(buyer),
    )
    notice.emailed_at = timezone.now()
    notice.save(update_fields=["emailed_at"])
