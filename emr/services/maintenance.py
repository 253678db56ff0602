"""Operator checks on the database as a whole."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select, text

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


def check_database(db: Database) -> DatabaseReport:
    with db.read() as s:
        if db.is_sqlite:
            rows = s.execute(text("PRAGMA integrity_check")).scalars().all()
            fk = s.execute(text("PRAGMA foreign_key_check")).all()
            integrity = (
                "ok" if rows == ["ok"] and not fk else "; ".join(rows + [str(r) for r in fk])
            )
        else:
            s.execute(text("SELECT 1"))
            integrity = "ok"
    return DatabaseReport(
        location=db.description,
        encrypted=db.encrypted,
        revision=current_revision(db),
        head=head_revision(),
        integrity=integrity,
        counts=table_counts(db),
    )
