"""The Vitals tab: recording vitals by keyboard in lb, in and °F (stored canonically), the
units remembered, abnormal values flagged before and after saving, the trend plot's points,
entered in error, and the front desk refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from emr.errors import PermissionDenied
from emr.models.observations import Observation
from emr.services.auth import login
from emr.services.users import create_user
from emr.services.vitals import list_vitals, record_vitals
from ui.chart.vitals_pane import VitalsPane


@pytest.fixture
def nurse(db, operator, users):
    create_user(
        operator, username="nina", full_name="Nina Nurse", role="nurse", password="nurse pw 12345"
    )
    return login(db, "nina", "nurse pw 12345")


@pytest.fixture
def pane(qtbot, nurse, patients):
    pane = VitalsPane(nurse, patients[0].id)
    qtbot.addWidget(pane)
    pane.resize(1000, 700)
    pane.show()
    pane.reload()
    return pane


def type_here(qtbot, text: str) -> None:
    """Type into whichever field has the keyboard focus, then Tab on."""
    widget = QApplication.focusWidget()
    assert widget is not None
    if text:
        qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Tab)


def next_unit(qtbot) -> None:
    """In a unit box: the other unit (Down), then Tab on."""
    widget = QApplication.focusWidget()
    assert widget.objectName().startswith("unit_"), widget.objectName()
    qtbot.keyClick(widget, Qt.Key.Key_Down)
    qtbot.keyClick(widget, Qt.Key.Key_Tab)


def open_dialog(qtbot, pane):
    qtbot.mouseClick(pane.record_button, Qt.MouseButton.LeftButton)
    dialog = pane.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["systolic"], timeout=3000)
    return dialog


def test_record_vitals_by_keyboard_in_pounds_inches_and_fahrenheit(qtbot, db, pane, patients):
    dialog = open_dialog(qtbot, pane)
    type_here(qtbot, "150")  # systolic
    type_here(qtbot, "95")  # diastolic
    type_here(qtbot, "72")  # heart rate
    type_here(qtbot, "16")  # respiratory rate
    type_here(qtbot, "100.4")  # temperature
    next_unit(qtbot)  # °C -> °F
    type_here(qtbot, "97")  # SpO2
    type_here(qtbot, "150")  # weight
    next_unit(qtbot)  # kg -> lb
    type_here(qtbot, "65")  # height
    next_unit(qtbot)  # cm -> in

    # Flagged before saving; BMI computed as typed (150 lb, 65 in: 25.0, above 24.9).
    assert dialog.flags["systolic"].text() == "High"
    assert dialog.flags["temperature"].text() == "High"
    assert dialog.flags["heart_rate"].text() == ""
    assert dialog.bmi.text() == "25.0"
    assert dialog.flags["bmi"].text() == "High"

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    with db.read() as s:
        rows = s.execute(
            select(
                Observation.loinc_code, Observation.value_num, Observation.unit, Observation.flag
            ).where(Observation.patient_id == patients[0].id)
        ).all()
    stored = {code: (value, unit, flag) for code, value, unit, flag in rows}
    assert stored["29463-7"] == (68.04, "kg", "")
    assert stored["8302-2"] == (165.1, "cm", "")
    assert stored["8310-5"] == (38.0, "Cel", "H")
    assert stored["8480-6"] == (150, "mm[Hg]", "H")
    assert stored["39156-5"] == (25.0, "kg/m2", "H")
    assert len({r.group_id for r in dialog.saved}) == 1 and len(dialog.saved) == 9

    # The table shows the entry in the units chosen, flagged values marked.
    model = pane.model
    assert model.rowCount() == 1
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    bp, weight, temp = (
        header.index("BP\nmmHg"),
        header.index("Weight\nlb"),
        header.index("Temp\n°F"),
    )
    assert model.data(model.index(0, bp)) == "150/95 H"
    assert model.data(model.index(0, weight)) == "150.0"
    assert model.data(model.index(0, temp)) == "100.4 H"
    assert model.data(model.index(0, temp), Qt.ItemDataRole.FontRole).bold()

    # The next time the units chosen are offered first.
    again = open_dialog(qtbot, pane)
    assert again.unit_of("weight") == "[lb_av]" and again.unit_of("temperature") == "[degF]"
    again.reject()


def test_impossible_value_is_named_beside_its_field_and_nothing_saved(qtbot, pane, nurse, patients):
    dialog = open_dialog(qtbot, pane)
    type_here(qtbot, "120")
    type_here(qtbot, "80")
    type_here(qtbot, "720")  # heart rate typed with an extra digit
    assert "Not a possible value" in dialog.errors["heart_rate"].text()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()
    assert "720 /min is not a possible heart rate" in dialog.errors["heart_rate"].text()
    assert QApplication.focusWidget() is dialog.fields["heart_rate"]
    assert list_vitals(nurse, patients[0].id) == []
    dialog.reject()


def test_plot_shows_the_series_points(qtbot, nurse, patients, tmp_path):
    start = datetime(2021, 1, 10, 9, 0)
    for month in range(12):
        record_vitals(
            nurse,
            patients[0].id,
            start + timedelta(days=30 * month),
            {
                "systolic": (118 + month, "mmHg"),
                "diastolic": (76, "mmHg"),
                "weight": (80 - month / 2, "kg"),
            },
        )
    pane = VitalsPane(nurse, patients[0].id)
    qtbot.addWidget(pane)
    pane.resize(1000, 700)
    pane.show()
    pane.reload()
    lines = pane.plot.line_series()
    assert set(lines) == {"Systolic BP", "Diastolic BP"}
    systolic = lines["Systolic BP"].points()
    assert [p.y() for p in systolic] == [118 + m for m in range(12)]
    assert lines["Systolic BP"].pointsVisible()

    qtbot.keyClicks(pane.chooser, "Weight")
    assert pane.chooser.currentText() == "Weight"
    weight = pane.plot.line_series()["Weight"].points()
    assert len(weight) == 12 and weight[-1].y() == pytest.approx(74.5)
    pane.grab().save(str(tmp_path / "vitals_pane.png"))


def test_entry_marked_entered_in_error_from_the_table(qtbot, pane, nurse, patients):
    record_vitals(nurse, patients[0].id, datetime(2024, 5, 1, 10), {"heart_rate": (64, "/min")})
    record_vitals(nurse, patients[0].id, datetime(2024, 5, 2, 10), {"heart_rate": (66, "/min")})
    pane.reload()
    pane.table.setCurrentIndex(pane.model.index(0, 0))  # the newest entry, by its date
    qtbot.mouseClick(pane.error_button, Qt.MouseButton.LeftButton)
    dialog = pane.reason_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    qtbot.keyClicks(dialog.reason, "wrong patient")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert [e.measured_at.day for e in pane.model.entries] == [1]
    pane.show_errors.setChecked(True)
    assert len(pane.model.entries) == 2
    assert pane.model.data(pane.model.index(0, 2), Qt.ItemDataRole.FontRole).strikeOut()


def test_front_desk_cannot_read_vitals(qtbot, front_desk, patients):
    with pytest.raises(PermissionDenied):  # the service refuses as the pane reads its data
        VitalsPane(front_desk, patients[0].id)
