"""Load test: buyers browsing, searching and buying with the demo card, on gunicorn + PostgreSQL + Redis.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth; Redis on
127.0.0.1:6379)::

    .venv/bin/python bench/load/run.py [--users 50] [--spawn-rate 10] [--duration 60]
                                       [--worker-class gthread|sync] [--workers 5] [--threads 4]
                                       [--bare-duration 15] [--no-celery] [--keep-db] [--reuse DIR]

    make bench-load BENCH_ARGS="--worker-class sync"

What it does:

1. Empties Redis database 12 (``--redis-db``; the cache, the sessions' cache and the Celery
   broker of this run) and creates the throwaway PostgreSQL database ``stockdata_bench_load``
   (``BENCH_DB_NAME``).  The data is the demo's (3 datasets, ~200 photos), not the catalogue
   benchmark's 200,000-photo fill.
2. Migrates, collects the static files, runs ``seed_demo`` (demo photos through the real
   upload pipeline, releases, reviews, published datasets, orders; 4-6 minutes on the shared
   2-core machine) with media in a temporary folder, discards the Celery tasks it queued (it
   ran the pipeline inline already), then creates ``--users`` buyer accounts, each with its
   own organisation and a verified email, in bulk.  ``--keep-db`` then ``--reuse DIR``
   measures again without seeding.
3. Starts gunicorn (``bench.load.settings``: production settings, DEBUG off, plain HTTP,
   the demo card switched on) on 127.0.0.1 and a real Celery worker on Redis
   (``--celery-concurrency``, default 1), which builds the bundles of the paid orders while
   the load runs: that is part of the system under load, and its CPU time is reported.
4. Logs every buyer in through the real login form (CSRF token from the page, password
   checked by the production hasher) and times it; their session cookies go to the locust
   users, so the measured mix is buyers already signed in.
5. Runs locust headless in its own process (``bench/load/locustfile.py``) for
   ``--duration`` seconds: ``--users`` users started ``--spawn-rate`` a second, 4 buyers to
   1 anonymous visitor, each waiting 1-3 s between actions (a person reading the page).
   Buyers: catalogue list and pages (5), searches in Japanese and English (3), dataset pages
   (5), the cart (2), orders (1), add to cart (2), and the whole purchase (2): dataset page,
   add to cart, cart, checkout form, place the order (CSRF token and idempotency key from the
   form), the demo card page, pay with 4242 4242 4242 4242, the order page showing it paid.
   Every response is checked for its status and a marker of the page it should be.
   Every request has a client timeout (``--client-timeout``, 10 s): no answer by then is a
   failure, counted as an error and as a timeout.  Requests still waiting for their answer
   when the run stops are counted (``in_flight_dropped``, with the oldest one's age) instead
   of vanishing; they are not in the percentiles.
5b. Open loop (``--open-rate`` page views a second for ``--open-duration`` s, after the
   closed loop): requests start at a constant rate whatever the answers take (one locust
   user spawning a greenlet per request), so a slow server builds a queue and shows it as
   latency, timeouts and requests in flight, where the closed loop's users would just wait.
   The mix: catalogue, searches, dataset pages; half anonymous, half as the signed-in buyers.
6. Reference in the same run: ``/bench/bare/`` (a constant page through the same middleware,
   gunicorn and network path) under the same users and think time, for ``--bare-duration``
   seconds before and after the load; ``p99_vs_bare`` is the load's p99 over the bare p99.
7. Stops everything, drops the database, empties Redis database 12, removes the temp folder.

Per-endpoint figures are printed above the last line, which is machine-readable::

    RESULT load rps=<n> p50_ms=<ms> p99_ms=<ms> errors=<n> p95_ms=<ms> p99_vs_bare=<x> bare_p99_ms=<ms>
                cpu_ms=<ms> cpu_vs_bare=<x> timeouts=<n> in_flight_dropped=<n>
                open_rate=<n/s> open_p99_ms=<ms> open_errors=<n> open_timeouts=<n> open_in_flight_dropped=<n>

rps = requests answered per second over the whole run (ramp-up included); percentiles over
every request of the run, exact (not locust's rounded buckets); errors = requests failed
(wrong status, missing marker, socket error) + flows refused (the demo card not offered).
cpu_ms = gunicorn CPU time per request under the load (master and workers, recycled ones
included) and cpu_vs_bare its ratio to the bare page's: unlike the latencies, it hardly
depends on what else the machine runs.  The rps is set by the users and their think time
(a closed loop), so an rps ratio to the bare page would say nothing.
Targets: errors=0, p99_ms < 500.

gunicorn: every option that matters is on the command line; a ``gunicorn.conf.py`` at the
root is still read (from the working directory) for the rest (worker_tmp_dir, the JSON
logger).  Defaults: 5 gthread workers x 4 threads, what gunicorn.conf.py deploys.  Measured
against 5 sync workers in four back-to-back pairs on the shared machine (2026-11-30), each
won two (p99 964 vs 2706 ms and 507 vs 758 for gthread; 196 vs 323 and 541 vs 1061 for sync):
the difference is below the noise of the other sessions' load, so the bench measures what is
deployed.  Every page is CPU-bound (no slow I/O to overlap), so threads buy nothing here
but cost GIL switches.  Worker recycling (``--max-requests``) is off
so that the bare runs and the load measure the same warm workers; a recycled worker costs
1-2 s of CPU to start, which would land in whichever phase it happened in.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import database_create, database_drop, free_port, log, wait_for

DB_NAME = os.environ.get("BENCH_DB_NAME", "stockdata_bench_load")
BIN = Path(sys.executable).parent
BUYER_PASSWORD = "bench-load-buyer-2026"
SEARCH_TERMS = ["マスク", "顔", "日本人", "オフィス", "mask", "faces", "office", "senior", "glasses", "street"]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(rank) - 1]


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def buyers_create(n: int) -> list[str]:
    """``n`` buyers, each with an organisation, a verified primary email and the terms of use
    accepted, in four bulk inserts."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from stockdata.accounts.models import Organisation, Role, TermsAcceptance, User
    from stockdata.accounts.services import terms_current

    password = make_password(BUYER_PASSWORD)  # hashed once; the same hash checks for every buyer
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Load Test Labs {i:03d} K.K.",
                kind=Organisation.Kind.COMPANY,
                billing_name=f"ロードテスト研究所{i:03d}株式会社",
                billing_address=f"東京都千代田区丸の内1-{i}-1\n100-0005",
                country="JP",
            )
            for i in range(n)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(
                email=f"buyer{i:03d}@load.example",
                full_name=f"Load Buyer {i}",
                role=Role.BUYER,
                organisation=org,
                password=password,
            )
            for i, org in enumerate(orgs)
        ]
    )
    EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users])
    # Like every buyer who signs up, they accepted the terms of use in force (else sign-in asks first).
    version = terms_current()
    if version is not None:
        TermsAcceptance.objects.bulk_create([TermsAcceptance(user=u, version=version) for u in users])
    return [u.email for u in users]


