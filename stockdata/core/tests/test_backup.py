"""backup_data and restore_data: a real backup restored by a separate process into a new, empty
database and empty storage folders, compared table by table, row by row and byte by byte.

Runs on whichever database the suite runs on: SQLite locally (the target is a new file),
PostgreSQL in CI (the target is a second database created here).
"""

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from catalog.models import Photo
from catalog.photos import services as catalog_services
from catalog.photos.services.review import derived_publish
from catalog.tests.badfiles import good_jpeg
from catalog.tests.factories import ensure_consent_scopes
from licensing.consent.tests.factories import make_release
from licensing.delivery.tests.test_bundles import factory_version, make_line
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory
from stockdata.core.backup import FORMAT, storage_walk

ROOT = Path(__file__).resolve().parents[3]


# --- Comparing two databases and two media folders ---------------------------------------------


def _pg_params(name: str) -> dict:
    s = connection.settings_dict
    return {
        "dbname": name,
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or 5432,
        "user": s.get("USER") or "postgres",
        "password": s.get("PASSWORD") or None,
    }


def all_rows(target) -> dict[str, list]:
    """Every row of every table, through the plain DB-API driver (no Django conversions)."""
    if connection.vendor == "sqlite":
        conn = sqlite3.connect(target)
        tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        import psycopg

        conn = psycopg.connect(**_pg_params(target))
        tables_sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    try:
        cursor = conn.cursor()
        cursor.execute(tables_sql)
        tables = sorted(row[0] for row in cursor.fetchall())
        result = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            result[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
        return result
    finally:
        conn.close()


def storage_files(alias: str) -> dict[str, bytes]:
    storage = storages[alias]
    files = {}
    for name in storage_walk(storage):
        with storage.open(name, "rb") as handle:
            files[name] = handle.read()
    return files


def folder_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- A second, empty target, restored into by another process ---------------------------------


class Target:
    """A new empty database (a file, or a second PostgreSQL database) and an empty media folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.s3_env: dict[str, str] = {}
        folder.mkdir()
        if connection.vendor == "sqlite":
            self.db = str(folder / "restored.sqlite3")
            self.url = f"sqlite:///{self.db}"
        else:
            self.db = f"{connection.settings_dict['NAME']}_restored"
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{self.db}"')
            p = _pg_params(self.db)
            auth = p["user"] + (f":{p['password']}" if p["password"] else "")
            self.url = f"postgres://{auth}@{p['host']}:{p['port']}/{self.db}"

    @property
    def private(self) -> Path:
        return self.folder / "media" / "private"

    @property
    def public(self) -> Path:
        return self.folder / "media" / "public"

    def manage(self, *args) -> subprocess.CompletedProcess:
        env = (
            os.environ
            | {
                "DJANGO_SETTINGS_MODULE": "stockdata.settings.test",
                "DATABASE_URL": self.url,
                "STOCKDATA_TEST_RUN_DIR": str(self.folder),
            }
            | self.s3_env
        )
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def drop(self):
        if connection.vendor != "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')


@pytest.fixture
def target(transactional_db, tmp_path):
    target = Target(tmp_path / "target")
    yield target
    target.drop()


def source_db():
    return connection.settings_dict["NAME"]


@pytest.fixture
def seeded(transactional_db, django_capture_on_commit_callbacks):
    """Users of every role, an approved release (private PDF), a photo through the real upload
    pipeline (private original and cleaned copy, public thumbnail and preview), a dataset version
    with stored cleaned copies and a paid order."""
    ensure_consent_scopes()  # a data migration made them; an earlier transactional test flushed them
    staff, buyer, contributor = StaffFactory(), BuyerFactory(), ContributorFactory()
    make_release(contributor, approve_by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        photo = catalog_services.photo_upload(
            contributor=contributor, file=SimpleUploadedFile("shoot.jpg", good_jpeg(7))
        )
    photo.refresh_from_db()
    assert photo.processing == Photo.Processing.READY
    derived_publish(photo)  # its thumbnail and preview in the public storage, as consent would publish them
    make_line(factory_version(photos=3), buyer=buyer)
    return photo


def test_a_backup_restored_into_an_empty_database_and_storage_is_identical(seeded, target, tmp_path):
    archive = tmp_path / "backup.tar"
    # A health-check probe left behind by a crash is not data: it is not backed up.
    probe = storages["default"].save("healthz/probe-left-behind.txt", ContentFile(b"probe"))
    try:
        call_command("backup_data", "--output", str(archive), stdout=io.StringIO())
    finally:
        storages["default"].delete(probe)

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        members = set(tar.getnames())
    private, public = storage_files("default"), storage_files("public")
    assert "healthz/probe-left-behind.txt" not in {f["name"] for f in manifest["files"]}
    source = all_rows(source_db())
    # The seed really put files in both storages and rows in the tables that matter.
    assert len(private) >= 6 and len(public) >= 2
    assert source["accounts_user"] and source["licensing_orderline"] and source["catalog_photo"]
    assert manifest["format"] == FORMAT
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["tables"] == {name: len(rows) for name, rows in source.items()}
    assert ["core", "0001_initial"] in manifest["database"]["migrations"]
    assert {(f["storage"], f["name"]) for f in manifest["files"]} == {("default", name) for name in private} | {
        ("public", name) for name in public
    }
    assert members == {"manifest.json", manifest["database"]["file"]} | {
        f"storage/{f['storage']}/{f['name']}" for f in manifest["files"]
    }

    result = target.manage("restore_data", str(archive))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "verified: every table's row count and every file's sha256 match the backup" in result.stdout
    restored = all_rows(target.db)
    assert set(restored) == set(source)
    for table, rows in source.items():
        assert restored[table] == rows, f"table {table} differs after restore"
    assert folder_files(target.private) == private
    assert folder_files(target.public) == public


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(seeded, tmp_path):
    archive = tmp_path / "backup.tar"
    call_command("backup_data", "--output", str(archive), stdout=io.StringIO())
    StaffFactory(email="after-the-backup@example.com")
    before_rows, before_files = all_rows(source_db()), storage_files("default") | storage_files("public")

    with pytest.raises(CommandError) as refused:
        call_command("restore_data", str(archive), stdout=io.StringIO())

    message = str(refused.value)
    assert message.startswith("Refusing to restore over existing data: the database ")
    assert "(restore into a new, empty database; do not run migrate first)" in message
    assert "the default storage is not empty" in message
    assert "the public storage is not empty" in message
    assert message.endswith("or pass --force to delete everything there first.")
    assert all_rows(source_db()) == before_rows
    assert storage_files("default") | storage_files("public") == before_files


def test_restore_refuses_storage_that_is_not_empty_even_with_an_empty_database(seeded, target, tmp_path):
    archive = tmp_path / "backup.tar"
    call_command("backup_data", "--output", str(archive), stdout=io.StringIO())
    target.private.mkdir(parents=True)
    (target.private / "left-over.txt").write_bytes(b"someone else's file")

    result = target.manage("restore_data", str(archive))

    assert result.returncode == 1
    assert (
        "CommandError: Refusing to restore over existing data: the default storage is not empty "
        "(it has 'left-over.txt', among others). Use an empty database and empty storage, "
        "or pass --force to delete everything there first."
    ) in result.stderr
    assert all_rows(target.db) == {}
    assert folder_files(target.folder / "media") == {"private/left-over.txt": b"someone else's file"}


def test_force_replaces_whatever_the_target_held_with_the_backup(seeded, target, tmp_path):
    archive = tmp_path / "backup.tar"
    call_command("backup_data", "--output", str(archive), stdout=io.StringIO())
    assert target.manage("restore_data", str(archive)).returncode == 0
    assert target.manage("createsuperuser", "--noinput", "--email", "extra@example.com").returncode == 0
    (target.public / "extra.txt").write_bytes(b"not in the backup")

    result = target.manage("restore_data", "--force", str(archive))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "--force: deleting the existing database tables and stored files" in result.stdout
    assert all_rows(target.db) == all_rows(source_db())
    assert folder_files(target.private) == storage_files("default")
    assert folder_files(target.public) == storage_files("public")


def test_a_damaged_archive_is_refused_before_anything_is_written(seeded, target, tmp_path):
    archive = tmp_path / "backup.tar"
    call_command("backup_data", "--output", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        victim = next(f for f in manifest["files"] if f["storage"] == "default")
        member = tar.getmember(f"storage/default/{victim['name']}")
        offset = member.offset_data
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0xFF  # one flipped byte inside one stored file
    archive.write_bytes(bytes(data))

    result = target.manage("restore_data", str(archive))

    assert result.returncode == 1
    assert (
        f"CommandError: the archive is damaged: storage/default/{victim['name']} "
        "does not match its sha256 in the manifest"
    ) in result.stderr
    assert all_rows(target.db) == {}
    assert folder_files(target.folder / "media") == {}


def test_backup_refuses_to_overwrite_an_existing_archive(db, tmp_path):
    archive = tmp_path / "backup.tar"
    archive.write_bytes(b"an older backup")
    with pytest.raises(CommandError, match=f"^{archive} already exists; choose another name$"):
        call_command("backup_data", "--output", str(archive))
    assert archive.read_bytes() == b"an older backup"


# --- S3: the same commands through the storage API ---------------------------------------------


def make_bucket(endpoint: str) -> str:
    import boto3

    bucket = f"stockdata-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="ap-northeast-1",
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    return bucket


@pytest.mark.s3
def test_backup_and_restore_with_media_on_s3(transactional_db, settings, s3_server, target, tmp_path):
    from tests.faults.s3 import s3_storages

    source_bucket, target_bucket = make_bucket(s3_server), make_bucket(s3_server)
    settings.STORAGES = s3_storages(s3_server, source_bucket, settings.STORAGES)
    StaffFactory(), BuyerFactory()
    originals = {
        ("default", "originals/ab/one.jpg"): good_jpeg(3),
        ("default", "releases/2026/release.pdf"): b"%PDF-1.4 release",
        ("default", "top-level.bin"): bytes(range(256)),
        ("public", "thumbs/ab/one.jpg"): b"thumbnail bytes",
    }
    for (alias, name), data in originals.items():
        assert storages[alias].save(name, ContentFile(data)) == name
    archive = tmp_path / "backup.tar"

    call_command("backup_data", "--output", str(archive), stdout=io.StringIO())
    # settings.test would replace the S3 "location" prefixes with local folders; the base
    # settings read the S3 variables as production does.
    target.s3_env = {
        "DJANGO_SETTINGS_MODULE": "stockdata.settings.base",
        "CELERY_FILESYSTEM_BROKER_DIR": str(target.folder / "broker"),
        "AWS_STORAGE_BUCKET_NAME": target_bucket,
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "ap-northeast-1",
    }
    result = target.manage("restore_data", str(archive))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "files restored: 4" in result.stdout
    settings.STORAGES = s3_storages(s3_server, target_bucket, settings.STORAGES)
    restored = {(alias, name): data for alias in ("default", "public") for name, data in storage_files(alias).items()}
    assert restored == originals
    assert all_rows(target.db) == all_rows(source_db())
