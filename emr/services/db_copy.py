"""Moving a practice from its SQLite file to a PostgreSQL server (`emr-admin db migrate-to`).

The target must be empty. It is brought to the newest schema first, then every table is copied
in dependency order (a table after the tables it refers to), keeping every id, in ONE
transaction: a failure leaves the target as empty as it was. The id sequences are then set past
the copied ids, and the copy is verified from the target as stored: the row count and a SHA-256
over the rows in key order of every table against the source's, and the audit chain.

The source is read in one snapshot, so a workstation still writing cannot make the copy
inconsistent; but what it writes after the snapshot is not copied: close the app everywhere
first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Connection, Table, bindparam, func, inspect, select, update
from sqlalchemy.orm import Session

from emr.db import (
    Database,
    current_revision,
    head_revision,
    set_sequences_past_ids,
    upgrade_to_head,
)
from emr.errors import ValidationError
from emr.models import Base
from emr.security.audit import verify_chain

BATCH_ROWS = 500

Progress = Callable[[str, int], None]  # (table, rows copied so far)


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_sha256) == (self.target_rows, self.target_sha256)


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    revision: str | None
    tables: list[TableCheck]
    audit_events_checked: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows(self) -> int:
        return sum(t.target_rows for t in self.tables)


def tables_in_order() -> list[Table]:
    """Every table, each after the tables its foreign keys refer to."""
    return list(Base.metadata.sorted_tables)


# --- checksums ---------------------------------------------------------------------------------


def _canonical(value: object) -> str:
    """One value as text that is the same whichever database it was read from."""
    if value is None:
        return "N"
    if isinstance(value, bool):
        return "b1" if value else "b0"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return f"f{value!r}"
    if isinstance(value, Decimal):
        return f"n{value.normalize()}"
    if isinstance(value, bytes | bytearray | memoryview):
        return "x" + bytes(value).hex()
    if isinstance(value, datetime):
        return "t" + value.isoformat()
    if isinstance(value, date):
        return "d" + value.isoformat()
    if isinstance(value, time):
        return "T" + value.isoformat()
    if isinstance(value, str):
        return "s" + value
    return "r" + repr(value)


class _TableDigest:
    def __init__(self) -> None:
        self.rows = 0
        self._sha = hashlib.sha256()

    def add(self, row: Iterable[object]) -> None:
        # Length-prefixed, so that no choice of values makes two different rows hash alike.
        self._sha.update("".join(f"{len(c)}:{c}" for c in map(_canonical, row)).encode())
        self._sha.update(b"\n")
        self.rows += 1

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def _rows_in_key_order(conn: Connection, table: Table) -> Iterator[list]:
    """Batches of a table's rows (all columns, in the table's column order) by primary key."""
    result = conn.execution_options(yield_per=BATCH_ROWS).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for batch in result.partitions():
        yield [tuple(row) for row in batch]


def table_digest(conn: Connection, table: Table) -> tuple[int, str]:
    """(rows, SHA-256 over the rows in key order) of one table."""
    digest = _TableDigest()
    for batch in _rows_in_key_order(conn, table):
        for row in batch:
            digest.add(row)
    return digest.rows, digest.hexdigest()


# --- the copy ----------------------------------------------------------------------------------


def rows_present(db: Database) -> dict[str, int]:
    """The practice tables of `db` that hold rows, with their counts (tables not made yet are
    left out)."""
    existing = set(inspect(db.engine).get_table_names())
    found: dict[str, int] = {}
    with db.engine.connect() as conn:
        for table in tables_in_order():
            if table.name in existing:
                count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                if count:
                    found[table.name] = count
    return found


def _refuse_unless_empty(target: Database) -> None:
    present = rows_present(target)
    if present:
        total = sum(present.values())
        listed = ", ".join(f"{name} ({count})" for name, count in list(present.items())[:3])
        raise ValidationError(
            f"The target database is not empty: {total} rows in {len(present)} tables "
            f"({listed}{', …' if len(present) > 3 else ''}). migrate-to copies into an empty "
            "database only; nothing was copied. Create a new database for the practice."
        )


def _self_references(table: Table) -> list[str]:
    """Columns referring to the same table (users.updated_by …): filled in after the rows exist,
    since a row may name one with a higher id."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _copy_table(
    source: Connection, target: Connection, table: Table, progress: Progress | None
) -> tuple[int, str]:
    columns = [c.name for c in table.columns]
    later = _self_references(table)
    key = [c.name for c in table.primary_key.columns]
    digest = _TableDigest()
    fill_in: list[dict] = []
    for batch in _rows_in_key_order(source, table):
        rows = []
        for values in batch:
            digest.add(values)
            row = dict(zip(columns, values, strict=True))
            if later and any(row[c] is not None for c in later):
                fill_in.append({f"k_{k}": row[k] for k in key} | {f"v_{c}": row[c] for c in later})
                row.update(dict.fromkeys(later, None))
            rows.append(row)
        target.execute(table.insert(), rows)
        if progress is not None:
            progress(table.name, digest.rows)
    if fill_in:
        target.execute(
            update(table)
            .where(*(table.c[k] == bindparam(f"k_{k}") for k in key))
            .values({c: bindparam(f"v_{c}") for c in later}),
            fill_in,
        )
    return digest.rows, digest.hexdigest()


