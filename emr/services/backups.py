"""Verified backups: a consistent encrypted snapshot with a manifest, its check, and restore.

A backup is two files: `NAME.db` (encrypted like the practice database, with the same key) and
`NAME.db.manifest.json` (schema revision, row counts per table, SHA-256 of the snapshot).

A practice on PostgreSQL is backed up with pg_dump (the PostgreSQL client tools on this
computer): a custom-format archive of one snapshot, the manifest's counts read in that same
snapshot. It is verified by its SHA-256 and by pg_restore reading its table of contents, and
restored with pg_restore by the server's administrator. Without pg_dump here, the backup is the
server's job (its own dumps or base backups), and `emr-admin backup` says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from emr import __version__
from emr.config import Settings
from emr.db import Database, current_revision, open_database
from emr.errors import DatabaseUnavailable, ValidationError
from emr.models import Base
from emr.services.maintenance import check_database, table_counts

MANIFEST_SUFFIX = ".manifest.json"
AUTOMATIC_PREFIX = "auto-"
SQLITE_FORMAT = "sqlite"
PG_DUMP_FORMAT = "pg_dump"
NO_PG_DUMP = (
    "pg_dump (the PostgreSQL client tools) is not installed on this computer. Back the "
    "practice's PostgreSQL database up on the server (pg_dump, or the server's own backups), or "
    "install the client tools of the server's PostgreSQL version here and run this again."
)


@dataclass(frozen=True)
class BackupManifest:
    created_at: str
    app_version: str
    schema_revision: str | None
    counts: dict[str, int]
    sha256: str
    encrypted: bool
    format: str = SQLITE_FORMAT  # or PG_DUMP_FORMAT


@dataclass(frozen=True)
class BackupCheck:
    path: Path
    ok: bool
    problems: list[str]
    manifest: BackupManifest | None


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def create_backup(db: Database, out: Path) -> BackupManifest:
    """Snapshot the database while it may be in use, then write and fsync the manifest."""
    out = out.expanduser().resolve()
    if out.exists() or manifest_path(out).exists():
        raise ValidationError(f"{out} exists already; choose a new file name.")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    if not db.is_sqlite:
        return _create_server_backup(db, out, partial)
    db.snapshot_to(partial)
    _fsync(partial)
    copy = db.open_copy(partial)
    try:
        manifest = BackupManifest(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            app_version=__version__,
            schema_revision=current_revision(copy),
            counts=table_counts(copy),
            sha256=_sha256(partial),
            encrypted=db.encrypted,
        )
    finally:
        copy.dispose()
    os.replace(partial, out)
    _write_manifest(out, manifest)
    return manifest


def _write_manifest(out: Path, manifest: BackupManifest) -> None:
    manifest_path(out).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    _fsync(manifest_path(out))


# --- PostgreSQL: pg_dump ----------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ValidationError(NO_PG_DUMP)
    return found


def _libpq_target(db: Database) -> tuple[str, dict[str, str]]:
    """The database as a libpq URI without the password, and the environment carrying it (so
    that it shows in no process list)."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _counts_in(conn: Connection) -> dict[str, int]:
    return {
        t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
        for t in Base.metadata.sorted_tables
    }


def _create_server_backup(db: Database, out: Path, partial: Path) -> BackupManifest:
    pg_dump = _pg_tool("pg_dump")
    uri, env = _libpq_target(db)
    out.parent.mkdir(parents=True, exist_ok=True)
    with db.read_connection() as conn:
        # pg_dump reads the snapshot this transaction exports: the counts and the archive
        # describe the same moment, while the workstations go on writing.
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = _counts_in(conn)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        done = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}"]
            + [f"--file={partial}", f"--dbname={uri}"],
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise DatabaseUnavailable(f"pg_dump failed: {done.stderr.strip()[:500]}")
    _fsync(partial)
    manifest = BackupManifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        app_version=__version__,
        schema_revision=revision,
        counts=counts,
        sha256=_sha256(partial),
        encrypted=False,  # the archive is plain: keep it where the server's data may be
        format=PG_DUMP_FORMAT,
    )
    os.replace(partial, out)
    _write_manifest(out, manifest)
    return manifest


def _verify_server_backup(backup: Path, manifest: BackupManifest) -> list[str]:
    """The archive's checksum, and pg_restore reading its contents: every table's data there."""
    problems: list[str] = []
    if _sha256(backup) != manifest.sha256:
        problems.append("the file's SHA-256 differs from the manifest: it was changed or damaged")
    try:
        pg_restore = _pg_tool("pg_restore")
    except ValidationError:
        return [*problems, "pg_restore is not installed here: the archive was not read"]
    listed = subprocess.run([pg_restore, "--list", str(backup)], capture_output=True, text=True)
    if listed.returncode != 0:
        return [*problems, f"pg_restore cannot read it: {listed.stderr.strip()[:300]}"]
    # "3385; 0 16390 TABLE DATA public patients emr": schema, table, owner.
    with_data = {
        line.split(" TABLE DATA ", 1)[1].split()[1]
        for line in listed.stdout.splitlines()
        if " TABLE DATA " in line and not line.startswith(";")
    }
    missing = sorted(set(manifest.counts) - with_data)
    if missing:
        problems.append(f"the archive has no data for {', '.join(missing)}")
    return problems


def _open_file(settings: Settings, path: Path) -> Database:
    """A backup file opened with the practice's key (EMR_DB_KEY or the keyring), as is."""
    return open_database(replace(settings, database_url=f"sqlite:///{path}"), upgrade=False)


