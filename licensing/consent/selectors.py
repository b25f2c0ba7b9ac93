"""Reads about consent: which scopes a photo holds, the review queue, a subject's link.

A photo's consent scopes are the intersection, over the people in it, of the scopes
still granted (not withdrawn) by each person's approved, unexpired release. A person
without such a release gives the photo no scope at all. A photo marked ``no_people``
needs no release and holds **every** scope. In both cases the contributor's AI opt-out
then removes scopes exactly as if they had not been granted.

These selectors answer the consent question only; whether a photo is approved (or is
in a dataset) is for the caller to filter.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from catalog.models import Photo, PhotoSubject
from licensing.consent.models import (
    RELEASE_FIELDS,
    ConsentReceipt,
    ConsentScope,
    ConsentWithdrawal,
    ContributorOptOut,
    ModelRelease,
    ProvisionRecord,
    ReleaseLink,
    ReleaseScope,
    ReviewDecision,
    token_hash,
)
from stockdata.accounts.models import User

# --- Consent scopes -------------------------------------------------------------------------


def _removed_by_opt_out(kinds: Iterable[str], scopes: list[tuple[str, bool, bool]]) -> set[str]:
    kinds = set(kinds)
    removed = set()
    for code, is_ai, is_biometric in scopes:
        if (is_ai and ContributorOptOut.Kind.AI_TRAINING in kinds) or (
            is_biometric and kinds & {ContributorOptOut.Kind.AI_TRAINING, ContributorOptOut.Kind.BIOMETRIC}
        ):
            removed.add(code)
    return removed


def photos_consent_scopes(photo_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """The consent scopes each photo holds, in five queries however many photos there are.

    Every id asked for is in the result (a photo that does not exist holds nothing).
    For a dataset-sized set, filter with :func:`photos_holding_scopes` instead.
    """
    ids = list(dict.fromkeys(photo_ids))
    if not ids:
        return {}
    today = timezone.localdate()
    scopes = list(ConsentScope.objects.values_list("code", "is_ai_use", "is_biometric"))
    every_scope = frozenset(code for code, _ai, _bio in scopes)
    photos = list(Photo.objects.filter(pk__in=ids).values_list("pk", "contributor_id", "no_people"))

    # One row per person, with their release if any (LEFT JOIN).
    subjects = list(
        PhotoSubject.objects.filter(photo_id__in=ids).values_list(
            "photo_id",
            "release_link__release_id",
            "release_link__release__status",
            "release_link__release__expires_on",
        )
    )
    valid = {
        release_id
        for _photo, release_id, status, expires_on in subjects
        if release_id is not None
        and status == ModelRelease.Status.APPROVED
        and (expires_on is None or expires_on >= today)
    }
    granted: dict[int, set[str]] = defaultdict(set)
    for release_id, code in ReleaseScope.objects.filter(release_id__in=valid, withdrawn_at__isnull=True).values_list(
        "release_id", "scope__code"
    ):
        granted[release_id].add(code)

    contributors = {contributor_id for _pk, contributor_id, _np in photos}
    account_wide: dict[int, set[str]] = defaultdict(set)
    per_photo: dict[int, set[str]] = defaultdict(set)
    for contributor_id, photo_id, kind in ContributorOptOut.objects.filter(
        Q(photo_id__in=ids) | Q(photo__isnull=True, contributor_id__in=contributors)
    ).values_list("contributor_id", "photo_id", "kind"):
        (per_photo[photo_id] if photo_id else account_wide[contributor_id]).add(kind)

    per_photo_scopes: dict[int, frozenset[str] | None] = {}
    for photo_id, release_id, _status, _expires in subjects:
        held = frozenset(granted[release_id]) if release_id in valid else frozenset()
        current = per_photo_scopes.get(photo_id)
        per_photo_scopes[photo_id] = held if current is None else current & held

    result = {pk: frozenset() for pk in ids}
    for pk, contributor_id, no_people in photos:
        held = every_scope if no_people else (per_photo_scopes.get(pk) or frozenset())
        removed = _removed_by_opt_out(account_wide[contributor_id] | per_photo[pk], scopes)
        result[pk] = frozenset(held - removed)
    return result


def photo_consent_scopes(photo: Photo) -> frozenset[str]:
    """The consent scope codes one photo holds (see the module docstring); all of them for a no-people photo."""
    return photos_consent_scopes([photo.pk])[photo.pk]


def valid_releases(today: date | None = None) -> QuerySet[ModelRelease]:
    """Releases that give scopes today: approved and not expired."""
    today = today or timezone.localdate()
    return ModelRelease.objects.filter(status=ModelRelease.Status.APPROVED).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )


def photos_holding_scopes(queryset: QuerySet[Photo], scopes: Collection[str]) -> QuerySet[Photo]:
    """Narrow ``queryset`` to the photos holding every scope in ``scopes``, in SQL.

    The same rule as :func:`photos_consent_scopes`: no-people photos hold every scope, a
    photo with people holds a scope when each person's approved, unexpired release still
    grants it, and an opt-out removes it. A scope code that does not exist is held by
    no photo. Photos with people but none described hold nothing.
    """
    wanted = set(scopes)
    known = list(ConsentScope.objects.filter(code__in=wanted).values_list("code", "is_ai_use", "is_biometric"))
    if len(known) != len(wanted):
        return queryset.none()

    releases = valid_releases()
    for code in wanted:
        releases = releases.filter(
            Exists(ReleaseScope.objects.filter(release=OuterRef("pk"), scope__code=code, withdrawn_at__isnull=True))
        )
    covered = ReleaseLink.objects.filter(release__in=releases).values("subject_id")
    uncovered_person = PhotoSubject.objects.filter(photo=OuterRef("pk")).exclude(pk__in=covered)
    any_person = PhotoSubject.objects.filter(photo=OuterRef("pk"))
    consented = Q(no_people=True) | (Exists(any_person) & ~Exists(uncovered_person))
    queryset = queryset.filter(consented)

    blocking = set()
    if any(is_ai for _c, is_ai, _b in known):
        blocking.add(ContributorOptOut.Kind.AI_TRAINING)
    if any(is_bio for _c, _a, is_bio in known):
        blocking |= {ContributorOptOut.Kind.AI_TRAINING, ContributorOptOut.Kind.BIOMETRIC}
    if blocking:
        opted_out = ContributorOptOut.objects.filter(contributor=OuterRef("contributor_id"), kind__in=blocking).filter(
            Q(photo__isnull=True) | Q(photo=OuterRef("pk"))
        )
        queryset = queryset.exclude(Exists(opted_out))
    return queryset


def scopes_mask(scopes: Collection[str]) -> int | None:
    """The bits of ``Photo.scope_mask`` that stand for these scope codes; None if one does not exist."""
    wanted = set(scopes)
    bits = list(ConsentScope.objects.filter(code__in=wanted).values_list("bit", flat=True))
    if len(bits) != len(wanted):
        return None
    return sum(1 << bit for bit in bits)


def photos_scope_masks(photo_ids: Iterable[int]) -> dict[int, int]:
    """Each photo's consent scopes (by :func:`photos_consent_scopes`, the rule) as a ``scope_mask`` value."""
    bits = {code: 1 << bit for bit, code in ConsentScope.objects.values_list("bit", "code")}
    return {pk: sum(bits[code] for code in held) for pk, held in photos_consent_scopes(photo_ids).items()}


