"""The print preview: pages shown and navigated, zoom, Print… to a (PDF file) printer and Save
as PDF…; and the visit summary opened in it from an encounter."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox
from reportlab.platypus import PageBreak, Paragraph

from emr.printing.letterhead import letterhead_document, paragraph_style
from emr.services.encounters import get_encounter, save_draft, start_encounter
from emr.services.practice import get_practice
from tests.conftest import log_in
from tests.ui.test_printing import click_button, pdf_printer, when_modal
from ui.chart.visit_summary_action import show_visit_summary
from ui.widgets.pdf_preview import PdfPreviewDialog


@pytest.fixture
def three_pages(operator) -> bytes:
    buffer = BytesIO()
    doc = letterhead_document(buffer, get_practice(operator), "Three pages")
    story = []
    for n in range(1, 4):
        story += [Paragraph(f"Page text {n}", paragraph_style("p")), PageBreak()]
    doc.build(story[:-1])
    return buffer.getvalue()


def preview(qtbot, pdf: bytes) -> PdfPreviewDialog:
    dialog = PdfPreviewDialog(pdf, "Three pages")
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # its keyboard shortcuts work only then
    return dialog


def test_pages_are_shown_and_navigated(qtbot, three_pages):
    dialog = preview(qtbot, three_pages)
    assert dialog.page_count == 3
    assert dialog.page_label.text() == "of 3"
    assert dialog.current_page == 0 and not dialog.previous_button.isEnabled()
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.current_page == 1)
    assert dialog.page_box.value() == 2 and dialog.previous_button.isEnabled()
    dialog.page_box.setFocus()
    dialog.page_box.selectAll()
    qtbot.keyClicks(dialog.page_box, "3")
    qtbot.waitUntil(lambda: dialog.current_page == 2)
    assert not dialog.next_button.isEnabled()
    qtbot.mouseClick(dialog.previous_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.current_page == 1)


def test_zoom_in_out_and_fit(qtbot, three_pages):
    dialog = preview(qtbot, three_pages)
    before = dialog.view.zoomFactor()
    qtbot.mouseClick(
        dialog.findChild(type(dialog.next_button), "zoomIn"), Qt.MouseButton.LeftButton
    )
    assert dialog.view.zoomFactor() == pytest.approx(before * 1.25)
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert dialog.view.zoomFactor() == pytest.approx(before)
    qtbot.mouseClick(
        dialog.findChild(type(dialog.next_button), "fitWidth"), Qt.MouseButton.LeftButton
    )
    assert dialog.view.zoomMode() == dialog.view.ZoomMode.FitToWidth


def test_print_sends_every_page_to_the_printer(qtbot, three_pages, tmp_path: Path):
    dialog = preview(qtbot, three_pages)
    out = tmp_path / "printed.pdf"
    dialog.printer = pdf_printer(out)
    when_modal(qtbot, QPrintDialog, lambda d: click_button(qtbot, d, "Print"))
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert dialog.printed == 3
    assert len(PdfReader(out).pages) == 3


def test_save_as_pdf_writes_the_same_bytes(qtbot, three_pages, tmp_path: Path):
    dialog = preview(qtbot, three_pages)
    wanted = tmp_path / "copy.pdf"

    def type_name(file_dialog) -> None:
        name = file_dialog.findChild(QLineEdit, "fileNameEdit")
        name.clear()
        qtbot.keyClicks(name, str(wanted))
        qtbot.keyClick(name, Qt.Key.Key_Return)

    when_modal(qtbot, QFileDialog, type_name)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved_to == wanted
    assert wanted.read_bytes() == three_pages


def _visit(doctor, patient_id: int) -> int:
    visit = start_encounter(
        doctor,
        patient_id,
        provider_id=doctor.user_id,
        occurred_at=datetime.now() - timedelta(hours=1),
        encounter_type="Office visit",
    )
    note = get_encounter(doctor, visit.id).note
    save_draft(doctor, note.id, note.version, "", "", "Sprained ankle.", "Ice and rest.")
    return visit.id


def test_visit_summary_opens_in_the_preview(qtbot, db, users, patients):
    doctor = log_in(db, "doc")
    encounter_id = _visit(doctor, patients[2].id)  # Nguyễn
    dialog = show_visit_summary(None, doctor, encounter_id)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and dialog.page_count == 1
    assert "Visit summary" in dialog.windowTitle()
    text = PdfReader(BytesIO(dialog.pdf)).pages[0].extract_text()
    assert "Ice and rest." in text and "Nguy" in text


def test_visit_summary_refused_is_said_not_shown(qtbot, db, users, patients, front_desk):
    doctor = log_in(db, "doc")
    encounter_id = _visit(doctor, patients[0].id)
    assert show_visit_summary(None, front_desk, encounter_id) is None
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox))
    box = QApplication.activeModalWidget()
    assert "may not" in box.text()
    box.reject()
