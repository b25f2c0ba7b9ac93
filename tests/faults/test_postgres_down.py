"""PostgreSQL connections killed mid-operation (``pg_terminate_backend`` from another connection,
as a failover or an administrator would): the worker's task is retried and the result is there
exactly once. PostgreSQL only: SQLite has no server connection to kill (CI runs these on PostgreSQL).
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.db.models import Sum

from conftest import _database_url, requires, wait_until
from contributors.models import ContributorProfile, Payout, PayoutRun, RoyaltyEntry
from contributors.services import period_bounds, previous_period
from contributors.tasks import payout_run_start_task
from contributors.tests.factories import contributor_with_bank, credit
from licensing.delivery import services as bundles
from licensing.delivery.tests.test_bundles import factory_version, make_line
from licensing.models import Bundle, BundleBase

# Kills PostgreSQL server connections with pg_terminate_backend; SQLite has none
# (run with DATABASE_URL=postgres://...; under CI=true a run without it fails).
pytestmark = [pytest.mark.worker, requires("postgresql")]

APP = "stockdata-faults-worker"


def admin_connection(**kwargs) -> psycopg.Connection:
    """A connection of our own to the test database, outside Django's."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s.get("HOST") or "127.0.0.1",
        port=int(s.get("PORT") or 5432),
        user=s.get("USER") or "postgres",
        password=s.get("PASSWORD") or None,
        dbname=s["NAME"],
        **kwargs,
    )


def worker_backends(conn: psycopg.Connection, *, waiting_on_lock: bool = False) -> list[int]:
    sql = "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()"
    if waiting_on_lock:
        sql += " AND wait_event_type = 'Lock'"
    return [row[0] for row in conn.execute(sql, [APP]).fetchall()]


def terminate(conn: psycopg.Connection, pids: list[int]) -> None:
    assert pids, "no worker connection to kill"
    for pid in pids:
        assert conn.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True


def worker_env(**extra) -> dict:
    return {"DATABASE_URL": f"{_database_url()}?application_name={APP}", **extra}


def test_a_payout_run_whose_connection_is_killed_mid_run_is_retried_and_pays_everyone_exactly_once(workers):
    period = previous_period()
    start, end = period_bounds(period)
    sold_at = start + timedelta(days=3)
    people = [contributor_with_bank() for _ in range(6)]
    amounts = {user.pk: 10_000 + 1_111 * i for i, user in enumerate(people)}
    for user in people:
        credit(user, amounts[user.pk], at=sold_at)
    ids = sorted(amounts)
    assert ContributorProfile.objects.count() == 6
    worker = workers.start(extra_env=worker_env(STOCKDATA_PAYOUT_BATCH_SIZE="1"))

    # Hold the fourth contributor's row, so the run stops there, then kill the run's connection.
    table = ContributorProfile._meta.db_table
    with admin_connection(autocommit=True) as killer, admin_connection() as blocker:
        blocker.execute(f"SELECT 1 FROM {table} WHERE user_id = %s FOR UPDATE", [ids[3]])
        payout_run_start_task.delay(period)
        pids = wait_until(
            lambda: worker_backends(killer, waiting_on_lock=True),
            timeout=60,
            message="the payout run to reach the locked contributor",
        )
        assert sorted(Payout.objects.values_list("contributor_id", flat=True)) == ids[:3]  # three batches committed
        terminate(killer, pids)
        blocker.rollback()

    run = wait_until(
        lambda: PayoutRun.objects.filter(period=period, status=PayoutRun.Status.PREPARED).first(),
        timeout=60,
        message="the retried run to finish",
    )
    output = worker.output()
    assert "terminating connection due to administrator command" in output
    assert "Retry in 1s" in output
    assert PayoutRun.objects.count() == 1
    payouts = {p.contributor_id: p for p in Payout.objects.filter(run=run)}
    assert sorted(payouts) == ids  # everyone, once
    assert {pk: p.gross for pk, p in payouts.items()} == amounts
    assert all(p.withholding + p.fee + p.net == p.gross for p in payouts.values())
    # The ledger: one payout debit per contributor, and every balance back to zero, to the yen.
    assert RoyaltyEntry.objects.filter(kind=RoyaltyEntry.Kind.PAYOUT).count() == 6
    balances = dict(RoyaltyEntry.objects.values_list("contributor_id").annotate(total=Sum("amount")).order_by())
    assert balances == {pk: 0 for pk in ids}
    assert sum(p.gross for p in payouts.values()) == sum(amounts.values())
    assert run.cutoff == end


def test_a_bundle_build_whose_connection_is_killed_is_retried_and_delivered_once(workers):
    version = factory_version(photos=12)
    line = make_line(version)
    worker = workers.start(extra_env=worker_env(STOCKDATA_BUNDLE_THROTTLE_SECONDS="0.3"))
    bundles.bundle_request(line=line)  # autocommit: queued at once
    bundle = Bundle.objects.get(order_line=line)
    wait_until(
        lambda: BundleBase.objects.filter(
            version=version, files_done__gte=3, status=BundleBase.Status.BUILDING
        ).exists(),
        timeout=60,
        message="the base build to be under way",
    )
    with admin_connection(autocommit=True) as killer:
        terminate(killer, worker_backends(killer))

    bundle = wait_until(
        lambda: Bundle.objects.filter(pk=bundle.pk, status=Bundle.Status.READY).first(),
        timeout=90,
        message="the retried build to finish",
    )
    assert "terminating connection due to administrator command" in worker.output()
    assert bundle.attempts == 2 and bundle.error == ""
    base = BundleBase.objects.get(version=version, edition=line.edition)
    assert base.attempts == 2 and base.status == BundleBase.Status.READY and base.error == ""
    assert Bundle.objects.filter(order_line=line).count() == 1
    archive = zipfile.ZipFile(io.BytesIO(b"".join(bundles.bundle_read(bundle))))
    assert archive.testzip() is None
    assert len([n for n in archive.namelist() if "/images/" in n and n.endswith(".jpg")]) == 12
