"""The Results tab: the flowsheet with abnormal cells red and bold with their flag, entering
a panel by keyboard (flags computed, a wrong LOINC named in its row), importing a CSV file,
the plot of a chosen test, and the front desk refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from emr.errors import PermissionDenied
from emr.services.labs import LabResultInput, list_panels, record_lab_panel
from ui.chart.results_pane import ABNORMAL, ResultsPane

WHEN = datetime(2024, 3, 5, 8, 15)


@pytest.fixture
def doctor(db, users):
    from emr.services.auth import login

    return login(db, "doc", users["doc"])


def bmp(doctor, patient_id: int, when: datetime, potassium: float) -> None:
    record_lab_panel(
        doctor,
        patient_id,
        name="Basic metabolic panel",
        collected_at=when,
        performing_lab="City Lab",
        results=[
            LabResultInput("Sodium", "2951-2", 139, "mmol/L", 135, 145),
            LabResultInput("Potassium", "2823-3", potassium, "mmol/L", 3.5, 5.1),
        ],
    )


@pytest.fixture
def pane(qtbot, doctor, patients):
    pane = ResultsPane(doctor, patients[0].id)
    qtbot.addWidget(pane)
    pane.resize(1000, 700)
    pane.show()
    pane.reload()
    return pane


def test_flowsheet_highlights_abnormal_cells(qtbot, pane, doctor, patients):
    bmp(doctor, patients[0].id, WHEN - timedelta(days=120), potassium=5.8)
    bmp(doctor, patients[0].id, WHEN, potassium=4.2)
    pane.reload()
    model = pane.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == [
        "2024-03-05",
        "2023-11-06",
    ]
    assert model.headerData(1, Qt.Orientation.Vertical) == "Potassium"
    high = model.index(1, 1)
    assert model.data(high) == "5.8 H"
    assert model.data(high, Qt.ItemDataRole.ForegroundRole).color() == ABNORMAL
    assert model.data(high, Qt.ItemDataRole.FontRole).bold()
    assert "reference 3.5–5.1" in model.data(high, Qt.ItemDataRole.ToolTipRole)
    normal = model.index(1, 0)
    assert model.data(normal) == "4.2"
    assert model.data(normal, Qt.ItemDataRole.ForegroundRole) is None

    # Choosing the potassium row plots its two values, oldest first.
    pane.table.setCurrentIndex(high)
    points = pane.plot.line_series()["Potassium"].points()
    assert [p.y() for p in points] == [5.8, 4.2]


def test_enter_a_panel_by_keyboard(qtbot, pane, doctor, patients):
    qtbot.mouseClick(pane.enter_button, Qt.MouseButton.LeftButton)
    dialog = pane.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClicks(dialog.name, "Lipid panel")
    qtbot.keyClicks(dialog.lab, "City Lab")
    table = dialog.table
    table.setFocus()
    table.setCurrentCell(0, 0)

    def cell(text: str) -> None:
        """Type into the current cell as a person does (the editor opens on the first key),
        then Tab to the next cell."""
        for character in text:
            qtbot.keyClicks(QApplication.focusWidget(), character)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)

    cell("ldl calculated")  # a known test: LOINC and unit filled in
    table.setCurrentCell(0, 2)
    cell("162")
    table.setCurrentCell(0, 5)
    cell("100")
    table.setCurrentCell(1, 0)
    cell("HDL cholesterol")
    cell("2085-8")  # wrong check digit
    cell("52")
    cell("mg/dL")
    cell("40")
    save = (Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(QApplication.focusWidget(), *save)
    assert dialog.isVisible()
    assert "Row 2, loinc: 2085-8 is not a LOINC code" in dialog.message.text()
    assert dialog.table.item(1, 1).background().color().name() == "#f8d7da"

    table.setFocus()
    table.setCurrentCell(1, 1)
    cell("2085-9")  # typing over the cell replaces it
    qtbot.keyClick(QApplication.focusWidget(), *save)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    (panel,) = list_panels(doctor, patients[0].id)
    ldl, hdl = panel.results
    assert (ldl.loinc_code, ldl.unit, ldl.value_num, ldl.flag) == ("13457-7", "mg/dL", 162, "H")
    assert (hdl.loinc_code, hdl.value_num, hdl.flag) == ("2085-9", 52, "")
    assert pane.model.data(pane.model.index(0, 0)) == "162 H"


def test_import_csv_and_a_bad_file_is_explained(qtbot, tmp_path: Path, pane, doctor, patients):
    path = tmp_path / "Thyroid.csv"
    path.write_text(
        "test,loinc,value,unit,low,high,flag,collected_at,lab\n"
        "TSH,3016-3,6.2,m[IU]/L,0.4,4.0,,2024-01-09,City Lab\n",
        encoding="utf-8",
    )
    pane.import_file(path)
    assert pane.model.data(pane.model.index(0, 0)) == "6.2 H"
    bad = tmp_path / "bad.csv"
    bad.write_text("test,value,collected_at\nTSH,high,yesterday\n", encoding="utf-8")
    pane.import_file(bad)
    assert "Nothing was imported from bad.csv" in pane.message.text()
    assert pane.message.isVisible()
    assert len(list_panels(doctor, patients[0].id)) == 1


def test_front_desk_cannot_read_results(qtbot, front_desk, patients):
    with pytest.raises(PermissionDenied):  # the service refuses as the pane reads its data
        ResultsPane(front_desk, patients[0].id)
