"""Catalogue benchmark: the storefront pages under load, and the curation count, on PostgreSQL.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth; wrk)::

    .venv/bin/python bench/catalogue/run.py [--photos 200000] [--datasets 500] [--duration 10]
                                            [--threads 2] [--connections 16] [--reps 3] [--workers 4]

What it does:

1. Creates the throwaway database ``stockdata_bench_catalogue`` (``BENCH_DB_NAME``) and migrates it.
2. Fills it with COPY (psycopg 3 ``cursor.copy``), never the ORM row by row: 400
   contributors, ~300 tags, 200,000 photos (80 % with people, 1-3 subjects each, with
   age band, gender, mask, glasses, angle; tags in English and Japanese), ~60,000 model
   releases with their consent scopes (a few withdrawn, expired, pending or rejected),
   a release link for 97 % of the people, contributor AI opt-outs, and 500 datasets
   (460 published, 25 drafts, 15 retired) with 1 or 2 frozen versions of 100-400 items
   whose statistics and content hash come from the same functions as
   ``dataset_version_freeze``.  Then VACUUM (ANALYZE).
3. Times ``catalog.selectors.curation_count`` for tags "mask" and "japanese" and masked
   people over the 200,000 photos (median of 7 runs after one warm-up) and prints the
   EXPLAIN (ANALYZE, BUFFERS) plan of its SQL.
4. Starts gunicorn (sync workers, the same config for every target) on 127.0.0.1 with
   ``bench.catalogue.settings`` (production settings, DEBUG off, plain HTTP) and
   production's cache, Redis (``BENCH_REDIS_URL``, default db 14, flushed before each miss
   run), and runs wrk against:

   * hits, anonymous: the catalogue list, a search (``?q=マスク``), a dataset page (a
     400-photo version with a previous version): after warm-up, whole pages from Redis;
   * hits, signed in (``signed_in``, ``signed_in_detail``): the list and the dataset page
     with a buyer's session cookie: the page is rendered for the buyer around the cached
     catalogue body / dataset fragments;
   * misses (``list_miss``: the list with a query string no request used before, so page
     and body are rendered and stored; ``detail_miss``: Redis flushed, then each request
     asks for another published dataset; the log says if a run asked for more pages than
     there are datasets, the excess being hits);
   * ``/bench/bare/``, a view returning a constant HTML page the size of those pages
     through the same middleware.

   Each target runs ``--reps`` times, interleaved; the medians are compared.  Every
   response that is not 2xx and every socket error counts as an error (a Lua hook counts
   the statuses).  Excludes: nginx, TLS, the browser's static files.
5. Stops gunicorn and drops the database (``--keep-db`` keeps it).

The last line is machine-readable::

    RESULT catalogue list_vs_bare=<x> search_vs_bare=<x> detail_vs_bare=<x> errors=<n> count_ms=<ms>
        list_miss_vs_bare=<x> detail_miss_vs_bare=<x> signed_in_vs_bare=<x> signed_in_detail_vs_bare=<x>
        photos=<n>

``*_vs_bare`` = the page's requests/s divided by the bare view's (targets: >= 0.30);
``errors`` = non-2xx responses + socket errors over every run (target 0); ``count_ms`` =
median wall time of the curation count (target < 300).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "stockdata_bench_catalogue")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
BIN = Path(sys.executable).parent

os.environ["BENCH_DB_NAME"] = DB_NAME
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.catalogue.settings"
# Production's cache: Redis (this process's sessions and the gunicorn workers share it).
os.environ["REDIS_URL"] = REDIS_URL

from bench.common import PG, database_create, database_drop, free_port, log, wait_for

# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------


_DEFAULTS = {
    "text": "",
    "character varying": "",
    "integer": 0,
    "bigint": 0,
    "smallint": 0,
    "numeric": 0,
    "boolean": False,
    "jsonb": "{}",
    "date": dt.date(2026, 1, 1),
    "timestamp with time zone": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
}


def copy_rows(cur, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples in ``columns`` order) into ``table``.

    A NOT NULL column without a default that this script does not know yet (another
    feature added it) gets a neutral constant, so the bench survives schema growth.
    """
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    extra = [(name, kind) for name, kind in cur.fetchall() if name not in columns]
    for name, kind in extra:
        if kind not in _DEFAULTS:
            raise RuntimeError(f"{table}.{name} ({kind}) is NOT NULL and unknown to the bench; teach it")
        log(f"  note: {table}.{name} filled with {_DEFAULTS[kind]!r}")
    tail = tuple(_DEFAULTS[kind] for _name, kind in extra)
    n = 0
    with cur.copy(f"COPY {table} ({', '.join([*columns, *(name for name, _ in extra)])}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row + tail if tail else row)
            n += 1
    return n


def reset_sequence(cur, table: str) -> None:
    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))")


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