def verify_backup(settings: Settings, backup: Path) -> BackupCheck:
    """Open a backup with the practice's key and check it against its manifest."""
    backup = backup.expanduser().resolve()
    if not backup.is_file():
        return BackupCheck(backup, False, [f"there is no backup file {backup}"], None)
    try:
        data = json.loads(manifest_path(backup).read_text(encoding="utf-8"))
        manifest = BackupManifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        return BackupCheck(backup, False, [f"the manifest is missing or unreadable ({exc})"], None)
    if manifest.format == PG_DUMP_FORMAT:
        problems = _verify_server_backup(backup, manifest)
        return BackupCheck(backup, not problems, problems, manifest)
    problems = []
    if _sha256(backup) != manifest.sha256:
        problems.append("the file's SHA-256 differs from the manifest: it was changed or damaged")
    try:
        copy = _open_file(settings, backup)
    except DatabaseUnavailable as exc:
        return BackupCheck(backup, False, [*problems, str(exc)], manifest)
    try:
        try:
            report = check_database(copy)
        except DBAPIError as exc:
            return BackupCheck(
                backup, False, [*problems, f"the file is damaged ({exc.orig})"], manifest
            )
        if report.integrity != "ok":
            problems.append(f"integrity check failed: {report.integrity}")
        if report.revision != manifest.schema_revision:
            problems.append(
                f"schema revision {report.revision} differs from the manifest's "
                f"{manifest.schema_revision}"
            )
        for table, count in manifest.counts.items():
            if report.counts.get(table) != count:
                problems.append(
                    f"table {table} has {report.counts.get(table)} rows, the manifest {count}"
                )
    finally:
        copy.dispose()
    return BackupCheck(backup, not problems, problems, manifest)


def restore_backup(settings: Settings, backup: Path, *, force: bool = False) -> Path | None:
    """Replace the practice database with a verified backup. The replaced database is kept
    aside in the backup folder; its path is returned (None when there was none).

    Nothing may have the practice database open meanwhile (the app must be closed)."""
    target = settings.database_path
    if target is None:
        raise ValidationError(
            "The practice database is on a PostgreSQL server: its administrator restores a "
            "pg_dump backup into a new, empty database (createdb, then pg_restore --no-owner "
            "-d NEWDB FILE) and points EMR_DATABASE_URL at it."
        )
    check = verify_backup(settings, backup)
    if not check.ok:
        raise ValidationError(f"The backup did not verify: {'; '.join(check.problems)}.")
    if target.exists() and not force:
        raise ValidationError(
            f"A database exists at {target}. Restoring replaces it: give --force to go ahead "
            "(the current database is kept aside)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(check.path, staged)
    _fsync(staged)
    kept: Path | None = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        settings.backup_dir.mkdir(parents=True, exist_ok=True)
        kept = settings.backup_dir / f"replaced-by-restore-{stamp}.db"
        _checkpoint(settings)
        os.replace(target, kept)
        for suffix in ("-wal", "-shm"):
            side = Path(str(target) + suffix)
            if side.exists():
                os.replace(side, Path(str(kept) + suffix))
    os.replace(staged, target)
    return kept


def _checkpoint(settings: Settings) -> None:
    """Fold the write-ahead log into the file so the copy kept aside is complete on its own."""
    try:
        db = open_database(settings, upgrade=False)
    except DatabaseUnavailable:
        return  # not readable with this key: it is kept aside as it is, with its -wal file
    try:
        with db.engine.connect() as conn:
            # Outside any transaction, which a checkpoint cannot run inside.
            conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.dispose()


# --- automatic daily backups ------------------------------------------------------------------


def automatic_backups(folder: Path) -> list[tuple[date, Path]]:
    found = []
    for path in folder.glob(f"{AUTOMATIC_PREFIX}*.db"):
        try:
            found.append((date.fromisoformat(path.stem[len(AUTOMATIC_PREFIX) :][:10]), path))
        except ValueError:
            continue
    return sorted(found)


def backups_to_keep(days: list[date], keep_daily: int, keep_monthly: int) -> set[date]:
    """The newest `keep_daily` days, plus the newest backup of each of the newest
    `keep_monthly` months."""
    newest_first = sorted(set(days), reverse=True)
    keep = set(newest_first[:keep_daily])
    months: dict[tuple[int, int], date] = {}
    for day in newest_first:
        months.setdefault((day.year, day.month), day)
    keep.update(sorted(months.values(), reverse=True)[:keep_monthly])
    return keep


def run_automatic_backup(
    db: Database,
    folder: Path,
    *,
    keep_daily: int = 14,
    keep_monthly: int = 12,
    today: date | None = None,
) -> Path | None:
    """At most one backup a day into `folder`, pruning old ones. Returns the new backup.

    On PostgreSQL only where pg_dump is installed (None otherwise: the server's backups)."""
    if not db.is_sqlite and shutil.which("pg_dump") is None:
        return None
    today = today or datetime.now().date()
    folder.mkdir(parents=True, exist_ok=True)
    existing = automatic_backups(folder)
    made = None
    if not existing or existing[-1][0] < today:
        made = folder / f"{AUTOMATIC_PREFIX}{today.isoformat()}.db"
        create_backup(db, made)
        existing.append((today, made))
    keep = backups_to_keep([d for d, _ in existing], keep_daily, keep_monthly)
    for day, path in existing:
        if day not in keep:
            path.unlink(missing_ok=True)
            manifest_path(path).unlink(missing_ok=True)
    return made
