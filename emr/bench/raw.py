"""Raw-SQL floors: the same statements an operation needs, run on the bare database driver.

A patient read is audited in its own transaction, so the floor of an audited operation includes
writing the audit event and committing; the difference to the operation is what the ORM, the
service and the records cost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.sql import ClauseElement

from emr.db import Database
from emr.models.base import utcnow
from emr.security.audit import event_hash


class RawConnection:
    """One pooled driver connection with explicit transactions (BEGIN IMMEDIATE on SQLite,
    as the application's write transactions take)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.connection = db.engine.raw_connection()
        self.sqlite = db.is_sqlite

    def close(self) -> None:
        self.connection.close()

    def compile(self, stmt: ClauseElement) -> tuple[str, list[Any]]:
        """SQL text and positional parameters for a Core statement, as the driver takes them."""
        compiled = stmt.compile(
            dialect=self.db.engine.dialect, compile_kwargs={"render_postcompile": True}
        )
        params = [_driver_value(compiled.params[name]) for name in compiled.positiontup or []]
        return compiled.string, params

    def begin_write(self):
        cur = self.connection.cursor()
        cur.execute("BEGIN IMMEDIATE" if self.sqlite else "BEGIN")
        return cur

    def begin_read(self):
        cur = self.connection.cursor()
        cur.execute("BEGIN")
        return cur

    def commit(self) -> None:
        self.connection.cursor().execute("COMMIT")

    def audit(
        self,
        cur,
        *,
        action: str,
        entity: str,
        entity_id: int | None,
        patient_id: int | None,
        detail: str,
        username: str = "bench-floor",
    ) -> None:
        """Append an audit event with a correct chain hash, as emr.security.audit does."""
        cur.execute("SELECT last_hash FROM audit_chain_head WHERE id = 1")
        prev_hash = cur.fetchone()[0]
        occurred_at = utcnow()
        cur.execute(
            "INSERT INTO audit_events (occurred_at, user_id, username, action, entity, "
            "entity_id, patient_id, detail, emergency, prev_hash, hash) "
            "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, 0, ?, '')",
            (
                db_datetime(occurred_at),
                username,
                action,
                entity,
                entity_id,
                patient_id,
                detail,
                prev_hash,
            ),
        )
        event_id = cur.lastrowid
        digest = event_hash(
            event_id=event_id,
            occurred_at=occurred_at,
            user_id=None,
            username=username,
            action=action,
            entity=entity,
            entity_id=entity_id,
            patient_id=patient_id,
            detail=detail,
            emergency=False,
            prev_hash=prev_hash,
        )
        cur.execute("UPDATE audit_events SET hash = ? WHERE id = ?", (digest, event_id))
        cur.execute(
            "UPDATE audit_chain_head SET last_event_id = ?, last_hash = ?, "
            "event_count = event_count + 1 WHERE id = 1",
            (event_id, digest),
        )


def db_datetime(value: datetime) -> str:
    """A datetime as the database keeps it (emr.models.base.UTCDateTime on SQLite): naive UTC
    with microseconds, so that raw comparisons order it like the stored text."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="microseconds")


def _driver_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return db_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
