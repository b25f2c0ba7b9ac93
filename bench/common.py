"""Small helpers the benchmarks share: a throwaway PostgreSQL database, a free port, waiting for a server.

Importing this module has no side effect (no settings chosen, no environment changed).
"""

from __future__ import annotations

import socket
import time
import urllib.request

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}

#: A company for the benchmarks that run production's settings, which refuse the demo company's
#: details. Fictitious, and says so; the bench settings set these only where the environment does not.
BENCH_COMPANY_ENV = {
    "STOCKDATA_COMPANY_NAME_JA": "ベンチマーク用株式会社（架空）",
    "STOCKDATA_COMPANY_NAME_EN": "Benchmark K.K. (fictitious)",
    "STOCKDATA_COMPANY_ADDRESS_JA": "〒100-0001 東京都千代田区ベンチ1-1-1（架空）",
    "STOCKDATA_COMPANY_ADDRESS_EN": "1-1-1 Bench, Chiyoda-ku, Tokyo 100-0001 (fictitious)",
    "STOCKDATA_COMPANY_REGISTRATION_NUMBER": "T1111111111111",
    "STOCKDATA_COMPANY_EMAIL": "bench@stockdata.example",
    "STOCKDATA_COMPANY_PHONE": "03-1111-1111",
    "STOCKDATA_COMPANY_REPRESENTATIVE": "代表取締役 ベンチ 一郎（架空）",
    "STOCKDATA_COMPANY_BANK_NAME": "みずほ銀行",
    "STOCKDATA_COMPANY_BANK_CODE": "0001",
    "STOCKDATA_COMPANY_BRANCH_NAME": "東京営業部",
    "STOCKDATA_COMPANY_BRANCH_CODE": "001",
    "STOCKDATA_COMPANY_ACCOUNT_TYPE": "1",
    "STOCKDATA_COMPANY_ACCOUNT_NUMBER": "1111111",
    "STOCKDATA_COMPANY_ACCOUNT_HOLDER_KANA": "カ）ベンチマーク",
    "STOCKDATA_COMPANY_ZENGIN_REQUESTER_CODE": "1111111111",
}


def log(message: str = "") -> None:
    print(message, flush=True)


def admin_execute(sql: str) -> None:
    """Run one statement on the ``postgres`` maintenance database (autocommit)."""
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(sql)


def database_create(name: str) -> None:
    """A new, empty database ``name``; one left over from an interrupted run is dropped first."""
    admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_execute(f"CREATE DATABASE {name}")


def database_drop(name: str) -> None:
    from django.db import connections

    connections.close_all()
    admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    """Until ``url`` answers 200 (a server starting), or RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")
