"""The schedule grid's model: rows per slot, blocks per appointment, double bookings shared."""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import Qt

from emr.schedule_rules import Stretch
from emr.services.scheduling import AppointmentRecord
from ui.schedule.grid_model import Lane, ScheduleGridModel

DAY = date(2026, 12, 7)  # a Monday
HOURS = (Stretch(0, time(8), time(12)), Stretch(0, time(13), time(17)))


def visit(id_, start, minutes=15, provider=1, name="Doe, Jane", status="booked"):
    return AppointmentRecord(
        id=id_,
        version=1,
        patient_id=id_,
        patient_name=name,
        patient_mrn="1234567",
        patient_dob=date(1980, 1, 1),
        patient_phone="",
        provider_id=provider,
        provider_name="Dr Doc",
        type_id=1,
        type_name="Follow-up",
        colour="#4a90d9",
        starts=datetime.combine(DAY, start),
        minutes=minutes,
        status=status,
        reason="",
        notes="",
        series_id=None,
        override_reason="",
        arrived_at=None,
        cancel_reason="",
    )


def model_with(appointments, slot=15):
    model = ScheduleGridModel()
    lanes = [Lane("Dr Doc", 1, DAY, HOURS), Lane("Dr Two", 2, DAY, ())]
    model.set_schedule(lanes, appointments, slot)
    return model


def row(model, h, m=0):
    return model.row_of_time(time(h, m))


def test_rows_cover_the_working_day_at_the_chosen_grid():
    model = model_with([])
    assert model.headerData(0, Qt.Orientation.Vertical) == "07:00"
    assert model.rowCount() == 12 * 4  # 07:00 to 19:00 by quarter hours
    assert model_with([], slot=5).rowCount() == 12 * 12
    assert model.columnCount() == 2


def test_an_appointment_fills_the_rows_of_its_length():
    model = model_with([visit(1, time(9), 45)])
    (block,) = model.blocks
    assert (block.first_row, block.rows, block.lane) == (row(model, 9), 3, 0)
    assert model.appointments_at(row(model, 9, 30), 0)[0].id == 1
    assert model.appointments_at(row(model, 9, 45), 0) == []
    assert "Doe, Jane" in model.data(model.index(row(model, 9), 0))


def test_overlapping_appointments_share_a_block():
    model = model_with([visit(1, time(9), 30), visit(2, time(9, 15), 30, name="Roe, Rick")])
    (block,) = model.blocks
    assert [a.id for a in block.appointments] == [1, 2]
    assert block.rows == 3
    text = model.data(model.index(row(model, 9), 0))
    assert "Doe, Jane" in text and "Roe, Rick" in text


def test_lanes_keep_their_own_appointments_and_working_hours():
    model = model_with([visit(1, time(9)), visit(2, time(9), provider=2)])
    assert len(model.blocks) == 2
    assert model.appointments_at(row(model, 9), 1)[0].id == 2
    free = model.data(model.index(row(model, 10), 0), Qt.ItemDataRole.ToolTipRole)
    lunch = model.data(model.index(row(model, 12), 0), Qt.ItemDataRole.ToolTipRole)
    assert free.endswith("free") and lunch.endswith("outside working hours")


def test_an_early_appointment_widens_the_day():
    model = model_with([visit(1, time(6, 30))])
    assert model.headerData(0, Qt.Orientation.Vertical) == "06:00"
    lane, start = model.slot_start(row(model, 6, 30), 0)
    assert start == datetime.combine(DAY, time(6, 30)) and lane.provider_id == 1
