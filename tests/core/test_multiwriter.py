"""Several workstations writing at once: two front desks booking the same slots, two physicians
recording vitals, saving drafts and editing the same patient, while a third process watches the
outbox. PostgreSQL only (each process is a workstation with its own connections).

Also here: the change markers a workstation polls to see another's changes (both databases).
"""

from __future__ import annotations

import multiprocessing
import random
import time as clock
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from emr.config import load_settings
from emr.db import Database, open_database
from emr.errors import BookingNeedsOverride, ConflictError
from emr.localtime import now_local
from emr.models import Patient
from emr.models.chart import Note
from emr.models.observations import Observation
from emr.models.outbox import OutboxMessage
from emr.models.scheduling import Appointment
from emr.schedule_rules import Stretch
from emr.security.audit import verify_chain
from emr.services.changes import change_marker
from emr.services.destinations import DestinationInput, create_destination
from emr.services.encounters import save_draft, start_encounter
from emr.services.patients import PatientInput, get_patient, register_patient, update_patient
from emr.services.schedule_setup import list_providers, save_appointment_type, set_working_hours
from emr.services.scheduling import AppointmentInput, book_appointment, day_schedule
from emr.services.vitals import record_vitals
from tests.conftest import log_in

MONDAY = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 + 7)
HOURS = [Stretch(d, time(8), time(12)) for d in range(5)] + [
    Stretch(d, time(13), time(17)) for d in range(5)
]
DAYS = 3
PHYSICIAN_ROUNDS = 12


# --- what each workstation does (in its own process) ------------------------------------------


def _open(url: str, home: str) -> Database:
    settings = replace(load_settings({"EMR_HOME": home}), database_url=url)
    return open_database(settings, upgrade=False)


def desk_workstation(url, home, username, slots, type_id, patient_ids, seed, results) -> None:
    """Book the practice's free slots in an order of its own until none is left."""
    db = _open(url, home)
    try:
        actor = log_in(db, username)
        pick = random.Random(seed)
        order = list(slots)
        pick.shuffle(order)
        booked: list[tuple[int, int, str]] = []
        refused = 0
        for provider_id, starts in order:
            data = AppointmentInput(
                patient_id=pick.choice(patient_ids),
                provider_id=provider_id,
                type_id=type_id,
                starts=starts,
                minutes=15,
            )
            try:
                a = book_appointment(actor, data)
            except BookingNeedsOverride:
                refused += 1  # the other desk was quicker: the slot is taken
                continue
            booked.append((a.id, provider_id, starts.isoformat()))
        results.put(("desk", username, {"booked": booked, "refused": refused}))
    except BaseException as exc:
        results.put(("error", username, repr(exc)))
        raise
    finally:
        db.dispose()


def exam_room_workstation(
    url, home, username, patient_ids, shared_id, note_id, barrier, results
) -> None:
    """Vitals, a draft saved again and again, and an edit of the patient the colleague edits
    at the same moment."""
    db = _open(url, home)
    try:
        actor = log_in(db, username)
        vitals_entries: list[int] = []
        vitals_rows = 0
        draft_saves, version = 0, None
        updated, conflicts, messages = 0, 0, set()
        for i in range(PHYSICIAN_ROUNDS):
            patient_id = patient_ids[i % len(patient_ids)]
            rows = record_vitals(
                actor,
                patient_id,
                now_local() - timedelta(minutes=5),
                {"heart_rate": (60 + i, "/min"), "temperature": (37.0, "Cel")},
            )
            vitals_entries.append(rows[0].id)
            vitals_rows += len(rows)

            if version is None:
                version = _note_version(db, note_id)
            note = save_draft(actor, note_id, version, f"{username} round {i}", "", "", "")
            version = note.version
            draft_saves += 1

            seen = get_patient(actor, shared_id)
            barrier.wait(timeout=60)  # both have read the same version; now both save
            try:
                update_patient(
                    actor, shared_id, seen.version, replace(seen.to_input(), city=f"{username} {i}")
                )
                updated += 1
            except ConflictError as exc:
                conflicts += 1
                messages.add(str(exc))
            barrier.wait(timeout=60)
        results.put(
            (
                "physician",
                username,
                {
                    "vitals_entries": vitals_entries,
                    "vitals_rows": vitals_rows,
                    "draft_saves": draft_saves,
                    "note_version": version,
                    "updated": updated,
                    "conflicts": conflicts,
                    "messages": sorted(messages),
                },
            )
        )
    except BaseException as exc:
        results.put(("error", username, repr(exc)))
        raise
    finally:
        db.dispose()


def _note_version(db: Database, note_id: int) -> int:
    with db.read() as s:
        return s.execute(select(Note.version).where(Note.id == note_id)).scalar_one()


