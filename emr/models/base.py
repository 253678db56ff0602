"""The declarative base every table uses.

`Tracked` gives a table its id, who created and last changed a row and when, and a `version`
that SQLAlchemy checks on every UPDATE so that a stale edit fails instead of overwriting.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones), always returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; EMR times must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Tracked:
    """Mixin for every table of the practice's data (all but the append-only audit trail)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr
    def created_by(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id"), nullable=True)

    @declared_attr
    def updated_by(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id"), nullable=True)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


@event.listens_for(Session, "before_flush")
def _stamp_who_and_when(session: Session, flush_context, instances) -> None:
    """Fill created/updated by and at from the transaction's acting user (Database.write)."""
    user_id = session.info.get("actor_user_id")
    now = utcnow()
    for obj in session.new:
        if isinstance(obj, Tracked):
            obj.created_at = obj.created_at or now
            obj.updated_at = now
            obj.created_by = obj.created_by or user_id
            obj.updated_by = user_id
    for obj in session.dirty:
        if isinstance(obj, Tracked) and session.is_modified(obj, include_collections=False):
            obj.updated_at = now
            obj.updated_by = user_id
