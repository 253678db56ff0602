"""Registering, opening, updating and deactivating patients: rules, duplicates, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emr.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PossibleDuplicate,
    ValidationError,
)
from emr.models import AuditEvent, Patient, PatientNameKey, PatientPhoneKey, User
from emr.mrn import is_valid_mrn
from emr.services.context import Actor
from emr.services.patients import (
    PatientInput,
    deactivate_patient,
    get_patient,
    get_patient_by_mrn,
    register_patient,
    search_patients,
    update_patient,
    validate_patient,
)


def make_actor(db, username: str = "frontdesk", role: str = "front_desk") -> Actor:
    with db.write() as s:
        user = User(username=username, full_name=username.title(), role=role, password_hash="x")
        s.add(user)
        s.flush()
        user_id = user.id
    return Actor(db=db, user_id=user_id, username=username, full_name=username.title(), role=role)


@pytest.fixture
def desk(db) -> Actor:
    return make_actor(db)


def obrien(**changes) -> PatientInput:
    data = PatientInput(
        family_name="O'Brien",
        given_name="Siobhán",
        middle_name="Mary",
        date_of_birth=date(1984, 3, 7),
        sex="F",
        phone_mobile="(555) 010-2345",
        email="siobhan@example.com",
        city="Springfield",
    )
    return replace(data, **changes)


def audit_events(db, action: str | None = None) -> list:
    """The audit trail's rows (plain rows: they outlive the read transaction)."""
    e = AuditEvent
    with db.read() as s:
        stmt = select(
            e.action, e.entity, e.entity_id, e.patient_id, e.user_id, e.username, e.detail
        ).order_by(e.id)
        if action:
            stmt = stmt.where(e.action == action)
        return list(s.execute(stmt).all())


def test_register_returns_the_record_with_a_valid_mrn_and_audits(db, desk):
    record = register_patient(desk, obrien())
    assert is_valid_mrn(record.mrn)
    assert record.version == 1 and record.active
    assert record.display_name == "O'Brien, Siobhán Mary"
    assert record.to_input() == obrien()
    assert record.summary().phone == "(555) 010-2345"
    [event] = audit_events(db, "create")
    assert (event.entity, event.patient_id, event.user_id) == ("patient", record.id, desk.user_id)
    with db.read() as s:
        patient = s.get(Patient, record.id)
        assert patient.created_by == desk.user_id
        assert patient.search_family == "obrien"
        keys = set(
            s.execute(
                select(PatientNameKey.key).where(PatientNameKey.patient_id == record.id)
            ).scalars()
        )
        phones = set(s.execute(select(PatientPhoneKey.reversed_digits)).scalars())
    assert keys == {"o", "brien", "obrien", "siobhan", "mary"}
    assert phones == {"5432010555"}


def test_text_is_trimmed_and_sex_capitalised(db, desk):
    record = register_patient(desk, obrien(family_name="  O'Brien ", sex="f"))
    assert record.family_name == "O'Brien" and record.sex == "F"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"family_name": ""}, "family_name"),
        ({"given_name": "  "}, "given_name"),
        ({"family_name": "--"}, "family_name"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"date_of_birth": date.today() + timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth"),
        ({"sex": ""}, "sex"),
        ({"sex": "X"}, "sex"),
        ({"phone_home": "12345"}, "phone_home"),
        ({"phone_work": "call me"}, "phone_work"),
        ({"emergency_contact_phone": "1234567890123456"}, "emergency_contact_phone"),
        ({"email": "not-an-address"}, "email"),
        ({"city": "x" * 101}, "city"),
    ],
)
def test_each_rule_names_its_field(changes, field):
    with pytest.raises(ValidationError) as err:
        validate_patient(obrien(**changes))
    assert list(err.value.field_errors) == [field]
    assert err.value.field_errors[field]


def test_all_broken_rules_are_reported_together(db, desk):
    with pytest.raises(ValidationError) as err:
        register_patient(desk, PatientInput(family_name="", given_name=""))
    assert set(err.value.field_errors) == {"family_name", "given_name", "date_of_birth", "sex"}
    assert audit_events(db, "create") == []