def copy_database(
    source: Database, target: Database, progress: Progress | None = None
) -> CopyReport:
    """Copy every row of `source` into the empty `target`, then verify the copy."""
    if not source.is_sqlite:
        raise ValidationError(
            "The practice database is on a server already; migrate-to copies a SQLite file."
        )
    if target.is_sqlite:
        raise ValidationError("Give a PostgreSQL database to copy into (postgresql+psycopg://…).")
    _refuse_unless_empty(target)
    upgrade_to_head(target)
    _refuse_unless_empty(target)
    revision = current_revision(source)
    if revision != head_revision():
        raise ValidationError(
            f"The practice database is at schema {revision}, not the newest "
            f"({head_revision()}): open it once with this version of the app first."
        )
    copied: dict[str, tuple[int, str]] = {}
    with source.engine.connect() as reading, target.engine.begin() as writing:
        # One read transaction on the source: every table from the same snapshot.
        with reading.begin():
            for table in tables_in_order():
                copied[table.name] = _copy_table(reading, writing, table, progress)
        set_sequences_past_ids(writing)
    return verify_copy(source, target, copied, revision)


def verify_copy(
    source: Database,
    target: Database,
    copied: dict[str, tuple[int, str]],
    revision: str | None,
) -> CopyReport:
    """Read the target back: counts and checksums against what was copied; the audit chain."""
    checks: list[TableCheck] = []
    problems: list[str] = []
    with target.engine.connect() as conn:
        for table in tables_in_order():
            rows, sha = table_digest(conn, table)
            source_rows, source_sha = copied[table.name]
            check = TableCheck(table.name, source_rows, rows, source_sha, sha)
            checks.append(check)
            if rows != source_rows:
                problems.append(f"table {table.name}: {rows} rows copied of {source_rows}")
            elif sha != source_sha:
                problems.append(f"table {table.name}: the copied rows differ from the source's")
    target_revision = current_revision(target)
    if target_revision != revision:
        problems.append(f"the target is at schema {target_revision}, the source at {revision}")
    with Session(target.engine) as s:
        chain = verify_chain(s)
    if not chain.ok:
        problems.append(f"the audit trail does not verify on the target: {chain.problem}")
    return CopyReport(
        source=source.description,
        target=target.description,
        revision=revision,
        tables=checks,
        audit_events_checked=chain.events_checked,
        problems=problems,
    )


def record_migration(target: Database, operator_name: str, source: str) -> None:
    """The move itself, in the target's audit trail (after the verified copy's last event)."""
    from emr.security import audit

    with target.write() as s:
        audit.record(
            s,
            user_id=None,
            username=operator_name,
            action="migrate",
            entity="database",
            detail=f"copied from {source}"[:500],
        )