def photos_holding_scopes_stored(queryset: QuerySet[Photo], scopes: Collection[str]) -> QuerySet[Photo]:
    """The photos of ``queryset`` holding every scope in ``scopes``, read from their stored ``scope_mask``.

    The same answer as :func:`photos_holding_scopes` while the masks are current (every
    consent service refreshes the photos it touches; a nightly task refreshes them all, which
    is when an expired release stops counting), without reading a single release: what a
    live curation count over the whole library needs. Freezing a version uses the rule itself.
    """
    mask = scopes_mask(scopes)
    if mask is None:
        return queryset.none()
    if not mask:
        return queryset
    return queryset.alias(held_scopes=F("scope_mask").bitand(mask)).filter(held_scopes=mask)


def release_active_scopes(release: ModelRelease) -> list[ConsentScope]:
    """The scopes a release still grants (withdrawn ones left out), in form order."""
    return [rs.scope for rs in release.release_scopes.all() if rs.withdrawn_at is None]


def subject_photo_recipients(release: ModelRelease) -> list:
    """Who received photos of this subject: one entry per provision (date, recipient, dataset and version),
    read from the third-party provision records, newest first."""
    rows = (
        ProvisionRecord.objects.filter(release=release)
        .order_by("-provided_on", "recipient_name", "dataset_title")
        .values_list("provided_on", "recipient_name", "dataset_title", "dataset_version")
        .distinct()
    )
    return [f"{day:%Y-%m-%d} — {name} — {title} v{version}" for day, name, title, version in rows]


