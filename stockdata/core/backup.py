"""Back up and restore the database and both storages as one tar archive.

Archive layout (``tar``, PAX format, not compressed: photos and the custom-format dump are
compressed already)::

    database/database.pgdump      pg_dump --format=custom       (PostgreSQL)
    database/database.sqlite3     a copy through SQLite's backup API (SQLite)
    storage/default/<name>        every file of the private storage (not the health check's probes)
    storage/public/<name>         every file of the public storage
    manifest.json                 what is inside, with a sha256 per file and a row count per table

Files are listed and read through Django's storage API, so local folders and S3 work the
same. On PostgreSQL the row counts and migrations in the manifest come from the very
snapshot pg_dump saves (``pg_export_snapshot``); on SQLite from the copied file.

A restore goes into an EMPTY database and EMPTY storages: it refuses anything else unless
told to wipe them first. It checks every sha256 in the archive before it writes anything,
and afterwards compares every table's row count and every restored file's sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.utils import timezone

from stockdata.core.health import PROBE_PREFIX

FORMAT = "stockdata-backup/1"
STORAGE_ALIASES = ("default", "public")
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
Out = Callable[[str], None]


class BackupError(Exception):
    """Something an operator must act on; the message says what."""


class RestoreRefused(BackupError):
    """The target is not empty (or not the right kind); nothing was changed."""


# --- Storage ---------------------------------------------------------------------------------


def storage_walk(storage: Storage, path: str = "") -> Iterator[str]:
    """Every file name in a storage, depth first, through the storage API (local or S3)."""
    try:
        dirs, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{path}/{name}" if path else name
    for name in sorted(dirs):
        yield from storage_walk(storage, f"{path}/{name}" if path else name)


def data_files(alias: str) -> Iterator[str]:
    """The files worth keeping: everything but the health check's short-lived probe objects."""
    for name in storage_walk(storages[alias]):
        if not (alias == "default" and name.startswith(f"{PROBE_PREFIX}/")):
            yield name


def _sha256_stream(handle, into=None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if into is not None:
            into.write(chunk)
    return digest.hexdigest(), size


class _HashingReader:
    """Feeds tarfile.addfile and hashes what it reads."""

    def __init__(self, handle):
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.handle.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


# --- Database --------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(cursor, vendor: str) -> dict[str, int]:
    """Row count of every table (DB-API cursor: Django's, or sqlite3's on a copied file)."""
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(name)}")
        counts[name] = cursor.fetchone()[0]
    return counts


def applied_migrations(cursor, tables: dict[str, int]) -> list[list[str]]:
    if "django_migrations" not in tables:
        return []
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [[app, name] for app, name in cursor.fetchall()]


def _vendor() -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {connection.vendor}")
    return connection.vendor


def _pg_command(program: str) -> tuple[list[str], dict]:
    s = connection.settings_dict
    if not shutil.which(program):
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client)")
    args = [program, "--no-password"]
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    env = os.environ.copy()
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if s.get("OPTIONS", {}).get(option):
            env[variable] = str(s["OPTIONS"][option])
    return args, env


def _run(args: list[str], env: dict) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed (exit {result.returncode}): {result.stderr.strip()}")


def dump_database(target: Path) -> dict:
    """Write the database to ``target``; return its table counts and migrations at that moment."""
    vendor = _vendor()
    if vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
            cursor = copy.cursor()
            tables = table_counts(cursor, vendor)
            return {"tables": tables, "migrations": applied_migrations(cursor, tables)}
        finally:
            copy.close()
    args, env = _pg_command("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        # One snapshot for pg_dump and for the counts in the manifest.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                "--dbname",
                connection.settings_dict["NAME"],
            ],
            env,
        )
        tables = table_counts(cursor, vendor)
        return {"tables": tables, "migrations": applied_migrations(cursor, tables)}


def database_tables() -> dict[str, int]:
    with connection.cursor() as cursor:
        return table_counts(cursor, _vendor())


def wipe_database() -> None:
    vendor = _vendor()
    if vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        connection.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = _quote(cursor.fetchone()[0])
        cursor.execute(f"DROP SCHEMA {schema} CASCADE")
        cursor.execute(f"CREATE SCHEMA {schema}")


def load_database(source: Path) -> None:
    vendor = _vendor()
    if vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        connection.close()
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        src, dst = sqlite3.connect(source), sqlite3.connect(name)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return
    args, env = _pg_command("pg_restore")
    connection.close()  # pg_restore works on its own connection
    _run(
        [
            *args,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            connection.settings_dict["NAME"],
            str(source),
        ],
        env,
    )


# --- Backup ----------------------------------------------------------------------------------


