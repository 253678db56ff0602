"""Tampering behind the app's back is caught: edits, inserts, deletions, a cut-off end."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from emr.security import audit
from emr.security.audit import verify_chain


@pytest.fixture
def trail(db, operator):
    with operator.write() as s:
        for i in range(6):
            audit.record(
                s,
                user_id=None,
                username="operator",
                action="view",
                entity="patient",
                entity_id=i,
                detail=f"event {i} | ^~\\& ünïcødé",
            )
    return db


def _verify(db):
    with db.read() as s:
        return verify_chain(s, batch=4)


def test_intact_trail_verifies(trail):
    report = _verify(trail)
    assert report.ok and report.events_checked == 6


def test_an_edited_event_is_caught(trail):
    with trail.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET detail = 'nothing to see' WHERE id = 3"))
    report = _verify(trail)
    assert not report.ok and report.event_id == 3 and "altered" in report.problem


def test_a_deleted_event_is_caught(trail):
    with trail.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 2"))
    report = _verify(trail)
    assert report.event_id == 3 and "removed or inserted" in report.problem


def test_an_inserted_event_is_caught(trail):
    with trail.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (id, occurred_at, username, action, entity, detail, "
                "emergency, prev_hash, hash) SELECT 100, occurred_at, 'x', 'view', 'patient', '', "
                "FALSE, hash, hash FROM audit_events WHERE id = 6"
            )
        )
    report = _verify(trail)
    assert not report.ok and report.event_id in (100, 6)


def test_events_cut_from_the_end_are_caught(trail):
    with trail.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id >= 5"))
    report = _verify(trail)
    assert not report.ok and "removed from the end" in report.problem


def test_a_rolled_back_change_leaves_no_event(trail, operator):
    with pytest.raises(RuntimeError), operator.write() as s:
        audit.record(s, user_id=None, username="operator", action="view", entity="patient")
        raise RuntimeError("the work failed")
    report = _verify(trail)
    assert report.ok and report.events_checked == 6