FACE_TAGS = ["face", "顔", "person", "人物"]
THEMES = [
    ("office", "オフィス"),
    ("street", "街角"),
    ("park", "公園"),
    ("home", "自宅"),
    ("studio", "スタジオ"),
    ("station", "駅"),
    ("cafe", "カフェ"),
    ("school", "学校"),
]
SCENES = [
    ("city", "都市"),
    ("rice field", "田んぼ"),
    ("mountain", "山"),
    ("beach", "海"),
    ("temple", "寺"),
    ("farm", "農場"),
    ("night view", "夜景"),
]
LONG_TAIL = [f"kw{n:03d}" for n in range(240)]
AGE = (["child", "teen", "20s", "30s", "40s", "50s", "60plus"], [2, 4, 20, 22, 18, 14, 20])
GENDER = (["female", "male", "nonbinary", "undisclosed"], [48, 48, 2, 2])
ANGLE = (["frontal", "three_quarter", "profile"], [55, 30, 15])
LIGHTING = ["daylight", "indoor", "night", "studio"]
SIZES = [(1600, 1200), (2400, 1600), (3000, 2000), (4000, 3000), (6000, 4000), (8256, 5504)]
SCOPES = ["publication", "ai_training", "biometric", "unique_identification"]

DATASET_THEMES = [
    # (title_en, title_ja, category, required scopes, which photos fit)
    (
        "Japanese faces with masks",
        "マスクを着けた日本人の顔",
        "faces",
        SCOPES[:3],
        lambda p: p["people"] and p["japanese"] and p["masked"],
    ),
    (
        "Japanese faces without masks",
        "マスクなしの日本人の顔",
        "faces",
        SCOPES[:3],
        lambda p: p["people"] and p["japanese"] and not p["masked"],
    ),
    ("Seniors in everyday life", "日常の高齢者", "people", SCOPES[:2], lambda p: p["people"] and p["senior"]),
    (
        "People at work in offices",
        "オフィスで働く人々",
        "people",
        SCOPES[:2],
        lambda p: p["people"] and p["theme"] == "office",
    ),
    ("Faces in profile for recognition", "顔認識のための横顔", "faces", SCOPES, lambda p: p["people"] and p["profile"]),
    ("Faces with glasses", "眼鏡をかけた顔", "faces", SCOPES[:3], lambda p: p["people"] and p["glasses"]),
    ("Portraits at night", "夜のポートレート", "faces", SCOPES[:2], lambda p: p["people"] and p["lighting"] == "night"),
    ("Cities and streets of Japan", "日本の都市と街並み", "scenes", SCOPES[:1], lambda p: not p["people"]),
    (
        "Rice fields and farms",
        "田んぼと農場",
        "agriculture",
        SCOPES[:1],
        lambda p: not p["people"] and p["theme"] in ("rice field", "farm"),
    ),
    ("Groups of people outdoors", "屋外の人々のグループ", "people", SCOPES[:2], lambda p: p["people"] and p["group"]),
]


