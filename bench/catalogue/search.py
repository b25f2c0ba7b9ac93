"""Catalogue search on the catalogue benchmark's data: how long a search takes, with and without
a trigram index (pg_trgm, which Debian's postgresql-contrib packages).

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth)::

    .venv/bin/python bench/catalogue/search.py [--photos 20000] [--datasets 500] [--runs 15]

Fills the throwaway database ``stockdata_bench_catalogue_search`` with ``run.py``'s ``fill`` (the
datasets' titles, descriptions and tags are what the catalogue searches; the photo count does
not change them), then times ``dataset_catalogue(q=...)`` evaluated in full (server-side execution
time from EXPLAIN ANALYZE, ids only; median of ``--runs`` after one warm-up; "" is no search) for English words (full-text search and word forms) and Japanese words
(substring and kanji/katakana runs); then again with a GIN trigram index on ``search_text``.
Drops the database at the end. The last line is machine-readable::

    RESULT search_forms datasets=<n> none_ms=<no search> english_ms=<max median> japanese_ms=<max median>
        trgm_english_ms=<...> trgm_japanese_ms=<...>
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DB_NAME", "stockdata_bench_catalogue_search")

from bench.catalogue.run import DB_NAME, fill  # sets the bench settings
from bench.common import database_create, database_drop, log

ENGLISH = ["japanese", "masked", "faces", "walking people", "glasses"]
JAPANESE = ["マスク", "日本人", "マスクを着けた", "歩いている人"]


def median_ms(q: str, runs: int) -> tuple[float, int]:
    """Median server-side execution time (EXPLAIN ANALYZE) of the search's query, ids only."""
    from django.db import connection

    from catalog.storefront.selectors import dataset_catalogue

    queryset = dataset_catalogue(q=q).values_list("pk", flat=True)
    count = len(list(queryset))
    sql, params = queryset.query.sql_with_params()
    times = []
    with connection.cursor() as cur:
        for _ in range(runs + 1):
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            times.append(cur.fetchone()[0][0]["Execution Time"])
    return statistics.median(times[1:]), count


def measure(runs: int) -> dict[str, float]:
    result = {}
    for q in ["", *ENGLISH, *JAPANESE]:
        ms, count = median_ms(q, runs)
        result[q] = ms
        log(f"  {q!r:>20}: {count:4d} datasets, median {ms:.2f} ms")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--datasets", type=int, default=500)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    database_create(DB_NAME)
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        call_command("migrate", verbosity=0)
        fill(args.photos, args.datasets)
        from catalog.storefront.selectors import published_datasets

        published = published_datasets().count()
        log(f"{published} published datasets; no index on search_text:")
        plain = measure(args.runs)
        with connection.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cur.execute("CREATE INDEX bench_search_trgm ON catalog_dataset USING gin (search_text gin_trgm_ops)")
            cur.execute("ANALYZE catalog_dataset")
        log("with a GIN trigram index on search_text:")
        trgm = measure(args.runs)
        english = max(plain[q] for q in ENGLISH)
        japanese = max(plain[q] for q in JAPANESE)
        trgm_english = max(trgm[q] for q in ENGLISH)
        trgm_japanese = max(trgm[q] for q in JAPANESE)
        log(
            f"RESULT search_forms datasets={published} none_ms={plain['']:.2f} english_ms={english:.2f} "
            f"japanese_ms={japanese:.2f} trgm_english_ms={trgm_english:.2f} trgm_japanese_ms={trgm_japanese:.2f}"
        )
    finally:
        database_drop(DB_NAME)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