def test_same_name_and_birth_date_is_a_possible_duplicate(db, desk):
    first = register_patient(desk, obrien())
    # Accents, case and the apostrophe do not make a different person.
    with pytest.raises(PossibleDuplicate) as dup:
        register_patient(desk, obrien(family_name="OBRIEN", given_name="siobhan"))
    assert [m.id for m in dup.value.matches] == [first.id]
    assert first.mrn in str(dup.value)
    second = register_patient(desk, obrien(given_name="Siobhan"), allow_duplicate=True)
    assert second.mrn != first.mrn
    # A different birth date is not a duplicate.
    register_patient(desk, obrien(date_of_birth=date(1984, 3, 8)))


def test_get_and_get_by_mrn_are_audited_views(db, desk):
    record = register_patient(desk, obrien())
    assert get_patient(desk, record.id) == record
    assert get_patient_by_mrn(desk, f" {record.mrn[:6]}-{record.mrn[6]} ") == record
    views = audit_events(db, "view")
    assert [(e.patient_id, e.username) for e in views] == [(record.id, "frontdesk")] * 2


def test_lookup_errors(db, desk):
    with pytest.raises(NotFound):
        get_patient(desk, 999)
    with pytest.raises(ValidationError) as err:
        get_patient_by_mrn(desk, "1234567")  # wrong check digit
    assert "check digit" in str(err.value)
    with pytest.raises(NotFound):
        get_patient_by_mrn(desk, "1234566")


def test_update_saves_changes_bumps_version_and_audits_field_names_only(db, desk):
    record = register_patient(desk, obrien())
    updated = update_patient(
        desk, record.id, record.version, obrien(family_name="Murphy", phone_home="555 777 8888")
    )
    assert updated.version == record.version + 1
    assert updated.family_name == "Murphy"
    assert updated.updated_at >= record.updated_at
    [event] = audit_events(db, "update")
    assert event.detail == "changed: family_name, phone_home"
    assert "Murphy" not in event.detail
    # The search keys follow the new name and phone in the same transaction.
    assert [p.id for p in search_patients(desk, "murphy")] == [record.id]
    assert search_patients(desk, "o'brien") == []
    assert [p.id for p in search_patients(desk, "7778888")] == [record.id]


def test_stale_update_is_refused(db, desk):
    record = register_patient(desk, obrien())
    update_patient(desk, record.id, record.version, obrien(city="Salem"))
    with pytest.raises(ConflictError):
        update_patient(desk, record.id, record.version, obrien(city="Aurora"))
    assert get_patient(desk, record.id).city == "Salem"


def test_deactivation_is_soft_audited_and_needs_a_reason(db, desk):
    record = register_patient(desk, obrien())
    with pytest.raises(ValidationError) as err:
        deactivate_patient(desk, record.id, record.version, "  ")
    assert "reason" in err.value.field_errors
    gone = deactivate_patient(desk, record.id, record.version, "registered twice")
    assert not gone.active and gone.deactivation_reason == "registered twice"
    [event] = audit_events(db, "delete")
    assert event.patient_id == record.id and "registered twice" in event.detail
    assert get_patient(desk, record.id).active is False  # still there, just inactive
    with pytest.raises(ValidationError):
        deactivate_patient(desk, record.id, gone.version, "again")
    # An inactive patient is no longer a duplicate candidate.
    register_patient(desk, obrien())


def test_permissions_are_enforced_by_the_service(db, desk):
    record = register_patient(desk, obrien())
    admin = make_actor(db, "admin", "admin")
    with pytest.raises(PermissionDenied):
        register_patient(admin, obrien(given_name="Aoife"))
    with pytest.raises(PermissionDenied):
        update_patient(admin, record.id, record.version, obrien(city="Salem"))
    with pytest.raises(PermissionDenied):
        deactivate_patient(admin, record.id, record.version, "no")
    assert get_patient(admin, record.id).id == record.id  # administrators may read


def test_age():
    record_input = obrien()
    born = record_input.date_of_birth
    from emr.services.patients import PatientSummary

    summary = PatientSummary(1, "1234566", "A", "B", "", born, "F", "", True, False)
    assert summary.age(on=date(2026, 3, 6)) == 41
    assert summary.age(on=date(2026, 3, 7)) == 42
    assert summary.display_name == "A, B"