def subject_recipients(release: ModelRelease, *, today=None) -> list[dict]:
    """Who received photos of this subject, newest first, one entry per provision record: the date, the
    recipient, the dataset and version, and (once they were told of a withdrawal) whether they confirmed
    deleting the files, are still within the licence's 30 days, or are overdue. Read from the provision
    records and the notices delivery wrote against them (``withdrawal_notices``: no import upward)."""
    today = today or timezone.localdate()
    records = (
        ProvisionRecord.objects.filter(release=release)
        .prefetch_related("withdrawal_notices__confirmation")
        .order_by("-provided_on", "recipient_name", "dataset_title", "pk")
    )
    rows = []
    for record in records:
        notices = sorted(record.withdrawal_notices.all(), key=lambda n: (n.created_at, n.pk))
        notice = notices[-1] if notices else None
        confirmation = notice.confirmation_or_none if notice is not None else None
        rows.append(
            {
                "provided_on": record.provided_on,
                "recipient": record.recipient_name,
                "dataset": record.dataset_title,
                "version": record.dataset_version,
                "label": f"{record.provided_on:%Y-%m-%d} — {record.recipient_name} — "
                f"{record.dataset_title} v{record.dataset_version}",
                "status": notice.status_at(today) if notice is not None else "",
                "notified_on": timezone.localdate(notice.created_at) if notice is not None else None,
                "due_on": notice.due_on if notice is not None else None,
                "confirmed_on": confirmation.deleted_on if confirmation is not None else None,
            }
        )
    return rows


def contributor_opt_out(contributor) -> str:
    """The contributor's account-wide opt-out kind, or ""."""
    return (
        ContributorOptOut.objects.filter(contributor=contributor, photo__isnull=True)
        .values_list("kind", flat=True)
        .first()
        or ""
    )


# --- The subject's secret link ------------------------------------------------------------------


def release_for_withdrawal_token(token: str) -> ModelRelease | None:
    """The release a secret link opens, or None. The secret is compared in constant time."""
    selector, _sep, secret = token.partition(".")
    if not secret or len(selector) != 32:
        return None
    try:
        release_uuid = uuid.UUID(hex=selector)
    except ValueError:
        return None
    release = ModelRelease.objects.select_related("contributor__contributor_profile").filter(uuid=release_uuid).first()
    if release is None or not release.withdrawal_token_hash:
        # Hash anyway, so a miss takes as long as a wrong secret.
        hmac.compare_digest(token_hash(secret), "0" * 64)
        return None
    if not hmac.compare_digest(token_hash(secret), release.withdrawal_token_hash):
        return None
    return release


# --- Releases for the contributor ---------------------------------------------------------------


def contributor_releases(contributor, *, query: str = "", status: str = "") -> QuerySet[ModelRelease]:
    """A contributor's own releases, searchable by subject id, reference, place and shoot date; never by name."""
    releases = (
        ModelRelease.objects.filter(contributor=contributor)
        .annotate(photo_count=Count("links__subject__photo", distinct=True))
        .prefetch_related(Prefetch("release_scopes", queryset=ReleaseScope.objects.select_related("scope")))
        .order_by("-created_at", "-id")
    )
    if status in ModelRelease.Status.values:
        releases = releases.filter(status=status)
    query = query.strip()
    if query:
        q = Q(subject_id__icontains=query) | Q(reference__icontains=query) | Q(shoot_place__icontains=query)
        with contextlib.suppress(ValueError):
            q |= Q(shoot_date=date.fromisoformat(query))
        releases = releases.filter(q)
    return releases


def review_history(*, photo: Photo | None = None, release: ModelRelease | None = None) -> QuerySet[ReviewDecision]:
    item = photo if photo is not None else release
    return ReviewDecision.objects.filter(item_uuid=item.uuid).select_related("reviewer")


# --- The review queue ------------------------------------------------------------------------------

KIND_RANK = {"photo": 0, "release": 1}


@dataclass
class QueueItem:
    kind: str  # "photo" | "release"
    obj: Photo | ModelRelease

    @property
    def submitted_at(self):
        return self.obj.submitted_at

    @property
    def key(self) -> tuple:
        return queue_key(self.obj)

    @property
    def uuid(self):
        return self.obj.uuid

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.obj.uuid}"


