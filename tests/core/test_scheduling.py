"""Booking, moving, checking in and cancelling appointments against a real database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from emr.errors import (
    BookingNeedsOverride,
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from emr.models import AuditEvent
from emr.schedule_rules import Stretch
from emr.security.audit import verify_chain
from emr.services.schedule_setup import (
    get_working_hours,
    list_appointment_types,
    list_providers,
    save_appointment_type,
    set_working_hours,
)
from emr.services.scheduling import (
    AppointmentInput,
    Recurrence,
    book_appointment,
    book_series,
    cancel_appointment,
    check_in,
    day_schedule,
    edit_appointment,
    find_next_free_slot,
    move_appointment,
    next_appointments,
    patient_appointments,
    set_status,
    week_schedule,
)

DAY = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 + 7)  # a Monday ahead
HOURS = [Stretch(d, time(8), time(12)) for d in range(5)] + [
    Stretch(d, time(13), time(17)) for d in range(5)
]


def at(h, m=0, day=DAY):
    return datetime.combine(day, time(h, m))


@pytest.fixture
def clinic(operator, physician, second_physician, front_desk_user, admin_user, patient):
    doc, other = list_providers(operator)
    for provider in (doc, other):
        set_working_hours(operator, provider.id, HOURS)
    follow_up = save_appointment_type(
        operator, name="Follow-up", default_minutes=15, colour="#4A90D9"
    )
    return front_desk_user, doc, other, follow_up, patient


def visit(clinic, start, minutes=15, provider=None, **extra):
    desk, doc, _other, kind, patient = clinic
    return AppointmentInput(
        patient_id=patient.id,
        provider_id=(provider or doc).id,
        type_id=kind.id,
        starts=start,
        minutes=minutes,
        **extra,
    )


def test_book_and_read_the_day(clinic):
    desk, doc, other, kind, patient = clinic
    booked = book_appointment(desk, visit(clinic, at(9), reason="Cough"))
    assert (booked.starts, booked.minutes, booked.status) == (at(9), 15, "booked")
    assert booked.patient_name == "Okafor, Ada" and booked.type_name == "Follow-up"
    assert booked.colour == "#4a90d9"
    book_appointment(desk, visit(clinic, at(10), provider=other))
    assert [a.id for a in day_schedule(desk, DAY, doc.id)] == [booked.id]
    assert len(day_schedule(desk, DAY)) == 2
    assert day_schedule(desk, DAY + timedelta(days=1)) == []


def test_double_booking_needs_a_reason_that_is_kept(clinic, db):
    desk = clinic[0]
    book_appointment(desk, visit(clinic, at(9)))
    with pytest.raises(BookingNeedsOverride) as raised:
        book_appointment(desk, visit(clinic, at(9, 5)))
    assert "double booking" in str(raised.value)
    assert len(day_schedule(desk, DAY)) == 1  # nothing was booked
    kept = book_appointment(desk, visit(clinic, at(9, 5)), override_reason="Urgent, fits in")
    assert kept.override_reason == "Urgent, fits in"
    with db.read() as s:
        details = s.execute(select(AuditEvent.detail).where(AuditEvent.entity == "appointment"))
        assert any("override: Urgent, fits in" in d for d in details.scalars())


def test_outside_working_hours_is_warned(clinic):
    desk = clinic[0]
    with pytest.raises(BookingNeedsOverride, match="outside working hours"):
        book_appointment(desk, visit(clinic, at(12)))  # lunch
    saturday = DAY + timedelta(days=5)
    with pytest.raises(BookingNeedsOverride, match="outside working hours"):
        book_appointment(desk, visit(clinic, at(9, day=saturday)))


def test_touching_appointments_are_not_a_double_booking(clinic):
    desk = clinic[0]
    book_appointment(desk, visit(clinic, at(9)))
    book_appointment(desk, visit(clinic, at(9, 15)))
    assert len(day_schedule(desk, DAY)) == 2


def test_a_cancelled_appointment_frees_its_slot(clinic):
    desk = clinic[0]
    first = book_appointment(desk, visit(clinic, at(9)))
    cancel_appointment(desk, first.id, first.version, "Patient is ill")
    book_appointment(desk, visit(clinic, at(9)))
    shown = day_schedule(desk, DAY)
    assert [a.status for a in shown] == ["booked"]
    everything = day_schedule(desk, DAY, include_cancelled=True)
    assert sorted(a.status for a in everything) == ["booked", "cancelled"]
    assert next(a for a in everything if a.status == "cancelled").cancel_reason == "Patient is ill"


def test_cancel_needs_a_reason(clinic):
    desk = clinic[0]
    booked = book_appointment(desk, visit(clinic, at(9)))
    with pytest.raises(ValidationError, match="reason"):
        cancel_appointment(desk, booked.id, booked.version, "  ")


def test_move_drag_to_another_provider_and_change_length(clinic):
    desk, doc, other, *_ = clinic
    booked = book_appointment(desk, visit(clinic, at(9)))
    moved = move_appointment(
        desk, booked.id, booked.version, starts=at(14), minutes=30, provider_id=other.id
    )
    assert (moved.starts, moved.minutes, moved.provider_id) == (at(14), 30, other.id)
    assert moved.version == booked.version + 1
    with pytest.raises(ConflictError):
        move_appointment(desk, booked.id, booked.version, starts=at(15))


def test_moving_onto_another_appointment_is_warned(clinic):
    desk = clinic[0]
    book_appointment(desk, visit(clinic, at(9)))
    second = book_appointment(desk, visit(clinic, at(10)))
    with pytest.raises(BookingNeedsOverride):
        move_appointment(desk, second.id, second.version, starts=at(9))
    moved = move_appointment(desk, second.id, second.version, starts=at(9), override_reason="ok")
    assert moved.starts == at(9) and moved.override_reason == "ok"


def test_check_in_records_the_time_and_can_be_undone(clinic):
    desk = clinic[0]
    booked = book_appointment(desk, visit(clinic, at(9)))
    arrived = check_in(desk, booked.id, booked.version)
    assert arrived.status == "arrived" and arrived.arrived_at is not None
    roomed = set_status(desk, arrived.id, arrived.version, "in_room")
    assert roomed.status == "in_room" and roomed.arrived_at == arrived.arrived_at
    undone = set_status(desk, roomed.id, roomed.version, "booked")
    assert undone.arrived_at is None
    with pytest.raises(ValidationError):
        set_status(desk, undone.id, undone.version, "cancelled")
    with pytest.raises(ValidationError):
        set_status(desk, undone.id, undone.version, "gone fishing")


def test_a_cancelled_appointment_cannot_change(clinic):
    desk = clinic[0]
    booked = book_appointment(desk, visit(clinic, at(9)))
    (cancelled,) = cancel_appointment(desk, booked.id, booked.version, "moved away")
    with pytest.raises(ValidationError):
        check_in(desk, cancelled.id, cancelled.version)
    with pytest.raises(ValidationError):
        move_appointment(desk, cancelled.id, cancelled.version, starts=at(10))


def test_series_booked_edited_and_cancelled(clinic):
    desk, doc, *_ = clinic
    series = book_series(
        desk, visit(clinic, at(10)), Recurrence(weekdays=(0, 2), every_weeks=1, count=4)
    )
    assert [a.starts for a in series] == [
        at(10),
        at(10, day=DAY + timedelta(days=2)),
        at(10, day=DAY + timedelta(days=7)),
        at(10, day=DAY + timedelta(days=9)),
    ]
    assert len({a.series_id for a in series}) == 1
    second = series[1]
    changed = edit_appointment(
        desk,
        second.id,
        second.version,
        visit(clinic, at(11, day=second.starts.date()), minutes=30, notes="Bring diary"),
        whole_series=True,
    )
    assert [a.starts.time() for a in changed] == [time(11)] * 3
    assert all(a.minutes == 30 and a.notes == "Bring diary" for a in changed)
    assert week_schedule(desk, doc.id, DAY)[0].starts == at(10)  # the first is untouched
    third = changed[1]
    cancelled = cancel_appointment(
        desk, third.id, third.version, "Therapy ended", whole_series=True
    )
    assert len(cancelled) == 2
    remaining = [a for a in patient_appointments(desk, series[0].patient_id) if a.holds_slot]
    assert len(remaining) == 2


def test_series_with_a_clash_books_nothing_without_a_reason(clinic):
    desk = clinic[0]
    book_appointment(desk, visit(clinic, at(10, day=DAY + timedelta(days=7))))
    recurrence = Recurrence(weekdays=(0,), every_weeks=1, count=3)
    with pytest.raises(BookingNeedsOverride):
        book_series(desk, visit(clinic, at(10)), recurrence)
    assert len(patient_appointments(desk, clinic[4].id)) == 1
    assert len(book_series(desk, visit(clinic, at(10)), recurrence, override_reason="x")) == 3


def test_series_rules_are_checked(clinic):
    desk = clinic[0]
    with pytest.raises(ValidationError, match="either on a date or after"):
        book_series(desk, visit(clinic, at(10)), Recurrence(weekdays=(0,)))
    with pytest.raises(ValidationError, match="weekdays"):
        book_series(desk, visit(clinic, at(10)), Recurrence(weekdays=(), count=2))


def test_next_free_slot(clinic):
    desk, doc, *_ = clinic
    book_appointment(desk, visit(clinic, at(8), minutes=60))
    assert find_next_free_slot(desk, doc.id, 30, at(8)) == at(9)
    book_appointment(desk, visit(clinic, at(9), minutes=180))
    assert find_next_free_slot(desk, doc.id, 30, at(8)) == at(13)


def test_next_appointments_for_search_results(clinic):
    desk, doc, other, kind, patient = clinic
    later = book_appointment(desk, visit(clinic, at(15)))
    sooner = book_appointment(desk, visit(clinic, at(9)))
    cancel_appointment(desk, sooner.id, sooner.version, "no")
    assert next_appointments(desk, [patient.id, 999]) == {patient.id: later.starts}


def test_permissions(clinic, admin_user):
    desk, doc, *_ = clinic
    boss = admin_user
    with pytest.raises(PermissionDenied):
        book_appointment(boss, visit(clinic, at(9)))
    with pytest.raises(PermissionDenied):
        set_working_hours(desk, doc.id, HOURS)
    with pytest.raises(PermissionDenied):
        save_appointment_type(desk, name="X", default_minutes=10, colour="#000000")
    assert len(day_schedule(boss, DAY)) == 0  # an administrator may look


def test_setup_reads_back(clinic):
    desk, doc, other, kind, _ = clinic
    assert [p.username for p in list_providers(desk)] == ["doc", "doc2"]
    assert get_working_hours(desk, doc.id) == sorted(HOURS, key=lambda h: (h.weekday, h.starts))
    assert [t.name for t in list_appointment_types(desk, doc.id)] == ["Follow-up"]


def test_type_for_one_provider_only(clinic, operator):
    desk, doc, other, _, _ = clinic
    procedure = save_appointment_type(
        operator, name="Procedure", default_minutes=45, colour="#aa3300", provider_id=other.id
    )
    assert "Procedure" not in [t.name for t in list_appointment_types(desk, doc.id)]
    with pytest.raises(ValidationError, match="does not offer"):
        book_appointment(desk, AppointmentInput(clinic[4].id, doc.id, procedure.id, at(9), 45))


def test_bad_input(clinic, operator):
    desk, doc, *_ = clinic
    with pytest.raises(ValidationError, match="length"):
        book_appointment(desk, visit(clinic, at(9), minutes=0))
    with pytest.raises(NotFound):
        book_appointment(desk, AppointmentInput(12345, doc.id, clinic[3].id, at(9), 15))
    with pytest.raises(NotFound):
        day_schedule(desk, DAY, 9999)
    with pytest.raises(ValidationError, match="colour"):
        save_appointment_type(operator, name="X", default_minutes=10, colour="blue")


def test_every_change_is_in_the_audit_chain(clinic, db):
    desk = clinic[0]
    booked = book_appointment(desk, visit(clinic, at(9)))
    check_in(desk, booked.id, booked.version)
    with db.read() as s:
        actions = s.execute(
            select(AuditEvent.action, AuditEvent.patient_id).where(
                AuditEvent.entity == "appointment"
            )
        ).all()
        assert actions == [("create", booked.patient_id), ("update", booked.patient_id)]
        assert verify_chain(s).ok