def fill(n_photos: int, n_datasets: int, seed: int = 7) -> dict:
    """Fill the bench database; returns what the measurements need (slugs, the count's dataset)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from catalog.curation.services import _content_hash, _statistics, dataset_search_text
    from stockdata.accounts.models import Role, User

    rng = random.Random(seed)
    now = timezone.now()
    t0 = time.perf_counter()

    users = User.objects.bulk_create(
        [
            User(email=f"c{i:03d}@bench.example", full_name=f"Photographer {i}", role=Role.CONTRIBUTOR, password="!")
            for i in range(400)
        ]
    )
    staff = User.objects.create(email="staff@bench.example", role=Role.STAFF, is_staff=True, password="!")
    contributor_ids = [u.pk for u in users]

    vocabulary = list(
        dict.fromkeys(
            [
                *FACE_TAGS,
                "japanese",
                "日本人",
                "mask",
                "マスク",
                "portrait",
                "ポートレート",
                "group",
                "グループ",
                "man",
                "男性",
                "woman",
                "女性",
                "senior",
                "高齢者",
                "child",
                "子供",
                "glasses",
                "眼鏡",
                "hat",
                "帽子",
                "profile",
                "横顔",
                *[t for pair in THEMES + SCENES for t in pair],
                *LIGHTING,
                "夜",
                "日中",
                "屋内",
                *LONG_TAIL,
            ]
        )
    )
    tag_id = {name: i + 1 for i, name in enumerate(vocabulary)}

    connection.ensure_connection()
    raw = connection.connection
    photos: list[dict] = []
    # One transaction: the foreign keys are checked at commit, so tables load in any order.
    with transaction.atomic(), raw.cursor() as cur:
        copy_rows(cur, "catalog_tag", ["id", "name"], ((i, n) for n, i in tag_id.items()))

        # --- photos, subjects, tags -----------------------------------------------------
        subject_rows, tag_rows = [], []
        subject_id = 0
        for i in range(n_photos):
            pid = i + 1
            people = rng.random() < 0.8
            r = rng.random()
            status = "approved" if r < 0.90 else "submitted" if r < 0.95 else "rejected" if r < 0.98 else "draft"
            width, height = rng.choice(SIZES)
            if rng.random() < 0.3:
                width, height = height, width
            lighting = rng.choice(LIGHTING)
            subjects = []
            if people:
                for position in range(1, rng.choices([1, 2, 3], weights=[60, 30, 10])[0] + 1):
                    subject_id += 1
                    subjects.append(
                        {
                            "id": subject_id,
                            "position": position,
                            "age_band": rng.choices(*AGE)[0],
                            "gender": rng.choices(*GENDER)[0],
                            "ethnicity": "Japanese"
                            if rng.random() < 0.85
                            else rng.choice(["Korean", "Chinese", "Other"]),
                            "mask": rng.random() < 0.3,
                            "glasses": rng.random() < 0.2,
                            "hat": rng.random() < 0.1,
                            "angle": rng.choices(*ANGLE)[0],
                        }
                    )
            theme = rng.choice(THEMES if people else SCENES)[0]
            p = {
                "id": pid,
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "contributor_id": contributor_ids[min(int(rng.paretovariate(1.2)) - 1, 399)]
                if rng.random() < 0.5
                else rng.choice(contributor_ids),
                "status": status,
                "people": people,
                "subjects": subjects,
                "width": width,
                "height": height,
                "lighting": lighting,
                "theme": theme,
                "masked": any(s["mask"] for s in subjects),
                "japanese": any(s["ethnicity"] == "Japanese" for s in subjects),
                "senior": any(s["age_band"] == "60plus" for s in subjects),
                "profile": any(s["angle"] == "profile" for s in subjects),
                "glasses": any(s["glasses"] for s in subjects),
                "group": len(subjects) > 1,
                "created_at": now - dt.timedelta(minutes=rng.randrange(0, 700 * 24 * 60)),
            }
            names = set()
            if people:
                names |= set(FACE_TAGS)
                if p["japanese"]:
                    names |= {"japanese", "日本人"}
                if p["masked"]:
                    names |= {"mask", "マスク"}
                names |= {"group", "グループ"} if p["group"] else {"portrait", "ポートレート"}
                for s in subjects:
                    names |= (
                        {"woman", "女性"}
                        if s["gender"] == "female"
                        else {"man", "男性"}
                        if s["gender"] == "male"
                        else set()
                    )
                    if s["age_band"] == "60plus":
                        names |= {"senior", "高齢者"}
                    if s["glasses"]:
                        names |= {"glasses", "眼鏡"}
                    if s["angle"] == "profile":
                        names |= {"profile", "横顔"}
            names |= {theme, dict(THEMES + SCENES)[theme], lighting}
            names |= set(rng.sample(LONG_TAIL, rng.randint(1, 4)))
            p["tags"] = sorted(names)
            photos.append(p)
            tag_rows.extend((pid, tag_id[n]) for n in p["tags"])
            subject_rows.extend(
                (
                    s["id"],
                    pid,
                    s["position"],
                    s["age_band"],
                    s["gender"],
                    s["ethnicity"],
                    s["mask"],
                    s["glasses"],
                    s["hat"],
                    s["angle"],
                )
                for s in subjects
            )

        def photo_rows():
            for p in photos:
                u = p["uuid"]
                approved = p["status"] == "approved"
                yield (
                    p["id"],
                    u,
                    p["contributor_id"],
                    p["status"],
                    "ready" if approved or rng.random() < 0.98 else "failed",
                    "",
                    0,
                    f"originals/{p['contributor_id']}/{u}.jpg",
                    f"cleaned/{u}.jpg",
                    f"thumbs/{u.hex[:2]}/{u}.jpg",
                    f"previews/{u.hex[:2]}/{u}.jpg",
                    f"IMG_{p['id']:06d}.jpg",
                    "JPEG",
                    p["width"],
                    p["height"],
                    1,
                    p["width"] * p["height"] // 3,
                    hashlib.sha256(u.bytes).hexdigest(),
                    f"{rng.getrandbits(64):016x}",
                    f"{p['theme'].title()} {p['id']}",
                    "",
                    None,
                    "JP",
                    "Tokyo",
                    p["lighting"],
                    not p["people"],
                    "",
                    "",
                    p["created_at"],
                    p["created_at"],
                    p["created_at"],
                    p["created_at"] if p["status"] in ("approved", "rejected") else None,
                )

        copy_rows(
            cur,
            "catalog_photo",
            [
                "id",
                "uuid",
                "contributor_id",
                "status",
                "processing",
                "processing_error",
                "processing_attempts",
                "original",
                "cleaned",
                "thumbnail",
                "preview",
                "original_filename",
                "format",
                "width",
                "height",
                "orientation",
                "byte_size",
                "sha256",
                "phash",
                "title",
                "description",
                "shoot_date",
                "country",
                "prefecture",
                "lighting",
                "no_people",
                "rejection_reason",
                "rejection_note",
                "created_at",
                "updated_at",
                "submitted_at",
                "reviewed_at",
            ],
            photo_rows(),
        )
        copy_rows(cur, "catalog_photo_tags", ["photo_id", "tag_id"], iter(tag_rows))
        copy_rows(
            cur,
            "catalog_photosubject",
            [
                "id",
                "photo_id",
                "position",
                "age_band",
                "gender",
                "ethnicity",
                "mask",
                "glasses",
                "hat",
                "angle",
            ],
            iter(subject_rows),
        )
        log(
            f"  photos: {len(photos):,}, subjects: {len(subject_rows):,}, photo tags: {len(tag_rows):,} "
            f"({time.perf_counter() - t0:.1f} s)"
        )

        # --- consent: releases, scopes, links, opt-outs ----------------------------------
        cur.execute("SELECT code, id FROM licensing_consentscope")
        scope_pk = dict(cur.fetchall())
        missing = [c for c in SCOPES if c not in scope_pk]
        if missing:
            raise RuntimeError(f"consent scopes {missing} are not seeded; the licensing data migration must run")
        releases_of: dict[int, list[int]] = {c: [] for c in contributor_ids}
        release_rows, release_scope_rows, release_grants, release_valid = [], [], {}, {}
        today = now.date()
        for rid in range(1, 60_001):
            contributor = rng.choice(contributor_ids)
            releases_of[contributor].append(rid)
            r = rng.random()
            status = "approved" if r < 0.92 else "pending" if r < 0.95 else "rejected" if r < 0.98 else "withdrawn"
            e = rng.random()
            expires = (
                today - dt.timedelta(days=rng.randint(1, 300))
                if e < 0.04
                else (today + dt.timedelta(days=rng.randint(30, 2000)) if e < 0.15 else None)
            )
            signed = today - dt.timedelta(days=rng.randint(1, 900))
            release_rows.append(
                (
                    rid,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    f"S-{rid:08X}",
                    contributor,
                    "",
                    f"Subject {rid}",
                    f"subject{rid}@example.jp",
                    None,
                    "",
                    "",
                    rng.choices(*AGE)[0],
                    False,
                    False,
                    signed,
                    signed,
                    "Tokyo",
                    f"Photographer {contributor}",
                    "ja",
                    expires,
                    f"releases/{contributor}/{rid}.pdf",
                    "pdf",
                    hashlib.sha256(str(rid).encode()).hexdigest(),
                    250_000,
                    status,
                    "",
                    "",
                    "",
                    now,
                    now,
                    now,
                    now if status != "pending" else None,
                    now if status == "withdrawn" else None,
                )
            )
            granted = {"publication"}
            for code, share in (("ai_training", 0.92), ("biometric", 0.75), ("unique_identification", 0.45)):
                if rng.random() < share:
                    granted.add(code)
            held = set()
            for code in sorted(granted):
                withdrawn = now if rng.random() < 0.01 else None
                release_scope_rows.append((rid, scope_pk[code], withdrawn, None))
                if withdrawn is None:
                    held.add(code)
            release_grants[rid] = held
            release_valid[rid] = status == "approved" and (expires is None or expires >= today)
        copy_rows(
            cur,
            "licensing_modelrelease",
            [
                "id",
                "uuid",
                "subject_id",
                "contributor_id",
                "reference",
                "subject_name",
                "subject_contact",
                "date_of_birth",
                "guardian_name",
                "witness_name",
                "age_band",
                "is_minor",
                "guardian_signed",
                "signed_on",
                "shoot_date",
                "shoot_place",
                "photographer_name",
                "form_language",
                "expires_on",
                "document",
                "document_format",
                "document_sha256",
                "document_size",
                "status",
                "rejection_reason",
                "rejection_note",
                "withdrawal_token_hash",
                "created_at",
                "updated_at",
                "submitted_at",
                "reviewed_at",
                "withdrawn_at",
            ],
            iter(release_rows),
        )
        copy_rows(
            cur,
            "licensing_releasescope",
            ["release_id", "scope_id", "withdrawn_at", "withdrawal_id"],
            iter(release_scope_rows),
        )

        link_rows = []
        for p in photos:
            pool = releases_of[p["contributor_id"]] or [1]
            scopes = set(SCOPES) if not p["people"] else None
            for s in p["subjects"]:
                if rng.random() < 0.97:
                    rid = rng.choice(pool)
                    link_rows.append((s["id"], rid, now, None))
                    s["release_id"] = rid
                    held = release_grants[rid] if release_valid[rid] else set()
                else:
                    s["release_id"] = None
                    held = set()
                scopes = set(held) if scopes is None else scopes & held
            p["scopes"] = scopes or set()
        copy_rows(
            cur, "licensing_releaselink", ["subject_id", "release_id", "linked_at", "linked_by_id"], iter(link_rows)
        )

        opted_all = {
            c: k for c, k in zip(rng.sample(contributor_ids, 16), ["ai_training"] * 8 + ["biometric"] * 8, strict=False)
        }
        opt_rows = [(c, None, k, now) for c, k in opted_all.items()]
        for p in rng.sample(photos, 500):
            if p["contributor_id"] not in opted_all:
                opt_rows.append((p["contributor_id"], p["id"], rng.choice(["ai_training", "biometric"]), now))
        copy_rows(
            cur, "licensing_contributoroptout", ["contributor_id", "photo_id", "kind", "created_at"], iter(opt_rows)
        )
        for contributor, kind in opted_all.items():
            removed = (
                {"ai_training", "biometric", "unique_identification"}
                if kind == "ai_training"
                else {"biometric", "unique_identification"}
            )
            for p in photos:
                if p["contributor_id"] == contributor:
                    p["scopes"] = p["scopes"] - removed
        for _c, photo_id, kind, _at in opt_rows:
            if photo_id:
                p = photos[photo_id - 1]
                p["scopes"] = p["scopes"] - (
                    {"ai_training", "biometric", "unique_identification"}
                    if kind == "ai_training"
                    else {"biometric", "unique_identification"}
                )
        log(
            f"  releases: {len(release_rows):,}, granted scopes: {len(release_scope_rows):,}, "
            f"links: {len(link_rows):,}, opt-outs: {len(opt_rows):,} ({time.perf_counter() - t0:.1f} s)"
        )

        # --- datasets and frozen versions ------------------------------------------------
        eligible = [p for p in photos if p["status"] == "approved"]
        pools = []
        for theme in DATASET_THEMES:
            required = set(theme[3])
            pools.append([p for p in eligible if theme[4](p) and required <= p["scopes"]])
        dataset_rows, version_rows, item_rows, selection_rows = [], [], [], []
        item_id = version_id = 0
        detail_slug = count_dataset_id = None

        def freeze(dataset_id, number, chosen, annotated, required, frozen_at, previous_names):
            nonlocal item_id, version_id
            version_id += 1
            items = []
            for position, p in enumerate(chosen, start=1):
                u = p["uuid"]
                items.append(
                    SimpleNamespace(
                        contributor_id=p["contributor_id"],
                        file_name=f"sd_{u.hex[:16]}.jpg",
                        sha256=hashlib.sha256(u.bytes).hexdigest(),
                        width=p["width"],
                        height=p["height"],
                        tags=p["tags"],
                        attributes={
                            "lighting": p["lighting"],
                            "country": "JP",
                            "prefecture": "Tokyo",
                            "shoot_date": None,
                            "no_people": not p["people"],
                            "format": "JPEG",
                        },
                        subjects=[
                            {
                                "position": s["position"],
                                "subject_id": f"S-{s['release_id']:08X}" if s["release_id"] else None,
                                "release_id": s["release_id"],
                                "scopes": sorted(required),
                                "age_band": s["age_band"],
                                "gender": s["gender"],
                                "ethnicity": s["ethnicity"],
                                "mask": s["mask"],
                                "glasses": s["glasses"],
                                "hat": s["hat"],
                                "angle": s["angle"],
                            }
                            for s in p["subjects"]
                        ],
                        scopes=sorted(p["scopes"]),
                        boxes=[
                            {"label": "face", "x": 100 + 300 * k, "y": 200, "w": 280, "h": 340, "confirmed": True}
                            for k in range(len(p["subjects"]))
                        ]
                        if annotated
                        else [],
                        photo_id=p["id"],
                        position=position,
                    )
                )
            names = {i.file_name for i in items}
            changes = {"previous": None, "added": [], "removed": []}
            if previous_names is not None:
                changes = {
                    "previous": number - 1,
                    "added": sorted(names - previous_names),
                    "removed": sorted(previous_names - names),
                }
            stats = _statistics(items)
            version_rows.append(
                (
                    version_id,
                    dataset_id,
                    number,
                    json.dumps({"tags_all": ["face"]}),
                    len(items),
                    sum(len(i.subjects) for i in items),
                    sum(len(i.boxes) for i in items),
                    annotated,
                    _content_hash(items),
                    json.dumps(stats, ensure_ascii=False),
                    json.dumps(changes),
                    "",
                    staff.pk,
                    frozen_at,
                )
            )
            for i in items:
                item_id += 1
                item_rows.append(
                    (
                        item_id,
                        version_id,
                        i.photo_id,
                        i.contributor_id,
                        i.position,
                        i.file_name,
                        i.sha256,
                        i.width,
                        i.height,
                        json.dumps(i.tags, ensure_ascii=False),
                        json.dumps(i.attributes),
                        json.dumps(i.subjects),
                        json.dumps(i.scopes),
                        json.dumps(i.boxes),
                    )
                )
            return version_id, stats, names

        for k in range(n_datasets):
            dataset_id = k + 1
            theme_index = k % len(DATASET_THEMES)
            title_en, title_ja, category, required, _fits = DATASET_THEMES[theme_index]
            pool = pools[theme_index]
            volume = k // len(DATASET_THEMES) + 1
            size = 400 if k == 0 else rng.randint(100, 400)
            chosen = rng.sample(pool, min(size, len(pool)))
            annotated = category in ("faces", "people") and rng.random() < 0.5
            if k == 0:
                annotated = True
            published_at = now - dt.timedelta(hours=rng.randrange(1, 2 * 365 * 24))
            previous_names = None
            latest = None
            if k == 0 or rng.random() < 0.2:  # an earlier version, some photos since replaced
                older = chosen[: int(len(chosen) * 0.8)] + rng.sample(pool, 30)
                older = list({p["id"]: p for p in older}.values())
                latest, _stats, previous_names = freeze(
                    dataset_id, 1, older, annotated, set(required), published_at, None
                )
            number = 2 if previous_names is not None else 1
            latest, stats, _names = freeze(
                dataset_id,
                number,
                chosen,
                annotated,
                set(required),
                published_at + dt.timedelta(days=30),
                previous_names,
            )
            status = "published" if k < n_datasets - 40 else "draft" if k < n_datasets - 15 else "retired"
            slug = f"{re.sub(r'[^a-z0-9]+', '-', title_en.lower()).strip('-')}-vol-{volume}"
            custom_price = rng.random() < 0.2
            unedited = rng.choice([49_500, 77_000, 132_000, 198_000]) if custom_price else 99_000
            data = SimpleNamespace(
                title_en=f"{title_en}, vol. {volume}",
                title_ja=f"{title_ja} 第{volume}集",
                description_en=f"{len(chosen)} photos: {title_en.lower()}, shot in Japan by {stats['contributors']} "
                "photographers, every person with a signed model release.",
                description_ja=f"{title_ja}の写真{len(chosen)}枚。撮影者{stats['contributors']}名、全員のモデルリリース取得済み。",
                slug=slug,
            )
            dataset_rows.append(
                (
                    dataset_id,
                    slug,
                    data.title_en,
                    data.title_ja,
                    data.description_en,
                    data.description_ja,
                    category,
                    chosen[0]["id"],
                    json.dumps(required),
                    1000,
                    "Licensed to the buying organisation for training and evaluating machine-learning models.",
                    "購入した組織に、機械学習モデルの学習と評価のための利用を許諾します。",
                    status,
                    unedited,
                    unedited * 5 // 3 if custom_price else 165_000,
                    json.dumps({"tags_all": ["face"]}),
                    latest,
                    dataset_search_text(data, SimpleNamespace(statistics=stats)),
                    published_at,
                    published_at,
                    published_at if status != "draft" else None,
                )
            )
            selection_rows.extend((dataset_id, p["id"], "query", now) for p in chosen)
            if k == 0:
                detail_slug = slug
                count_dataset_id = dataset_id
        copy_rows(
            cur,
            "catalog_dataset",
            [
                "id",
                "slug",
                "title_en",
                "title_ja",
                "description_en",
                "description_ja",
                "category",
                "cover_id",
                "required_scopes",
                "target_size",
                "licence_summary_en",
                "licence_summary_ja",
                "status",
                "price_unedited",
                "price_annotated",
                "curation_query",
                "latest_version_id",
                "search_text",
                "created_at",
                "updated_at",
                "published_at",
            ],
            iter(dataset_rows),
        )
        copy_rows(
            cur,
            "catalog_datasetversion",
            [
                "id",
                "dataset_id",
                "number",
                "query",
                "photo_count",
                "subject_count",
                "box_count",
                "annotated",
                "content_hash",
                "statistics",
                "changes",
                "notes",
                "frozen_by_id",
                "frozen_at",
            ],
            iter(version_rows),
        )
        copy_rows(
            cur,
            "catalog_datasetversionitem",
            [
                "id",
                "version_id",
                "photo_id",
                "contributor_id",
                "position",
                "file_name",
                "sha256",
                "width",
                "height",
                "tags",
                "attributes",
                "subjects",
                "scopes",
                "boxes",
            ],
            iter(item_rows),
        )
        copy_rows(cur, "catalog_datasetphoto", ["dataset_id", "photo_id", "source", "added_at"], iter(selection_rows))
        for table in (
            "catalog_tag",
            "catalog_photo",
            "catalog_photosubject",
            "licensing_modelrelease",
            "catalog_dataset",
            "catalog_datasetversion",
            "catalog_datasetversionitem",
        ):
            reset_sequence(cur, table)
    log(
        f"  datasets: {len(dataset_rows)}, versions: {len(version_rows)}, version items: {len(item_rows):,} "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    # Each photo's stored consent mask, by the same service the nightly task runs; then
    # checked against the scopes the fill computed on its own.
    from catalog.models import Photo
    from licensing.consent.services import photos_scope_masks_refresh

    t = time.perf_counter()
    changed = photos_scope_masks_refresh()
    log(
        f"  consent masks of {len(photos):,} photos (the nightly refresh): {changed:,} set in "
        f"{time.perf_counter() - t:.1f} s"
    )
    cur_scope = dict(Photo.objects.values_list("pk", "scope_mask"))
    from licensing.models import ConsentScope

    bit = {code: 1 << b for code, b in ConsentScope.objects.values_list("code", "bit")}
    wrong = sum(1 for p in photos if cur_scope[p["id"]] != sum(bit[c] for c in p["scopes"]))
    if wrong:
        raise RuntimeError(f"{wrong} photos' stored consent masks disagree with the fill's own reckoning")
    with connection.cursor() as cur:
        # A live database is vacuumed by autovacuum; after a bulk load only VACUUM sets the
        # visibility map that index-only scans rely on.
        t = time.perf_counter()
        cur.execute("VACUUM (ANALYZE)")
        log(f"  VACUUM (ANALYZE) {time.perf_counter() - t:.1f} s")
    from catalog.models import Dataset

    on_sale = Dataset.objects.filter(status=Dataset.Status.PUBLISHED, latest_version__isnull=False).order_by("?")
    if not on_sale.filter(slug=detail_slug).exists():  # a small fill (--datasets) may not have published it
        detail_slug = on_sale.order_by("-latest_version__photo_count", "pk").values_list("slug", flat=True).first()
    return {
        "detail_slug": detail_slug,
        "count_dataset_id": count_dataset_id,
        "published_slugs": list(on_sale.values_list("slug", flat=True)),
    }


# ---------------------------------------------------------------------------
# The curation count
# ---------------------------------------------------------------------------


def measure_count(dataset_id: int, runs: int = 7) -> tuple[float, int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.curation.selectors import CurationQuery, curation_count
    from catalog.models import Dataset

    dataset = Dataset.objects.get(pk=dataset_id)
    query = CurationQuery(tags_all=["mask", "japanese"], mask=True)
    with CaptureQueriesContext(connection) as ctx:
        count = curation_count(dataset=dataset, query=query)  # warm-up
    sql = ctx.captured_queries[-1]["sql"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        assert curation_count(dataset=dataset, query=query) == count
        times.append((time.perf_counter() - t) * 1000)
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cur.fetchall())
    return statistics.median(times), count, plan


def plan_summary(plan: str) -> str:
    index_nodes = re.findall(r"((?:Bitmap )?Index(?: Only)? Scan)(?: using (\S+))? on (\S+)", plan)
    seq = re.findall(r"Seq Scan on (\S+)", plan)
    used = sorted({f"{name or '?'} on {table}" for _kind, name, table in index_nodes})
    return (
        f"index scans: {len(index_nodes)} ({'; '.join(used)}); "
        f"seq scans: {len(seq)} ({', '.join(sorted(set(seq))) or 'none'})"
    )


# ---------------------------------------------------------------------------
# HTTP load
# ---------------------------------------------------------------------------

LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status < 200 or status > 299 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("NON2XX %d\\n", total))
end
"""