def buyers_existing(n: int) -> list[str]:
    from stockdata.accounts.models import User

    buyers = User.objects.filter(email__endswith="@load.example").order_by("email")
    emails = list(buyers.values_list("email", flat=True))
    if len(emails) < n:
        raise RuntimeError(f"the kept database has {len(emails)} load-test buyers, fewer than {n}")
    return emails[:n]


def catalogue_facts() -> dict:
    from catalog.models import Dataset

    on_sale = list(Dataset.objects.filter(status=Dataset.Status.PUBLISHED, latest_version__isnull=False).order_by("pk"))
    buy = [d.slug for d in on_sale if not d.restricted]
    if not buy:
        raise RuntimeError("seed_demo published no unrestricted dataset: nothing to buy")
    return {"all_slugs": [d.slug for d in on_sale], "buy_slugs": buy, "restricted": len(on_sale) - len(buy)}


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process, its live children, and the children it has reaped
    (gunicorn replaces a worker after ``max_requests``; the old one's time moves to the master)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL backend serving the bench database (they are other users' processes too)."""
    import psutil

    total = 0.0
    for p in psutil.process_iter(["name", "cmdline"]):
        try:
            if p.info["name"] == "postgres" and DB_NAME in " ".join(p.info["cmdline"] or []):
                t = p.cpu_times()
                total += t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def stop(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def gunicorn_command(args, port: int, work: Path) -> list[str]:
    # Every option that matters is on the command line, so a gunicorn.conf.py at the root
    # (picked up from the working directory when present) cannot change what is measured.
    command = [
        str(BIN / "gunicorn"),
        "stockdata.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--timeout",
        "60",
        "--keep-alive",
        "5",
        "--max-requests",
        "0",
        "--log-level",
        "warning",
        "--error-logfile",
        str(work / "gunicorn.log"),
        "--access-logfile",
        "-" if args.access_log else "/dev/null",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    return command


# ---------------------------------------------------------------------------
# Logins
# ---------------------------------------------------------------------------


def login_one(base: str, email: str) -> tuple[dict, float]:
    """Log a buyer in through the login form, like a browser: its cookies and the time taken (ms)."""
    import re

    import requests

    client = requests.Session()
    t = time.perf_counter()
    page = client.get(base + "/accounts/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or token is None:
        raise RuntimeError(f"login page: {page.status_code}, CSRF token {'found' if token else 'missing'}")
    response = client.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "login": email, "password": BUYER_PASSWORD},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
        timeout=60,
    )
    ms = (time.perf_counter() - t) * 1000
    if response.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login of {email} failed: {response.status_code} {response.headers.get('Location')}")
    check = client.get(base + "/cart/", allow_redirects=False, timeout=60)
    if check.status_code != 200:
        raise RuntimeError(f"{email} logged in but /cart/ answered {check.status_code}")
    return {"email": email, "cookies": client.cookies.get_dict()}, ms


def login_all(base: str, emails: list[str], parallel: int = 4) -> tuple[list[dict], list[float]]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(parallel) as pool:
        done = list(pool.map(lambda email: login_one(base, email), emails))
    return [session for session, _ms in done], [ms for _session, ms in done]


# ---------------------------------------------------------------------------
# Locust
# ---------------------------------------------------------------------------


def run_locust(
    *,
    base: str,
    classes: list[str],
    users: int,
    spawn_rate: float,
    duration: int,
    plan: Path,
    out: Path,
    work: Path,
    env: dict,
) -> None:
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "load" / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{duration}s",
        "--host",
        base,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        *classes,
    ]
    host = urllib.parse.urlsplit(base).hostname
    if host != "127.0.0.1":
        raise RuntimeError(f"the load test only targets 127.0.0.1, not {host}")
    with open(work / "locust.log", "a") as log_file:
        subprocess.run(
            command,
            cwd=ROOT,
            env=env | {"BENCH_LOAD_PLAN": str(plan), "BENCH_LOAD_OUT": str(out)},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=duration + 120,
        )


def read_records(path: Path) -> list[list]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def summarise(records: list[list], duration: float) -> dict:
    """Totals and per-endpoint figures from the locust records [kind, name, at, ms, ok, error].

    ``error`` is "timeout" for a request without an answer within the client timeout (an
    error like any other failure); IN_FLIGHT records are requests still unanswered when the
    run stopped (their age in ms), counted apart and left out of the latencies."""
    dropped = [r for r in records if r[0] == "IN_FLIGHT"]
    records = [r for r in records if r[0] != "IN_FLIGHT"]
    http = [r for r in records if r[0] != "CHECK"]
    times = sorted(r[3] for r in http)
    by_name: dict[str, list] = defaultdict(list)
    for r in records:
        by_name[r[1]].append(r)
    endpoints = {}
    for name, rows in by_name.items():
        ms = sorted(r[3] for r in rows if r[0] != "CHECK")
        endpoints[name] = {
            "n": len(rows),
            "errors": sum(1 for r in rows if not r[4]),
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "p99": percentile(ms, 99),
            "max": ms[-1] if ms else 0,
            "time_share": sum(ms),
        }
    return {
        "requests": len(http),
        "errors": sum(1 for r in records if not r[4]),
        "timeouts": sum(1 for r in records if len(r) > 5 and r[5] == "timeout"),
        "in_flight_dropped": len(dropped),
        "in_flight_oldest_ms": max((r[3] for r in dropped), default=0.0),
        "rps": len(http) / duration,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "max": times[-1] if times else 0,
        "endpoints": endpoints,
    }


def failures(work: Path) -> list[str]:
    """locust's own failure report (reason per endpoint), from its log."""
    text = (work / "locust.log").read_text(errors="replace") if (work / "locust.log").exists() else ""
    if "Error report" not in text:
        return []
    return [line for line in text.rsplit("Error report", 1)[1].splitlines() if line.strip()][:30]


# ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--bare-duration", type=int, default=15)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--celery-concurrency", type=int, default=1)
    parser.add_argument("--no-celery", action="store_true", help="no worker: the bundles of paid orders wait")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--client-timeout", type=float, default=10, help="seconds; no answer by then is an error")
    parser.add_argument("--open-rate", type=float, default=10, help="open loop: page views started a second")
    parser.add_argument("--open-duration", type=int, default=30, help="open loop seconds (0: no open-loop run)")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--keep-db", action="store_true", help="keep the database and the work folder")
    parser.add_argument(
        "--reuse",
        metavar="WORK_FOLDER",
        help="measure again on the database and work folder a --keep-db run left (no seeding)",
    )
    args = parser.parse_args()

    work = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="stockdata-bench-load-"))
    if args.reuse:
        args.keep_db = True
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",
        "BENCH_DB_NAME": DB_NAME,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "STOCKDATA_MEDIA_ROOT": str(work / "media"),
        "BENCH_STATIC_ROOT": str(work / "static"),
        "BENCH_LOAD_WAIT_MIN": "1",
        "BENCH_LOAD_WAIT_MAX": "3",
    }
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    server = worker = None
    try:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        log(f"redis {redis_url} emptied; database {DB_NAME} on 127.0.0.1:5432; work folder {work}")
        if not args.reuse:
            database_create(DB_NAME)
        import django
        from django.core.management import call_command

        django.setup()
        if not args.reuse:
            t = time.perf_counter()
            call_command("migrate", verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            log(f"  migrate + collectstatic {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            seed_log = work / "seed.log"
            with open(seed_log, "w") as f:
                call_command("seed_demo", stdout=f)
            log(f"  seed_demo {time.perf_counter() - t:.1f} s (log: {seed_log.name})")
        # seed_demo ran the photo pipeline inline; what it also queued (the same photos again, box
        # proposals for the review tool, its own order's bundle) would keep the worker busy for
        # minutes into the load, so the load starts with an empty queue.
        from stockdata.celery import app as celery_app

        log(f"  {celery_app.control.purge()} tasks queued by seed_demo discarded")
        emails = buyers_existing(args.users) if args.reuse else buyers_create(args.users)
        facts = catalogue_facts()
        log(
            f"  {len(emails)} buyers; {len(facts['all_slugs'])} datasets on sale, "
            f"{len(facts['buy_slugs'])} unrestricted "
            f"(the restricted ones need staff approval, so the buyers browse them but do not buy them)"
        )
        from django.db import connections

        connections.close_all()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        conf = ROOT / "gunicorn.conf.py"
        command = gunicorn_command(args, port, work)
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not args.no_celery:
            worker = subprocess.Popen(
                [
                    str(BIN / "celery"),
                    "-A",
                    "stockdata",
                    "worker",
                    "--concurrency",
                    str(args.celery_concurrency),
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--logfile",
                    str(work / "worker.log"),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        wait_for(base + "/bench/bare/")
        for path in ["/bench/bare/", "/datasets/", f"/datasets/{facts['buy_slugs'][0]}/"]:
            for _ in range(args.workers * 2):
                wait_for(base + path)
        threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
        log(
            f"gunicorn: {args.workers} {args.worker_class} workers{threads} on {base}"
            f"{' (gunicorn.conf.py present; the command-line options above override it)' if conf.exists() else ''}; "
            f"celery worker: {'none' if args.no_celery else f'concurrency {args.celery_concurrency}'}"
        )

        t = time.perf_counter()
        sessions, login_ms = login_all(base, emails)
        log(
            f"  {len(sessions)} buyers logged in through the login form in {time.perf_counter() - t:.1f} s "
            f"(4 at a time; median {statistics.median(login_ms):.0f} ms per login: page + POST)"
        )
        plan = work / "plan.json"
        plan.write_text(json.dumps({**facts, "search_terms": SEARCH_TERMS, "sessions": sessions}, ensure_ascii=False))

        def locust(classes, duration, out_name, users=None):
            """The records of one locust run, with the CPU seconds gunicorn and locust spent in it."""
            out = work / out_name
            web, own = cpu_seconds(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
            run_locust(
                base=base,
                classes=classes,
                users=users or args.users,
                spawn_rate=args.spawn_rate,
                duration=duration,
                plan=plan,
                out=out,
                work=work,
                env=env | {"BENCH_LOAD_TIMEOUT": str(args.client_timeout), "BENCH_LOAD_RATE": str(args.open_rate)},
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            spent = {
                "gunicorn": cpu_seconds(server.pid) - web,
                "locust": after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime,
            }
            return read_records(out), spent

        def bare_run(out_name, when):
            records, spent = locust(["Bare"], args.bare_duration, out_name)
            run = summarise(records, args.bare_duration)
            run["cpu_ms"] = 1000 * spent["gunicorn"] / max(run["requests"], 1)
            log(
                f"  bare ({when}): {run['rps']:.1f} req/s, p50 {run['p50']:.0f} ms, p99 {run['p99']:.0f} ms, "
                f"errors {run['errors']}, gunicorn CPU {run['cpu_ms']:.1f} ms a request"
            )
            return run

        log(
            f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs; "
            "other work on the machine skews the figures)"
        )
        bare_runs = [bare_run("bare1.jsonl", "before")]

        cpu_before = {
            "gunicorn": cpu_seconds(server.pid),
            "celery": cpu_seconds(worker.pid) if worker else 0.0,
            "postgres": postgres_cpu_seconds(),
        }
        from django.db.models import Count

        from licensing.models import Bundle, Order

        orders_before = Order.objects.count()
        t0 = time.monotonic()
        log(
            "measures: gunicorn (production settings) + PostgreSQL + Redis + a real Celery worker, from locust on "
            f"127.0.0.1; every request checked, {args.client_timeout:g} s client timeout, requests in flight at "
            "the end counted; data: the demo's datasets (not the catalogue benchmark's 200,000-photo fill); "
            "excludes: nginx, TLS, static files, the browser"
        )
        log(f"load: {args.users} users (+{args.spawn_rate:g}/s), {args.duration} s, think time 1-3 s")
        records, spent = locust(["Buyer", "Anonymous"], args.duration, "load.jsonl")
        wall = time.monotonic() - t0
        cpu_after = {
            "gunicorn": cpu_seconds(server.pid),
            "celery": cpu_seconds(worker.pid) if worker else 0.0,
            "postgres": postgres_cpu_seconds(),
        }
        result = summarise(records, args.duration)
        paid = Order.objects.filter(status=Order.Status.PAID).count()
        orders = Order.objects.count() - orders_before
        bundles = dict(Bundle.objects.values_list("status").annotate(n=Count("id")).order_by())
        connections.close_all()

        bare_runs.append(bare_run("bare2.jsonl", "after"))
        open_loop = None
        if args.open_rate > 0 and args.open_duration > 0:
            log(
                f"open loop: {args.open_rate:g} page views started a second for {args.open_duration} s, whatever "
                "the answers take (catalogue, search, dataset pages; half as signed-in buyers)"
            )
            open_records, _spent = locust(["OpenLoop"], args.open_duration, "open.jsonl", users=1)
            open_loop = summarise(open_records, args.open_duration)
            log(
                f"  open loop: {open_loop['requests']} answered ({open_loop['rps']:.1f}/s), p50 {open_loop['p50']:.0f} ms, "
                f"p99 {open_loop['p99']:.0f} ms, errors {open_loop['errors']} (timeouts {open_loop['timeouts']}), "
                f"in flight at the end {open_loop['in_flight_dropped']} "
                f"(oldest {open_loop['in_flight_oldest_ms']:.0f} ms)"
            )
        log(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        log("")
        log(
            f"{'endpoint':<18} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
            f"{'time %':>6}"
        )
        total_time = sum(e["time_share"] for e in result["endpoints"].values()) or 1
        for name, e in sorted(result["endpoints"].items(), key=lambda kv: -kv[1]["time_share"]):
            log(
                f"{name:<18} {e['n']:>8} {e['errors']:>6} {e['p50']:>7.0f} {e['p95']:>7.0f} {e['p99']:>7.0f} "
                f"{e['max']:>7.0f} {100 * e['time_share'] / total_time:>6.1f}"
            )
        log(
            f"{'all':<18} {result['requests']:>8} {result['errors']:>6} {result['p50']:>7.0f} {result['p95']:>7.0f} "
            f"{result['p99']:>7.0f} {result['max']:>7.0f}"
        )
        log("")
        log(
            f"orders placed during the load: {orders}; paid in total: {paid}; "
            f"bundles by status at the end of the load: {bundles or 'none'}"
        )
        cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_before} | {"locust": spent["locust"]}
        log(
            "CPU seconds during the load (of "
            + f"{wall * (os.cpu_count() or 1):.0f} available on the machine): "
            + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
        )
        load_cpu_ms = 1000 * cpu["gunicorn"] / max(result["requests"], 1)
        bare_cpu_ms = statistics.mean(r["cpu_ms"] for r in bare_runs)
        log(
            f"gunicorn CPU a request: {load_cpu_ms:.1f} ms under the load, {bare_cpu_ms:.1f} ms for the bare page "
            f"(x{load_cpu_ms / bare_cpu_ms if bare_cpu_ms else 0:.1f}); latency beyond that is waiting for a CPU "
            "or a worker"
        )
        if result["errors"]:
            log("locust's failure report:")
            for line in failures(work):
                log("  " + line)
            gunicorn_log = (work / "gunicorn.log").read_text(errors="replace").strip().splitlines()
            if gunicorn_log:
                log("gunicorn error log (last lines):")
                for line in gunicorn_log[-15:]:
                    log("  " + line)
        bare_p99 = statistics.mean(r["p99"] for r in bare_runs)
        ratio = result["p99"] / bare_p99 if bare_p99 else 0.0
        log(
            f"closed loop: timeouts (no answer within {args.client_timeout:g} s, counted in errors) "
            f"{result['timeouts']}; requests in flight when the run stopped {result['in_flight_dropped']} "
            f"(oldest {result['in_flight_oldest_ms']:.0f} ms; not in the percentiles)"
        )
        open_part = (
            f" open_rate={args.open_rate:g} open_p99_ms={open_loop['p99']:.0f} open_errors={open_loop['errors']} "
            f"open_timeouts={open_loop['timeouts']} open_in_flight_dropped={open_loop['in_flight_dropped']}"
            if open_loop
            else ""
        )
        log(
            f"RESULT load rps={result['rps']:.1f} p50_ms={result['p50']:.0f} p99_ms={result['p99']:.0f} "
            f"errors={result['errors']} p95_ms={result['p95']:.0f} p99_vs_bare={ratio:.2f} bare_p99_ms={bare_p99:.0f} "
            f"cpu_ms={load_cpu_ms:.1f} cpu_vs_bare={load_cpu_ms / bare_cpu_ms if bare_cpu_ms else 0:.1f} "
            f"timeouts={result['timeouts']} in_flight_dropped={result['in_flight_dropped']}{open_part}"
        )
        return 0
    finally:
        stop(server)
        stop(worker)
        if not args.keep_db:
            try:
                database_drop(DB_NAME)
            except Exception as exc:  # noqa: BLE001 - report, never mask the run's own error
                print(f"could not drop {DB_NAME}: {exc}", file=sys.stderr)
            try:
                import redis

                redis.Redis.from_url(redis_url).flushdb()
            except Exception as exc:  # noqa: BLE001
                print(f"could not empty {redis_url}: {exc}", file=sys.stderr)
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept database {DB_NAME} and {work}")


if __name__ == "__main__":
    sys.exit(main())