def outbox_watcher(url, home, stop, results) -> None:
    """What a sender would see: the queued message ids per destination, snapshot by snapshot."""
    db = _open(url, home)
    try:
        snapshots: list[dict[int, list[int]]] = []
        while not stop.is_set():
            with db.read() as s:
                seen: dict[int, list[int]] = {}
                for message_id, destination_id in s.execute(
                    select(OutboxMessage.id, OutboxMessage.destination_id).order_by(
                        OutboxMessage.id
                    )
                ):
                    seen.setdefault(destination_id, []).append(message_id)
            snapshots.append(seen)
            clock.sleep(0.02)
        results.put(("watcher", "outbox", {"snapshots": snapshots}))
    except BaseException as exc:
        results.put(("error", "watcher", repr(exc)))
        raise
    finally:
        db.dispose()


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture
def practice(db, operator, tmp_path, front_desk_user, nurse, physician, second_physician):
    providers = list_providers(operator)
    for p in providers:
        set_working_hours(operator, p.id, HOURS)
    kind = save_appointment_type(operator, name="Visit", default_minutes=15, colour="#4A90D9")
    patients = [
        register_patient(
            operator,
            PatientInput(
                family_name=f"Worker{i}",
                given_name="Pat",
                date_of_birth=date(1960 + i, 1, 2),
                sex="F" if i % 2 else "M",
            ),
        )
        for i in range(5)
    ]
    create_destination(
        operator,
        DestinationInput(
            name="Lab engine",
            kind="folder",
            folder=str(tmp_path / "hl7-out"),
            message_types=("ORU^R01", "ADT^A08"),
        ),
    )
    return providers, kind, patients


def _slots(providers) -> list[tuple[int, datetime]]:
    found = []
    for day in range(DAYS):
        for stretch in HOURS:
            if stretch.weekday != day:
                continue
            t = datetime.combine(MONDAY + timedelta(days=day), stretch.starts)
            end = datetime.combine(t.date(), stretch.ends)
            while t < end:
                found.extend((p.id, t) for p in providers)
                t += timedelta(minutes=15)
    return found


@pytest.mark.postgres
@pytest.mark.slow
def test_workstations_writing_at_once_lose_nothing(db, practice, physician, settings, emr_home):
    providers, kind, patients = practice
    doc_id = physician.user_id
    patient_ids = [p.id for p in patients]
    shared = patients[0]
    notes = {}
    for username in ("doc", "doc2"):
        actor = log_in(db, username)
        encounter = start_encounter(
            actor,
            patients[1].id,
            provider_id=actor.user_id if username == "doc2" else doc_id,
            occurred_at=now_local() - timedelta(hours=1),
            encounter_type="Office visit",
        )
        notes[username] = encounter.note_id
    slots = _slots(providers)
    url, home = settings.database_url, str(emr_home)

    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    barrier = spawn.Barrier(2)
    stop = spawn.Event()
    workers = [
        spawn.Process(
            target=desk_workstation,
            args=(url, home, "fran", slots, kind.id, patient_ids, 1, results),
        ),
        spawn.Process(
            target=desk_workstation,
            args=(url, home, "nina", slots, kind.id, patient_ids, 2, results),
        ),
        *(
            spawn.Process(
                target=exam_room_workstation,
                args=(url, home, name, patient_ids, shared.id, notes[name], barrier, results),
            )
            for name in ("doc", "doc2")
        ),
    ]
    watcher = spawn.Process(target=outbox_watcher, args=(url, home, stop, results))
    watcher.start()
    for w in workers:
        w.start()
    reports: dict[str, dict] = {}
    try:
        while len(reports) < len(workers):
            kind_, name, report = results.get(timeout=600)
            assert kind_ != "error", f"{name} failed: {report}"
            reports[name] = report
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=60)
    kind_, _name, watched = results.get(timeout=120)
    assert kind_ == "watcher", watched
    watcher.join(timeout=60)
    assert all(w.exitcode == 0 for w in [*workers, watcher])

    desks = [reports["fran"], reports["nina"]]
    doctors = [reports["doc"], reports["doc2"]]
    booked = [b for d in desks for b in d["booked"]]
    # Every slot was booked exactly once, by one desk or the other; the other desk was told.
    assert len(booked) == len(slots)
    assert sum(d["refused"] for d in desks) == len(slots)
    assert len({(provider, starts) for _id, provider, starts in booked}) == len(slots)
    assert min(len(d["booked"]) for d in desks) > 0  # both desks really booked
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Appointment)) == len(booked)
        assert set(s.scalars(select(Appointment.id))) == {i for i, _p, _s in booked}

        # Vitals: every entry each physician saved is there, once.
        vitals = s.scalar(
            select(func.count())
            .select_from(Observation)
            .where(Observation.category == "vital-signs")
        )
        assert vitals == sum(d["vitals_rows"] for d in doctors)
        # Drafts: the version each physician last saw is the stored one.
        for name in ("doc", "doc2"):
            note = s.get(Note, notes[name])
            assert note.version == reports[name]["note_version"]
            assert note.subjective == f"{name} round {PHYSICIAN_ROUNDS - 1}"

        # The shared patient: each round exactly one of the two saves won, the other was told.
        assert sum(d["updated"] for d in doctors) == PHYSICIAN_ROUNDS
        assert sum(d["conflicts"] for d in doctors) == PHYSICIAN_ROUNDS
        messages = {m for d in doctors for m in d["messages"]}
        assert messages and all("Nothing was saved" in m for m in messages), messages
        patient = s.get(Patient, shared.id)
        assert patient.version == shared.version + PHYSICIAN_ROUNDS

        # The outbox: one ORU per vitals entry, one ADT^A08 per saved edit, nothing twice.
        queued = s.execute(
            select(
                OutboxMessage.id, OutboxMessage.message_type, OutboxMessage.destination_id
            ).order_by(OutboxMessage.id)
        ).all()
        types = [t for _i, t, _d in queued]
        assert types.count("ORU^R01") == sum(len(d["vitals_entries"]) for d in doctors)
        assert types.count("ADT^A08") == PHYSICIAN_ROUNDS
        assert len({c for c in s.scalars(select(OutboxMessage.control_id))}) == len(queued)

        assert verify_chain(s).ok

    # In id order: no snapshot ever showed a message before an older one of its destination.
    final: dict[int, list[int]] = {}
    for message_id, _t, destination_id in queued:
        final.setdefault(destination_id, []).append(message_id)
    snapshots = watched["snapshots"]
    assert len(snapshots) > 10
    for seen in snapshots:
        for destination_id, ids in seen.items():
            newest = ids[-1]
            assert ids == [i for i in final[destination_id] if i <= newest]