class ReviewQueue:
    """Photos waiting for review and pending releases, oldest first.

    A pending release linked to a photo in the queue is reviewed with that photo, so it
    is not an item of its own unless only releases are asked for.
    """

    def __init__(self, *, kind: str = "", contributor_id: int | None = None, older_than_days: int | None = None):
        self.kind = kind if kind in ("photos", "releases") else ""
        self.contributor_id = contributor_id
        self.older_than_days = older_than_days

    def _filter(self, qs):
        if self.contributor_id:
            qs = qs.filter(contributor_id=self.contributor_id)
        if self.older_than_days:
            qs = qs.filter(submitted_at__lte=timezone.now() - timedelta(days=self.older_than_days))
        return qs

    def photos(self) -> QuerySet[Photo] | None:
        if self.kind == "releases":
            return None
        return self._filter(Photo.objects.filter(status=Photo.Status.SUBMITTED)).order_by("submitted_at", "pk")

    def releases(self) -> QuerySet[ModelRelease] | None:
        if self.kind == "photos":
            return None
        qs = ModelRelease.objects.filter(status=ModelRelease.Status.PENDING)
        if not self.kind:
            qs = qs.exclude(links__subject__photo__status=Photo.Status.SUBMITTED)
        return self._filter(qs).order_by("submitted_at", "pk")

    def count(self) -> int:
        return sum(qs.count() for qs in (self.photos(), self.releases()) if qs is not None)

    def page(self, offset: int, limit: int) -> list[QueueItem]:
        """Items ``offset`` to ``offset + limit``, with what the list shows, in a fixed number of queries."""
        items = []
        photos = self.photos()
        if photos is not None:
            photos = photos.select_related("contributor__contributor_profile").prefetch_related(
                Prefetch(
                    "subjects",
                    queryset=PhotoSubject.objects.select_related("release_link__release").order_by("position"),
                )
            )
            items += [QueueItem("photo", p) for p in photos[: offset + limit]]
        releases = self.releases()
        if releases is not None:
            releases = releases.select_related("contributor__contributor_profile").annotate(
                photo_count=Count("links__subject__photo", distinct=True)
            )
            items += [QueueItem("release", r) for r in releases[: offset + limit]]
        items.sort(key=lambda item: item.key)
        return items[offset : offset + limit]

    def _neighbour(self, key: tuple, after: bool) -> QueueItem | None:
        submitted_at, rank, pk = key
        gt = "gt" if after else "lt"
        candidates = []
        for kind, qs in (("photo", self.photos()), ("release", self.releases())):
            if qs is None:
                continue
            own_rank = KIND_RANK[kind]
            if own_rank == rank:
                cond = Q(**{f"submitted_at__{gt}": submitted_at}) | Q(submitted_at=submitted_at, **{f"pk__{gt}": pk})
            elif (own_rank > rank) == after:
                cond = Q(**{f"submitted_at__{gt}e": submitted_at})
            else:
                cond = Q(**{f"submitted_at__{gt}": submitted_at})
            qs = qs.filter(cond)
            if not after:
                qs = qs.reverse()
            obj = qs.first()
            if obj is not None:
                candidates.append(QueueItem(kind, obj))
        if not candidates:
            return None
        return min(candidates, key=lambda i: i.key) if after else max(candidates, key=lambda i: i.key)

    def after(self, key: tuple) -> QueueItem | None:
        return self._neighbour(key, after=True)

    def before(self, key: tuple) -> QueueItem | None:
        return self._neighbour(key, after=False)

    def first(self) -> QueueItem | None:
        items = self.page(0, 1)
        return items[0] if items else None

    def contributors(self) -> list:
        """Everyone with something in the queue, for the filter."""
        ids = set(Photo.objects.filter(status=Photo.Status.SUBMITTED).values_list("contributor_id", flat=True))
        ids |= set(
            ModelRelease.objects.filter(status=ModelRelease.Status.PENDING).values_list("contributor_id", flat=True)
        )
        return list(User.objects.filter(pk__in=ids).select_related("contributor_profile").order_by("email"))


def queue_key(obj: Photo | ModelRelease) -> tuple:
    """Where an item sorts in the queue: (submitted, photos before releases, id)."""
    kind = "photo" if isinstance(obj, Photo) else "release"
    return (obj.submitted_at or obj.created_at, KIND_RANK[kind], obj.pk)