# Cache misses. List: every request has a query string never seen before (the page and the
# catalogue body are both keyed on it), so each one renders and stores. Detail: each request
# asks for another published dataset, in an order no two threads share, after the Redis
# database was flushed; the run reports whether it asked for more pages than there are
# datasets (then the rest were hits).
LUA_MISS_LIST = (
    LUA
    + """
local nthreads = 0
local base_setup = setup
function setup(thread) nthreads = nthreads + 1; thread:set("id", nthreads); base_setup(thread) end
local base_init = init
function init(args) base_init(args); n = 0; stamp = tostring(os.time()) end
function request()
  n = n + 1
  return wrk.format(nil, wrk.path .. "&miss=" .. stamp .. "-" .. id .. "-" .. n)
end
"""
)

LUA_MISS_DETAIL = (
    LUA
    + """
local nthreads = 0
local base_setup = setup
function setup(thread) nthreads = nthreads + 1; thread:set("id", nthreads); base_setup(thread) end
local base_init = init
function init(args) base_init(args); n = 0; total = tonumber(args[1]); slugs = {} ; for i = 2, #args do slugs[#slugs + 1] = args[i] end end
function request()
  local i = n * total + id
  n = n + 1
  return wrk.format(nil, "/datasets/" .. slugs[((i - 1) % #slugs) + 1] .. "/")
end
"""
)


