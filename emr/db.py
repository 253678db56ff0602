"""The database: engine, transactions, encryption key, upgrade to the newest schema.

SQLite (encrypted with SQLCipher unless created with --unencrypted) is the default; a
PostgreSQL URL (postgresql+psycopg://user:password@host/dbname) serves several workstations.
Services never build sessions themselves: they use `Database.write()` or `Database.read()`, one
transaction per use case.

Both databases give the same guarantees. Writers run one at a time (SQLite: BEGIN IMMEDIATE;
PostgreSQL: a transaction-level advisory lock taken first thing), so a check followed by an insert
("is this slot free?") is never raced by another workstation; a stale edit still fails through
the `version` column. Readers see one consistent snapshot (SQLite: WAL; PostgreSQL: a read-only
REPEATABLE READ transaction) and never block or wait for a writer.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from emr.config import Settings
from emr.errors import ConflictError, DatabaseUnavailable

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
_READ_ONLY = "emr_read_only"
# The key of the PostgreSQL advisory lock every write transaction takes ("EMR" + 1).
WRITER_LOCK_KEY = 0x454D5201
# SQLSTATEs of a PostgreSQL transaction the server gave up on: serialization failure, deadlock,
# lock timeout. The work was rolled back whole; trying again is safe.
_TRY_AGAIN_STATES = {"40001", "40P01", "55P03"}


def sqlite_file_is_plain(path: Path) -> bool:
    """A plain SQLite file starts with its magic header; an SQLCipher file is random bytes."""
    with path.open("rb") as f:
        return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER


class Database:
    """One open database. Thread-safe: each transaction takes its own pooled connection."""

    def __init__(
        self, settings: Settings, engine: Engine, *, encrypted: bool, key_hex: str | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.encrypted = encrypted
        self._key_hex = key_hex
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=True)
        reader_options: dict = {_READ_ONLY: True}
        if engine.dialect.name == "postgresql":
            reader_options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        self._reader = engine.execution_options(**reader_options)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def description(self) -> str:
        if self.is_sqlite:
            return str(self.settings.database_path)
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self, actor_user_id: int | None = None) -> Iterator[Session]:
        """One read-write transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        session.info["actor_user_id"] = actor_user_id
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise ConflictError(
                "Someone else changed this record while you were editing it. "
                "Nothing was saved: reload it and make your change again."
            ) from exc
        except OperationalError as exc:
            session.rollback()
            raise _unavailable(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A consistent read-only snapshot; never writes."""
        session = Session(self._reader)
        try:
            yield session
        except OperationalError as exc:
            raise _unavailable(exc) from exc
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection in one read-only snapshot (as `read()`), for whole-table work."""
        with self._reader.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    def dispose(self) -> None:
        self.engine.dispose()

    def open_copy(self, path: Path) -> Database:
        """Another SQLite file of this practice (a backup), opened with the same key, as is."""
        from dataclasses import replace

        settings = replace(self.settings, database_url=f"sqlite:///{path}")
        return open_database(
            settings, encrypted=self.encrypted, key_hex=self._key_hex, upgrade=False
        )

    def snapshot_to(self, target: Path) -> None:
        """A consistent copy of the whole database into a new file, encrypted like the source.

        Safe while other connections write: SQLite's online backup / sqlcipher_export read one
        snapshot inside a transaction.
        """
        if not self.is_sqlite:
            raise DatabaseUnavailable(
                "File snapshots are for SQLite databases; a PostgreSQL database is backed up "
                "with pg_dump ('emr-admin backup') or by the server's own backups."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise DatabaseUnavailable(f"{target} exists already; choose a new file name.")
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            if self.encrypted:
                key = self._key_hex
                raw.execute(f"ATTACH DATABASE ? AS snapshot KEY \"x'{key}'\"", (str(target),))
                try:
                    # One transaction: the export reads a single consistent snapshot of main.
                    raw.execute("BEGIN")
                    raw.execute("SELECT sqlcipher_export('snapshot')")
                    raw.execute("COMMIT")
                finally:
                    if raw.in_transaction:
                        raw.execute("ROLLBACK")
                    raw.execute("DETACH DATABASE snapshot")
            else:
                dest = sqlite3.connect(str(target))
                try:
                    raw.backup(dest)
                finally:
                    dest.close()


def _unavailable(exc: DBAPIError) -> DatabaseUnavailable:
    message = str(exc.orig) if exc.orig is not None else str(exc)
    state = getattr(exc.orig, "sqlstate", None)
    if "locked" in message or "busy" in message or state in _TRY_AGAIN_STATES:
        return DatabaseUnavailable(
            "The database is busy with another workstation's change. Try again in a moment."
        )
    return DatabaseUnavailable(f"The database could not be used: {message}")


def _sqlite_engine(path: Path, key_hex: str | None) -> Engine:
    if key_hex is not None:
        import sqlcipher3.dbapi2 as driver
    else:
        driver = sqlite3

    def connect():
        conn = driver.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        # The key must be the first statement on an SQLCipher connection. A raw key skips the
        # passphrase derivation, so opening is fast.
        if key_hex is not None:
            conn.execute("PRAGMA cipher_log_level = NONE")  # errors reach us as exceptions
            conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
        conn.isolation_level = None  # we issue BEGIN ourselves (see _begin below)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except driver.DatabaseError as exc:
            conn.close()
            if key_hex is not None:
                raise DatabaseUnavailable(
                    f"{path} could not be opened with this key: the key is wrong, or the file "
                    "is not an EMR database."
                ) from exc
            raise DatabaseUnavailable(f"{path} is not a readable SQLite database.") from exc
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    # `module` tells SQLAlchemy which driver raises the errors, so they are wrapped as its own.
    engine = create_engine("sqlite://", creator=connect, module=driver)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # Writers take the write lock up front so that two workstations never deadlock on a
        # lock upgrade; readers take a plain snapshot and never block a writer (WAL).
        if conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _server_engine(url: str) -> Engine:
    """PostgreSQL (or another server): a small pool per workstation, connections checked before
    use (a server restart or a dropped network link costs one retry, not an error)."""
    from sqlalchemy.engine import make_url

    options: dict = {"pool_pre_ping": True}
    if make_url(url).get_backend_name() != "postgresql":
        return create_engine(url, **options)
    engine = create_engine(
        url,
        **options,
        pool_size=5,
        max_overflow=5,
        pool_recycle=1800,
        pool_timeout=BUSY_TIMEOUT_MS / 1000,
        connect_args={
            "application_name": "emr",
            "connect_timeout": 10,
            # Wait for a lock as long as SQLite waits for a busy file, then say so.
            "options": f"-c lock_timeout={BUSY_TIMEOUT_MS} -c timezone=UTC",
        },
    )

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # One writer at a time, as SQLite's BEGIN IMMEDIATE: released at commit or rollback.
        if not conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")

    return engine


def open_database(
    settings: Settings,
    *,
    create: bool = False,
    encrypted: bool | None = None,
    key_hex: str | None = None,
    upgrade: bool = True,
) -> Database:
    """Open the configured database and bring its schema to the newest revision.

    For SQLite, `encrypted=None` means: as the file is (a new file is encrypted). The key comes
    from `key_hex`, else EMR_DB_KEY, else the OS keyring.
    """
    if settings.is_sqlite:
        path = settings.database_path
        assert path is not None
        if not path.exists() and not create:
            raise DatabaseUnavailable(
                f"There is no database at {path}. Create one with 'emr-admin init'."
            )
        if encrypted is None:
            encrypted = not (path.exists() and sqlite_file_is_plain(path))
        if encrypted and key_hex is None:
            from emr.security.keys import load_key

            key_hex = load_key(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = _sqlite_engine(path, key_hex if encrypted else None)
    else:
        engine = _server_engine(settings.database_url)
        encrypted = True  # the server's concern: TLS and disk encryption on the server
    db = Database(
        settings, engine, encrypted=bool(encrypted), key_hex=key_hex if encrypted else None
    )
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailable(f"The database could not be opened: {exc.orig}") from exc
    except DatabaseUnavailable:
        engine.dispose()
        raise
    if upgrade:
        upgrade_to_head(db)
    return db


# --- schema revisions ---------------------------------------------------------------------


def _alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision ("a,b" while parallel branches are still unmerged)."""
    from alembic.script import ScriptDirectory

    return ",".join(sorted(ScriptDirectory.from_config(_alembic_config()).get_heads()))


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def upgrade_to_head(db: Database) -> Path | None:
    """Upgrade the schema; copy the database aside first when an existing schema changes.

    Returns the path of the copy made before the upgrade, if any.
    """
    from alembic import command

    current = current_revision(db)
    head = head_revision()
    if current == head:
        return None
    backup: Path | None = None
    if current is not None and db.is_sqlite:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = db.settings.backup_dir / f"before-upgrade-{current.replace(',', '+')}-{stamp}.db"
        db.snapshot_to(backup)
        log.info("Copied the database to %s before upgrading from %s", backup, current)
    with db.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "heads")
    log.info("Database schema upgraded from %s to %s", current, head)
    return backup


def set_sequences_past_ids(conn: Connection) -> int:
    """PostgreSQL: move each table's id sequence past its highest id, after rows were written
    with explicit ids (the demo's bulk inserts, `db migrate-to`); never moves one back. Nothing
    to do on SQLite, whose next id is always past the highest. Returns how many were moved."""
    if conn.dialect.name != "postgresql":
        return 0
    from sqlalchemy import func, select

    from emr.models import Base

    moved = 0
    for table in Base.metadata.sorted_tables:
        if [c.name for c in table.primary_key.columns] != ["id"]:
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar()
        highest = conn.execute(select(func.max(table.c.id))).scalar()
        if sequence is None or highest is None:
            continue
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        if (last + 1 if called else last) <= highest:
            conn.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})
            moved += 1
    return moved


def table_names(db: Database) -> list[str]:
    return sorted(inspect(db.engine).get_table_names())