def photos_subject_consent(photo_ids: Iterable[int]) -> dict[int, dict[int, dict]]:
    """Per photo, per subject position: the pseudonymous subject id, the release and the scopes it
    still grants (approved and unexpired releases only; otherwise no scopes) and its latest consent
    receipt's id and SHA-256. Four queries.

    This is what a frozen dataset version records as the consent basis of each person in it.
    """
    ids = list(dict.fromkeys(photo_ids))
    today = timezone.localdate()
    rows = list(
        PhotoSubject.objects.filter(photo_id__in=ids).values_list(
            "photo_id",
            "position",
            "release_link__release_id",
            "release_link__release__subject_id",
            "release_link__release__status",
            "release_link__release__expires_on",
        )
    )
    valid = {
        release_id
        for _p, _pos, release_id, _sid, status, expires in rows
        if release_id and status == ModelRelease.Status.APPROVED and (expires is None or expires >= today)
    }
    granted: dict[int, list[str]] = defaultdict(list)
    for release_id, code in (
        ReleaseScope.objects.filter(release_id__in=valid, withdrawn_at__isnull=True)
        .order_by("scope__position", "scope__code")
        .values_list("release_id", "scope__code")
    ):
        granted[release_id].append(code)
    # The latest receipt of each release: its id and SHA-256 let a buyer prove consent to a third
    # party without learning who the person is.
    latest: dict[int, tuple[str, str]] = {}
    for release_id, receipt_uuid, sha256 in (
        ConsentReceipt.objects.filter(release_id__in=valid)
        .order_by("release_id", "issued_at", "id")
        .values_list("release_id", "uuid", "sha256")
    ):
        latest[release_id] = (str(receipt_uuid), sha256)
    result: dict[int, dict[int, dict]] = defaultdict(dict)
    for photo_id, position, release_id, subject_id, _status, _expires in rows:
        receipt = latest.get(release_id) if release_id in valid else None
        result[photo_id][position] = {
            "subject_id": subject_id,
            "release_id": release_id,
            "scopes": granted[release_id] if release_id in valid else [],
            "consent_receipt": {"id": receipt[0], "sha256": receipt[1]} if receipt else None,
        }
    return dict(result)


# --- The subject's confirmed contact --------------------------------------------------------------


def confirmed_contact_email(release: ModelRelease) -> str | None:
    """The e-mail address the subject's private link (and any notice meant for the subject) may go to:
    one its holder confirmed with a one-time code or link, or that staff confirmed after checking the
    subject's identity in person. None when there is no such address: then nothing is sent."""
    if release.contact_confirmed_at is None or not release.contact_email:
        return None
    return release.contact_email


def releases_with_confirmed_contact(email: str) -> QuerySet[ModelRelease]:
    """Releases whose confirmed contact is ``email`` (case-insensitive); withdrawn ones too, whose
    subject still follows each recipient's deletion."""
    return ModelRelease.objects.filter(contact_email__iexact=email.strip(), contact_confirmed_at__isnull=False)


# --- What a reviewer saw -------------------------------------------------------------------------

# The release's own fields that a reviewer compares with the document.
REVISION_FIELDS = (*RELEASE_FIELDS, "document_sha256", "status")


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def release_revision(release: ModelRelease) -> str:
    """A hash of what the review page shows of a release: its fields, its document and its scopes.
    Any change by the photographer (a widened scope, a new scan) gives a new revision."""
    scopes = sorted(
        ReleaseScope.objects.filter(release_id=release.pk, withdrawn_at__isnull=True).values_list(
            "scope__code", flat=True
        )
    )
    row = ModelRelease.objects.filter(pk=release.pk).values(*REVISION_FIELDS).first() or {}
    return _digest({"release": row, "scopes": scopes})


def photo_revision(photo: Photo) -> str:
    """A hash of what the review page shows of a photo: the file, its text, its people and their releases."""
    row = (
        Photo.objects.filter(pk=photo.pk)
        .values("sha256", "title", "title_ja", "description", "no_people", "status")
        .first()
    )
    subjects = list(
        PhotoSubject.objects.filter(photo_id=photo.pk)
        .order_by("position")
        .values("position", "age_band", "gender", "mask", "release_link__release_id")
    )
    tags = sorted(photo.tags.values_list("name", flat=True))
    releases = sorted({s["release_link__release_id"] for s in subjects if s["release_link__release_id"]})
    return _digest(
        {
            "photo": row,
            "tags": tags,
            "subjects": subjects,
            "releases": [release_revision(ModelRelease(pk=pk)) for pk in releases],
        }
    )


# --- Staff: withdrawals -------------------------------------------------------------------------

RECENT_WITHDRAWAL_DAYS = 30


def withdrawals_recent(*, days: int = RECENT_WITHDRAWAL_DAYS):
    """Consent withdrawals recorded in the last ``days`` days, newest first, with how many buyer
    notices each sent (``notices``) and how many of those are not e-mailed yet (``notices_unsent``)."""
    since = timezone.now() - timedelta(days=days)
    return (
        ConsentWithdrawal.objects.filter(created_at__gte=since)
        .select_related("release", "recorded_by")
        .annotate(
            notices=Count("buyer_notices", distinct=True),
            notices_unsent=Count("buyer_notices", filter=Q(buyer_notices__emailed_at__isnull=True), distinct=True),
        )
        .order_by("-created_at", "-id")
    )
