"""Two workstations edit the same patient: the second save is refused, nothing is lost."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from emr.errors import ConflictError
from emr.models import Patient, User
from emr.services.context import Actor
from emr.services.patients import (
    PatientInput,
    deactivate_patient,
    get_patient,
    register_patient,
    search_patients,
    update_patient,
)


def user(db, username: str) -> Actor:
    with db.write() as s:
        row = User(username=username, full_name=username, role="front_desk", password_hash="x")
        s.add(row)
        s.flush()
        user_id = row.id
    return Actor(db=db, user_id=user_id, username=username, full_name=username, role="front_desk")


@pytest.fixture
def patient(db):
    desk = user(db, "registrar")
    return register_patient(
        desk,
        PatientInput(
            family_name="Haddad",
            given_name="Layla",
            date_of_birth=date(1991, 4, 2),
            sex="F",
            phone_mobile="555 010 1234",
            city="Springfield",
        ),
    )


def test_second_of_two_concurrent_edits_gets_a_conflict_and_the_first_is_intact(db, patient):
    anna, ben = user(db, "anna"), user(db, "ben")
    # Both open the same registration.
    seen_by_anna = get_patient(anna, patient.id)
    seen_by_ben = get_patient(ben, patient.id)
    assert seen_by_anna.version == seen_by_ben.version

    anna_edit = replace(seen_by_anna.to_input(), city="Salem")
    ben_edit = replace(seen_by_ben.to_input(), phone_mobile="555 999 0000")
    saved = update_patient(anna, patient.id, seen_by_anna.version, anna_edit)

    with pytest.raises(ConflictError) as conflict:
        update_patient(ben, patient.id, seen_by_ben.version, ben_edit)
    assert "Nothing was saved" in str(conflict.value)

    now = get_patient(anna, patient.id)
    assert now == saved
    assert now.city == "Salem" and now.phone_mobile == "555 010 1234"
    assert [p.id for p in search_patients(anna, "0101234")] == [patient.id]
    assert search_patients(anna, "9990000") == []

    # Ben reloads and makes his change again: both edits are now in.
    fresh = get_patient(ben, patient.id)
    final = update_patient(
        ben,
        patient.id,
        fresh.version,
        replace(fresh.to_input(), **{"phone_mobile": "555 999 0000"}),
    )
    assert (final.city, final.phone_mobile) == ("Salem", "555 999 0000")


def test_stale_deactivation_is_refused(db, patient):
    anna = user(db, "anna")
    update_patient(anna, patient.id, patient.version, replace(patient.to_input(), city="Salem"))
    with pytest.raises(ConflictError):
        deactivate_patient(anna, patient.id, patient.version, "moved away")
    assert get_patient(anna, patient.id).active


def test_simultaneous_saves_from_two_threads_one_wins(db, patient):
    actors = [user(db, "anna"), user(db, "ben")]
    cities = ["Salem", "Aurora"]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(actor: Actor, city: str) -> None:
        barrier.wait()
        try:
            update_patient(
                actor, patient.id, patient.version, replace(patient.to_input(), city=city)
            )
            outcomes[city] = "saved"
        except ConflictError:
            outcomes[city] = "conflict"

    threads = [
        threading.Thread(target=save, args=pair) for pair in zip(actors, cities, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(city for city, outcome in outcomes.items() if outcome == "saved")
    record = get_patient(actors[0], patient.id)
    assert record.city == winner and record.version == patient.version + 1


def test_the_version_column_refuses_a_stale_orm_write_too(db, patient):
    # Below the service: two sessions hold the same row; the later write matches no row.
    with db.read() as s:
        stale = s.execute(select(Patient).where(Patient.id == patient.id)).scalar_one()
        s.expunge(stale)
    with db.write() as s:
        s.get(Patient, patient.id).city = "Salem"
    with pytest.raises(ConflictError), db.write() as s:
        merged = s.merge(stale, load=False)
        merged.city = "Aurora"
    with db.read() as s:
        assert s.get(Patient, patient.id).city == "Salem"
