"""The migrated schema and the models agree, and an old database is copied aside on upgrade."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from emr.config import load_settings
from emr.db import current_revision, head_revision, open_database
from emr.models import Base


def test_empty_database_upgrades_to_head_and_matches_models(db):
    assert current_revision(db) == head_revision()
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_unencrypted_database_matches_models_too(emr_home, monkeypatch):
    monkeypatch.delenv("EMR_DB_KEY")
    db = open_database(load_settings(), create=True, encrypted=False)
    try:
        assert not db.encrypted
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, Base.metadata) == []
    finally:
        db.dispose()


def test_upgrade_from_first_revision_keeps_a_copy(emr_home):
    from alembic import command

    from emr.db import _alembic_config

    settings = load_settings()
    db = open_database(settings, create=True, upgrade=False)
    with db.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
    assert current_revision(db) == "0001"
    db.dispose()

    db = open_database(settings)
    try:
        assert current_revision(db) == head_revision()
        assert head_revision() != "0001"
        assert len(list(settings.backup_dir.glob("before-upgrade-0001-*.db"))) == 1
    finally:
        db.dispose()


def test_upgrade_keeps_rows_of_tables_that_gain_columns(emr_home):
    """Columns added to tables with data (0007: practice profile, immunizations, observations)
    get their defaults; nothing is lost."""
    from alembic import command
    from sqlalchemy import text

    from emr.db import _alembic_config

    settings = load_settings()
    db = open_database(settings, create=True, upgrade=False)
    with db.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0006")
        conn.execute(
            text(
                "INSERT INTO practice_profile (id, name, address_line1, address_line2, city, "
                "state, postal_code, phone, fax, npi, slot_minutes, created_at, updated_at, "
                "version) VALUES (1, 'Maple', '', '', '', '', '', '', '', '', 15, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
            )
        )
    db.dispose()

    db = open_database(settings)
    try:
        with db.engine.connect() as conn:
            row = conn.execute(
                text("SELECT name, hl7_application, hl7_facility FROM practice_profile")
            ).one()
        assert tuple(row) == ("Maple", "SMALLPRACTICE-EMR", "")
    finally:
        db.dispose()
