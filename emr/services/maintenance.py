"""Operator checks on the database as a whole."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from emr.db import Database, current_revision, head_revision
from emr.models import Base


@dataclass(frozen=True)
class DatabaseReport:
    location: str
    encrypted: bool
    revision: str | None
    head: str
    integrity: str
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.revision == self.head

    def as_dict(self) -> dict:
        return asdict(self) | {"ok": self.ok}


def table_counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


# One-row tables whose row is always written with id 1: their sequences are never used.
_FIXED_IDS = {"audit_chain_head", "practice_profile"}


def _sequence_problems(s: Session) -> list[str]:
    """PostgreSQL: a table whose id sequence would hand out an id already taken (rows copied
    in with their ids, the sequence not set past them) fails its next insert."""
    if s.get_bind().dialect.name != "postgresql":
        return []
    problems = []
    for table in Base.metadata.sorted_tables:
        if table.name in _FIXED_IDS or [c.name for c in table.primary_key.columns] != ["id"]:
            continue
        sequence = s.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar()
        if sequence is None:
            continue
        last, called = s.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        next_id = last + 1 if called else last
        highest = s.execute(select(func.max(table.c.id))).scalar()
        if highest is not None and next_id <= highest:
            problems.append(
                f"the id sequence of {table.name} is at {next_id}, behind its rows (up to "
                f"{highest}): set it with setval"
            )
    return problems


def check_database(db: Database) -> DatabaseReport:
    with db.read() as s:
        if db.is_sqlite:
            rows = s.execute(text("PRAGMA integrity_check")).scalars().all()
            fk = s.execute(text("PRAGMA foreign_key_check")).all()
            integrity = (
                "ok" if rows == ["ok"] and not fk else "; ".join(rows + [str(r) for r in fk])
            )
        else:
            problems = _sequence_problems(s)
            integrity = "ok" if not problems else "; ".join(problems)
    return DatabaseReport(
        location=db.description,
        encrypted=db.encrypted,
        revision=current_revision(db),
        head=head_revision(),
        integrity=integrity,
        counts=table_counts(db),
    )