def run_wrk(
    url: str,
    *,
    duration: int,
    threads: int,
    connections: int,
    script: Path,
    headers: list[str] = (),
    script_args: list[str] = (),
) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script)]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    requests = int(re.search(r"([0-9]+) requests in", out).group(1))
    socket_errors = (
        sum(
            int(x)
            for x in re.findall(
                r"(?:connect|read|write|timeout) ([0-9]+)", out.split("Socket errors:", 1)[1].splitlines()[0]
            )
        )
        if "Socket errors:" in out
        else 0
    )
    non2xx = int(re.search(r"NON2XX ([0-9]+)", out).group(1))
    latency = re.search(r"Latency\s+(\S+)", out).group(1)
    return {
        "rps": rps,
        "requests": requests,
        "errors": socket_errors + non2xx,
        "socket_errors": socket_errors,
        "non2xx": non2xx,
        "latency": latency,
    }


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def signed_in_cookie() -> str:
    """A buyer's session, made the way a login makes it, as the Cookie header wrk sends."""
    from django.conf import settings
    from django.test import Client

    from stockdata.accounts.tests.factories import BuyerFactory

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(BuyerFactory(email="bench-buyer@example.com"))
    response = client.get("/datasets/")
    assert response.status_code == 200 and b"/accounts/logout/" in response.content, "not signed in"
    return f"Cookie: {settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def page_sizes(paths: list[str]) -> list[int]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    sizes = []
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        sizes.append(len(response.content))
    return sizes


