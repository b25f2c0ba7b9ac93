"""Small helpers the benchmarks share: a throwaway PostgreSQL database, a free port, waiting for a server.

Importing this module has no side effect (no settings chosen, no environment changed).
"""

from __future__ import annotations

import socket
import time
import urllib.request

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


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