def backup_create(output: Path, *, out: Out = lambda line: None) -> dict:
    """Write one archive to ``output`` (through ``<output>.partial``, renamed when complete)."""
    vendor = _vendor()
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} already exists; choose another name")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    db_member = "database/database." + ("sqlite3" if vendor == "sqlite" else "pgdump")
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"vendor": vendor, "file": db_member},
        "storages": {},
        "files": [],
    }
    try:
        with (
            tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as work,
            tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar,
        ):
            dump = Path(work) / Path(db_member).name
            state = dump_database(dump)
            with dump.open("rb") as handle:
                manifest["database"]["sha256"], manifest["database"]["size"] = _sha256_stream(handle)
            manifest["database"] |= state
            tar.add(dump, arcname=db_member)
            out(f"database: {len(state['tables'])} tables, {sum(state['tables'].values())} rows")
            for alias in STORAGE_ALIASES:
                storage = storages[alias]
                count = total = 0
                for name in data_files(alias):
                    info = tarfile.TarInfo(f"storage/{alias}/{name}")
                    info.size, info.mtime, info.mode = storage.size(name), int(timezone.now().timestamp()), 0o640
                    with storage.open(name, "rb") as handle:
                        reader = _HashingReader(handle)
                        tar.addfile(info, reader)
                    if reader.size != info.size:
                        raise BackupError(f"{alias}:{name} changed while it was being copied; run the backup again")
                    manifest["files"].append(
                        {"storage": alias, "name": name, "size": reader.size, "sha256": reader.digest.hexdigest()}
                    )
                    count, total = count + 1, total + reader.size
                manifest["storages"][alias] = {
                    "backend": settings.STORAGES[alias]["BACKEND"],
                    "files": count,
                    "bytes": total,
                }
                out(f"storage {alias}: {count} files, {total} bytes")
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o640
            tar.addfile(info, _HashingReader(_BytesReader(data)))
        os.chmod(partial, 0o600)
        partial.rename(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


class _BytesReader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n is None or n < 0 else self.pos + n
        chunk, self.pos = self.data[self.pos : end], min(end, len(self.data))
        return chunk


# --- Restore ---------------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        handle = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError("not a Stockdata backup: manifest.json is missing") from None
    manifest = json.load(handle)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}; this code reads {FORMAT}")
    return manifest


def _member(tar: tarfile.TarFile, name: str) -> tarfile.TarInfo:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BackupError(f"the archive is incomplete: {name} is missing") from None
    if not member.isfile():
        raise BackupError(f"the archive is damaged: {name} is not a regular file")
    return member


def verify_archive(tar: tarfile.TarFile, manifest: dict) -> None:
    """Every file in the manifest is in the archive with its sha256; raises on the first that is not."""
    entries = [
        (manifest["database"]["file"], manifest["database"]["sha256"]),
        *((f"storage/{f['storage']}/{f['name']}", f["sha256"]) for f in manifest["files"]),
    ]
    for name, expected in entries:
        if _sha256_stream(tar.extractfile(_member(tar, name)))[0] != expected:
            raise BackupError(f"the archive is damaged: {name} does not match its sha256 in the manifest")


def target_problems() -> list[str]:
    problems = []
    tables = database_tables()
    if tables:
        problems.append(
            f"the database {connection.settings_dict['NAME']} has {len(tables)} tables "
            "(restore into a new, empty database; do not run migrate first)"
        )
    for alias in STORAGE_ALIASES:
        first = next(data_files(alias), None)
        if first is not None:
            problems.append(f"the {alias} storage is not empty (it has {first!r}, among others)")
    return problems


def restore_run(archive: Path, *, force: bool = False, out: Out = lambda line: None) -> dict:
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    with tarfile.open(archive, "r:") as tar:
        manifest = read_manifest(tar)
        vendor = _vendor()
        if manifest["database"]["vendor"] != vendor:
            raise RestoreRefused(
                f"this backup is of a {manifest['database']['vendor']} database and the target is {vendor}"
            )
        verify_archive(tar, manifest)
        out(f"archive verified: {len(manifest['files'])} files and the database match their sha256")

        problems = target_problems()
        if problems and not force:
            raise RestoreRefused(
                "Refusing to restore over existing data: "
                + "; ".join(problems)
                + ". Use an empty database and empty storage, or pass --force to delete everything there first."
            )
        if problems:
            out("--force: deleting the existing database tables and stored files")
            wipe_database()
            for alias in STORAGE_ALIASES:
                storage = storages[alias]
                for name in list(storage_walk(storage)):
                    storage.delete(name)

        with tempfile.TemporaryDirectory(prefix=".restore-") as work:
            dump = Path(work) / Path(manifest["database"]["file"]).name
            with tar.extractfile(_member(tar, manifest["database"]["file"])) as src, dump.open("wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            load_database(dump)
        out("database restored")

        for entry in manifest["files"]:
            storage = storages[entry["storage"]]
            member = _member(tar, f"storage/{entry['storage']}/{entry['name']}")
            with tar.extractfile(member) as handle:
                content = File(handle, name=Path(entry["name"]).name)
                content.size = member.size
                saved = storage.save(entry["name"], content)
            if saved != entry["name"]:
                raise BackupError(f"{entry['storage']}:{entry['name']} was stored as {saved!r}")
        out(f"files restored: {len(manifest['files'])}")

    verify_restored(manifest)
    out("verified: every table's row count and every file's sha256 match the backup")
    return manifest


def verify_restored(manifest: dict) -> None:
    tables = database_tables()
    if tables != manifest["database"]["tables"]:
        differ = sorted(
            name
            for name in set(tables) | set(manifest["database"]["tables"])
            if tables.get(name) != manifest["database"]["tables"].get(name)
        )
        raise BackupError(f"restored row counts differ from the backup in: {', '.join(differ)}")
    for entry in manifest["files"]:
        with storages[entry["storage"]].open(entry["name"], "rb") as handle:
            if _sha256_stream(handle)[0] != entry["sha256"]:
                raise BackupError(f"restored file {entry['storage']}:{entry['name']} differs from the backup")


def pending_migrations() -> int:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