def bare_page(size: int) -> bytes:
    head = b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bare</title></head><body><main>'
    tail = b"</main></body></html>\n"
    filler = b"<p>Constant text of the size of a catalogue page, served through the same middleware.</p>\n"
    body = head
    while len(body) + len(tail) < size:
        body += filler
    return (body + tail)[: max(size, len(head) + len(tail))]


# ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=200_000)
    parser.add_argument("--datasets", type=int, default=500)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        log("wrk is missing: apt-get install -y wrk")
        return 2

    work = Path(tempfile.mkdtemp(prefix="stockdata-bench-catalogue-"))
    os.environ["BENCH_STATIC_ROOT"] = str(work / "static")
    os.environ["BENCH_BARE_FILE"] = str(work / "bare.html")
    (work / "bare.html").write_bytes(b"")
    server = None
    try:
        log(f"database {DB_NAME} on {PG['host']}:{PG['port']}")
        database_create(DB_NAME)
        import django
        from django.core.management import call_command

        django.setup()
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        log(f"  migrate + collectstatic {time.perf_counter() - t:.1f} s")
        log(f"filling {args.photos:,} photos and {args.datasets} datasets (COPY)")
        facts = fill(args.photos, args.datasets)

        log("curation count: tags_all=[mask, japanese], mask=True")
        count_ms, count, plan = measure_count(facts["count_dataset_id"])
        log(f"  {count:,} photos match; median {count_ms:.1f} ms")
        log("EXPLAIN (ANALYZE, BUFFERS):")
        log("\n".join("    " + line for line in plan.splitlines()))
        log("  " + plan_summary(plan))

        targets = {
            "list": "/datasets/",
            "search": "/datasets/?q=" + urllib.parse.quote("マスク"),
            "detail": f"/datasets/{facts['detail_slug']}/",
        }
        sizes = page_sizes(list(targets.values()))
        (work / "bare.html").write_bytes(bare_page(int(statistics.median(sizes))))
        targets["bare"] = "/bench/bare/"
        log(
            "page sizes: "
            + ", ".join(f"{k} {s:,} B" for k, s in zip(targets, sizes, strict=False))
            + f", bare {len((work / 'bare.html').read_bytes()):,} B"
        )

        from django.db import connections

        connections.close_all()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = os.environ | {"PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "bench.catalogue.settings"}
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "stockdata.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
                "--log-level",
                "warning",
                "--error-logfile",
                str(work / "gunicorn.log"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(base + targets["bare"])
        for path in targets.values():  # every worker connects and renders each page once
            for _ in range(args.workers * 2):
                wait_for(base + path)
        script = work / "count.lua"
        script.write_text(LUA)
        miss_list, miss_detail = work / "miss_list.lua", work / "miss_detail.lua"
        miss_list.write_text(LUA_MISS_LIST)
        miss_detail.write_text(LUA_MISS_DETAIL)
        slugs = facts["published_slugs"]
        cookie = signed_in_cookie()
        # name -> (path, wrk script, headers, script args, flush Redis first)
        schedule = {
            "list": (targets["list"], script, [], [], False),
            "search": (targets["search"], script, [], [], False),
            "detail": (targets["detail"], script, [], [], False),
            "list_miss": ("/datasets/?bench=miss", miss_list, [], [], True),
            "detail_miss": ("/datasets/", miss_detail, [], [str(args.threads), *slugs], True),
            "signed_in": (targets["list"], script, [cookie], [], False),
            "signed_in_detail": (targets["detail"], script, [cookie], [], False),
            "bare": (targets["bare"], script, [], [], False),
        }
        log(
            f"gunicorn: {args.workers} sync workers, Redis cache {REDIS_URL}; wrk -t{args.threads} "
            f"-c{args.connections} -d{args.duration}s, {args.reps} interleaved runs per target"
        )
        log(
            "  hits: list, search, detail (anonymous: the whole page from Redis); signed_in, signed_in_detail "
            "(a buyer's session: the page rendered around the cached body); misses: list_miss (a new query "
            f"string per request), detail_miss (Redis flushed, then another of {len(slugs)} datasets per request)"
        )
        one, five, fifteen = os.getloadavg()
        log(
            f"load average before the runs: {one:.2f} {five:.2f} {fifteen:.2f} "
            f"({os.cpu_count()} CPUs; other work on the machine skews the figures)"
        )
        runs: dict[str, list[dict]] = {name: [] for name in schedule}
        for rep in range(args.reps):
            for name, (path, lua, headers, script_args, flush) in schedule.items():
                if flush:
                    redis_flush()
                result = run_wrk(
                    base + path,
                    duration=args.duration,
                    threads=args.threads,
                    connections=args.connections,
                    script=lua,
                    headers=headers,
                    script_args=script_args,
                )
                runs[name].append(result)
                note = ""
                if name == "detail_miss" and result["requests"] > len(slugs):
                    note = f"  ({result['requests'] - len(slugs)} of {result['requests']} were repeats, i.e. hits)"
                log(
                    f"  run {rep + 1} {name:<16} {result['rps']:8.1f} req/s  latency {result['latency']:>8}  "
                    f"errors {result['errors']} (non-2xx {result['non2xx']}, socket {result['socket_errors']}){note}"
                )
        median = {name: statistics.median(r["rps"] for r in results) for name, results in runs.items()}
        errors = sum(r["errors"] for results in runs.values() for r in results)
        log("")
        log(f"{'target':<16} {'median req/s':>12} {'vs bare':>8}")
        for name in schedule:
            log(f"{name:<16} {median[name]:12.1f} {median[name] / median['bare']:8.2f}")
        paired = {
            name: [r["rps"] / b["rps"] for r, b in zip(runs[name], runs["bare"], strict=False)]
            for name in schedule
            if name != "bare"
        }
        log(
            "per-run ratios (page / bare of the same run): "
            + "; ".join(f"{name} " + " ".join(f"{x:.2f}" for x in xs) for name, xs in paired.items())
        )
        log("load average after the runs: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        log(f"curation count: {count_ms:.1f} ms median ({count:,} photos)")
        ratios = {name: median[name] / median["bare"] for name in schedule}
        log(
            f"RESULT catalogue list_vs_bare={ratios['list']:.2f} search_vs_bare={ratios['search']:.2f} "
            f"detail_vs_bare={ratios['detail']:.2f} errors={errors} count_ms={count_ms:.1f} "
            f"list_miss_vs_bare={ratios['list_miss']:.2f} detail_miss_vs_bare={ratios['detail_miss']:.2f} "
            f"signed_in_vs_bare={ratios['signed_in']:.2f} signed_in_detail_vs_bare={ratios['signed_in_detail']:.2f} "
            f"photos={args.photos}"
        )
        return 0
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep_db:
            try:
                database_drop(DB_NAME)
            except Exception as exc:  # noqa: BLE001 - report, never mask the run's own error
                print(f"could not drop {DB_NAME}: {exc}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