# --- change markers (both databases) ----------------------------------------------------------


@pytest.fixture
def schedule(operator, physician, front_desk_user, patient):
    (doc,) = list_providers(operator)
    set_working_hours(operator, doc.id, HOURS)
    kind = save_appointment_type(operator, name="Visit", default_minutes=15, colour="#4A90D9")
    return doc, kind


def test_schedule_marker_moves_when_another_workstation_books(
    schedule, front_desk_user, nurse, patient
):
    doc, kind = schedule
    before = change_marker(front_desk_user, "schedule")
    day_schedule(front_desk_user, MONDAY)  # looking changes nothing
    get_patient(front_desk_user, patient.id)
    assert change_marker(front_desk_user, "schedule") == before
    booked = book_appointment(
        nurse,
        AppointmentInput(
            patient_id=patient.id,
            provider_id=doc.id,
            type_id=kind.id,
            starts=datetime.combine(MONDAY, time(9)),
            minutes=15,
        ),
    )
    after = change_marker(front_desk_user, "schedule")
    assert after != before
    assert change_marker(front_desk_user, "schedule") == after  # stable while nothing changes
    # A registration change shows on the schedule (names, phones) too.
    seen = get_patient(nurse, patient.id)
    update_patient(nurse, patient.id, seen.version, replace(seen.to_input(), city="Salem"))
    assert change_marker(front_desk_user, "schedule") != after
    assert booked.id


def test_outbox_marker_moves_when_a_message_is_queued_or_changes(
    admin_user, nurse, patient, tmp_path, db
):
    create_destination(
        admin_user,
        DestinationInput(
            name="Engine", kind="folder", folder=str(tmp_path / "out"), message_types=("ORU^R01",)
        ),
    )
    empty = change_marker(admin_user, "outbox")
    assert change_marker(admin_user, "outbox") == empty
    record_vitals(
        nurse, patient.id, now_local() - timedelta(minutes=1), {"heart_rate": (70, "/min")}
    )
    queued = change_marker(admin_user, "outbox")
    assert queued != empty
    # A delivery attempt that failed changes the row but not the number of messages.
    with db.write() as s:
        message = s.scalars(select(OutboxMessage)).one()
        message.attempts += 1
        message.last_error = "connection refused"
    assert change_marker(admin_user, "outbox") not in (empty, queued)


def test_markers_need_the_permission_to_see_the_area(front_desk_user):
    from emr.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        change_marker(front_desk_user, "outbox")


def test_the_schedule_of_an_unused_practice_has_a_marker(operator):
    assert change_marker(operator, "schedule") == "schedule:0"
