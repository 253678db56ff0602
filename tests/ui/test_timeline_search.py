"""The Timeline tab (filters, struck entries, opening an event) and the chart search box."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from emr.services.auth import login
from tests.core.test_timeline import build_chart
from ui.chart.chart_search import ChartSearchBox
from ui.chart.timeline_pane import TimelinePane


@pytest.fixture
def doc(db, users):
    return login(db, "doc", users["doc"])


@pytest.fixture
def chart(db, operator, doc):
    return build_chart(db, operator, doc)


def kinds_shown(pane: TimelinePane) -> set[str]:
    return {e.kind for e in pane.model.rows}


def test_timeline_filters_by_kind(qtbot, doc, chart):
    pane = TimelinePane(doc, chart.patient_id)
    qtbot.addWidget(pane)
    pane.show()
    everything = pane.model.rowCount()
    assert kinds_shown(pane) == set(pane.kind_boxes)
    assert pane.model.index(0, 1).data() == "Immunization"  # newest first
    for kind in ("encounter", "lab", "document", "problem", "allergy", "immunization"):
        qtbot.mouseClick(pane.kind_boxes[kind], Qt.MouseButton.LeftButton)
    assert kinds_shown(pane) == {"medication", "vitals", "amendment"}
    vitals = [pane.model.index(r, 3).data() for r in range(pane.model.rowCount())]
    assert "BP 128/82, HR 72, Wt 80 kg" in vitals
    qtbot.mouseClick(pane.kind_boxes["lab"], Qt.MouseButton.LeftButton)
    assert "lab" in kinds_shown(pane)
    pane.kind_boxes["lab"].setFocus()
    qtbot.keyClick(pane.kind_boxes["lab"], Qt.Key.Key_Space)
    assert "lab" not in kinds_shown(pane)
    for box in pane.kind_boxes.values():
        box.setChecked(True)
    assert pane.model.rowCount() == everything


def test_timeline_entered_in_error_struck_and_enter_opens(qtbot, doc, chart):
    pane = TimelinePane(doc, chart.patient_id)
    qtbot.addWidget(pane)
    pane.show()
    assert chart.wrong_encounter_id not in {
        e.entity_id for e in pane.model.rows if e.entity == "encounters"
    }
    qtbot.mouseClick(pane.show_errors, Qt.MouseButton.LeftButton)
    [row] = [
        r
        for r, e in enumerate(pane.model.rows)
        if e.entity == "encounters" and e.entity_id == chart.wrong_encounter_id
    ]
    assert pane.model.index(row, 2).data(Qt.ItemDataRole.FontRole).strikeOut()
    assert not pane.model.index(0, 2).data(Qt.ItemDataRole.FontRole).strikeOut()

    opened = []
    pane.open_requested.connect(lambda entity, entity_id: opened.append((entity, entity_id)))
    pane.table.setFocus()
    pane.table.selectRow(row)
    qtbot.keyClick(pane.table, Qt.Key.Key_Return)
    assert opened == [("encounters", chart.wrong_encounter_id)]


def test_timeline_refused_to_front_desk(qtbot, front_desk, chart):
    pane = TimelinePane(front_desk, chart.patient_id)
    qtbot.addWidget(pane)
    pane.show()
    assert pane.model.rowCount() == 0
    assert pane.message.isVisibleTo(pane) and "does not open charts" in pane.message.text()


def search_box(qtbot, actor, patient_id) -> ChartSearchBox:
    box = ChartSearchBox(actor, patient_id)
    qtbot.addWidget(box)
    box.show()
    box.activateWindow()
    box.edit.setFocus()
    return box


def test_search_as_you_type_and_open_with_enter(qtbot, doc, chart):
    box = search_box(qtbot, doc, chart.patient_id)
    opened = []
    box.open_requested.connect(lambda entity, entity_id: opened.append((entity, entity_id)))
    qtbot.keyClicks(box.edit, "metformin")
    qtbot.waitUntil(lambda: box.results.count() > 0, timeout=2000)
    texts = [box.results.item(i).text() for i in range(box.results.count())]
    assert any("Medication: Metformin 500 mg tablet" in t for t in texts)
    assert any("Plan: Start Metformin" in t for t in texts)
    assert not any("1000 mg" in t or "review" in t for t in texts)  # the other patient's
    medication_row = next(i for i, h in enumerate(box.hits) if h.kind == "medication")
    qtbot.keyClick(box.edit, Qt.Key.Key_Down)
    assert box.results.hasFocus()
    for _ in range(medication_row):
        qtbot.keyClick(box.results, Qt.Key.Key_Down)
    qtbot.keyClick(box.results, Qt.Key.Key_Return)
    assert opened == [("medications", chart.medication_id)]


def test_search_finds_results_folds_accents_and_says_when_nothing(qtbot, doc, chart):
    box = search_box(qtbot, doc, chart.patient_id)
    opened = []
    box.open_requested.connect(lambda entity, entity_id: opened.append((entity, entity_id)))
    qtbot.keyClicks(box.edit, "A1c")
    qtbot.waitUntil(lambda: box.results.count() > 0, timeout=2000)
    results = {h.entity_id for h in box.hits if h.entity == "observations"}
    assert results == {chart.a1c_id, chart.glycated_id}

    qtbot.keyClick(box.edit, Qt.Key.Key_Escape)
    assert box.edit.text() == "" and box.results.isHidden()
    qtbot.keyClicks(box.edit, "LEFEVRE")
    qtbot.keyClick(box.edit, Qt.Key.Key_Return)  # before the pause: searched, then opened
    assert opened == [("documents", chart.document_id)]

    box.edit.clear()
    qtbot.keyClicks(box.edit, "warfarin")
    qtbot.waitUntil(lambda: box.status.isVisibleTo(box), timeout=2000)
    assert "Nothing in this chart matches" in box.status.text()
    assert box.results.isHidden()
