"""Opening charts from the app: clinicians by search, the front desk only by breaking the glass."""

from __future__ import annotations

from PySide6.QtCore import Qt

from emr.models import Allergy
from emr.services.auth import login
from tests.ui.conftest import PASSWORDS, show_active
from ui.chart.window import PANES
from ui.chart.workspace import ChartWorkspace
from ui.main_window import MainWindow


def test_a_physician_finds_a_patient_and_opens_the_chart(qtbot, db, users, patients):
    with db.write() as s:
        s.add(
            Allergy(
                patient_id=patients[0].id,
                substance="Penicillin",
                category="drug",
                reaction="hives",
                severity="severe",
            )
        )
    doc = login(db, "doc", PASSWORDS["doc"])
    window = MainWindow(doc)
    show_active(qtbot, window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "&Schedule",
        "&Patients",
        "C&hart",
    ]
    window.tabs.setCurrentWidget(window.chart)
    ws = window.chart
    qtbot.keyClicks(ws.picker.search, "muller")
    qtbot.keyClick(ws.picker.search, Qt.Key.Key_Return)
    chart = ws.chart
    assert chart is not None and chart.header.patient.id == patients[0].id
    assert chart.banner.name.text() == "Müller, Anna"
    assert chart.allergies.text() == "Allergies: Penicillin — hives (severe)"
    assert "b00020" in chart.allergies.styleSheet()  # in red
    assert chart.emergency.isHidden()
    assert chart.tabs.count() == len(PANES)


def test_the_front_desk_has_no_chart_tab_and_is_refused(qtbot, db, front_desk, patients):
    window = MainWindow(front_desk)
    show_active(qtbot, window)
    assert window.chart is None
    ws = ChartWorkspace(front_desk)
    qtbot.addWidget(ws)
    assert not ws.open_chart(patients[1].id)
    assert "does not open charts" in ws.message.text()
    assert ws.chart is None and not ws.emergency_button.isHidden()


def test_breaking_the_glass_opens_the_chart_read_only(qtbot, db, front_desk, patients):
    window = MainWindow(front_desk)
    show_active(qtbot, window)
    window.emergency_chart()
    ws = window.chart
    qtbot.keyClicks(ws.picker.search, "obrien")
    qtbot.keyClick(ws.picker.search, Qt.Key.Key_Return)
    assert ws.chart is None and ws.emergency_button.isVisible()
    qtbot.mouseClick(ws.emergency_button, Qt.MouseButton.LeftButton)
    dialog = ws.dialog
    qtbot.keyClicks(dialog.reason, "short")
    assert not dialog.ok.isEnabled()  # a reason of ten characters at least
    qtbot.keyClicks(dialog.reason, " of breath, collapsed")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert ws.chart is not None and ws.chart.header.emergency
    assert ws.chart.emergency.isVisible()


def test_every_pane_opens_with_its_data(qtbot, db, users, patients):
    from datetime import datetime

    from emr.services.vitals import record_vitals

    doc = login(db, "doc", PASSWORDS["doc"])
    record_vitals(
        doc, patients[0].id, datetime.now().replace(microsecond=0), {"heart_rate": (72, "/min")}
    )
    ws = ChartWorkspace(doc)
    qtbot.addWidget(ws)
    assert ws.open_chart(patients[0].id)
    for _module, name in PANES:
        assert ws.chart.show_pane(name) is not None, name
    vitals = ws.chart.panes["VitalsPane"]
    assert vitals.model.rowCount() == 1
    assert not ws.chart.message.isVisible()
