"""The Documents tab: attach a picture and a PDF, open them in the viewer, strike one."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from reportlab.pdfgen import canvas
from sqlalchemy import update

from emr.models.documents import DocumentContent
from emr.services.auth import login
from emr.services.users import create_user
from ui.chart.document_viewer import DocumentViewer
from ui.chart.documents_pane import DocumentsPane
from ui.widgets.reason_dialog import ReasonDialog


@pytest.fixture
def doc(db, users):
    return login(db, "doc", users["doc"])


@pytest.fixture
def nurse(db, operator):
    create_user(
        operator, username="nina", full_name="Nina Nurse", role="nurse", password="nurse pw 12345"
    )
    return login(db, "nina", "nurse pw 12345")


@pytest.fixture
def files(tmp_path):
    image = QImage(120, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    png = tmp_path / "wound photo.png"
    assert image.save(str(png), "PNG")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for page in ("Discharge summary, page 1", "Page 2: medications"):
        pdf.drawString(72, 720, page)
        pdf.showPage()
    pdf.save()
    letter = tmp_path / "discharge.pdf"
    letter.write_bytes(buffer.getvalue())
    return png, letter


def make_pane(qtbot, actor, patient_id) -> DocumentsPane:
    pane = DocumentsPane(actor, patient_id)
    qtbot.addWidget(pane)
    pane.show()
    return pane


def activate(qtbot, widget) -> None:
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=3000)


def cell(pane: DocumentsPane, row: int, column: int) -> str:
    return pane.model.index(row, column).data()


def open_row_by_keyboard(qtbot, pane: DocumentsPane, row: int) -> DocumentViewer:
    pane.table.setFocus()
    pane.table.selectRow(row)
    before = list(pane.viewers)
    qtbot.keyClick(pane.table, Qt.Key.Key_Return)
    [viewer] = [v for v in pane.viewers if v not in before]
    qtbot.addWidget(viewer)
    return viewer


def test_attach_a_picture_and_a_pdf_and_view_both(qtbot, doc, patients, files):
    png, letter = files
    pane = make_pane(qtbot, doc, patients[0].id)
    changes = []
    pane.changed.connect(lambda: changes.append(1))
    picture = pane.attach_file(png, category="image", document_date=date(2025, 6, 1))
    summary = pane.attach_file(letter, title="Hospital discharge", category="letter")
    assert not isinstance(picture, str) and not isinstance(summary, str)
    assert len(changes) == 2
    assert pane.model.rowCount() == 2
    assert [cell(pane, 0, c) for c in range(1, 4)] == ["Hospital discharge", "Letter", "PDF"]
    assert cell(pane, 1, 0) == "2025-06-01"
    assert [cell(pane, 1, c) for c in range(1, 4)] == ["wound photo", "Image", "PNG image"]

    shown = open_row_by_keyboard(qtbot, pane, 1)
    assert shown.image_view is not None
    pixmap = shown.image_view.pixmap_item.pixmap()
    assert (pixmap.width(), pixmap.height()) == (120, 80)
    assert pixmap.toImage().pixelColor(10, 10) == QColor("teal")

    pdf_view = open_row_by_keyboard(qtbot, pane, 0)
    assert pdf_view.pdf_view is not None and pdf_view.pdf_document.pageCount() == 2
    assert pdf_view.pdf_view.document() is pdf_view.pdf_document


def test_attach_dialog_by_keyboard(qtbot, doc, patients, files):
    png, _ = files
    pane = make_pane(qtbot, doc, patients[0].id)
    dialog = pane.ask_details(png)
    activate(qtbot, dialog)
    assert dialog.title_edit.text() == "wound photo"
    assert dialog.category.currentData() == "image"
    qtbot.keyClicks(dialog.title_edit, "Left heel ulcer")  # replaces the selected default
    dialog.category.setFocus()
    qtbot.keyClicks(dialog.category, "Sc")  # type-ahead: Scan
    qtbot.keyClick(dialog.category, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible()
    assert [cell(pane, 0, c) for c in range(1, 4)] == ["Left heel ulcer", "Scan", "PNG image"]


def test_attach_dialog_shows_what_is_wrong(qtbot, doc, patients, files):
    _, letter = files
    pane = make_pane(qtbot, doc, patients[0].id)
    dialog = pane.ask_details(letter)
    activate(qtbot, dialog)
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Backspace)  # the selected default
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()
    assert "title" in dialog.error.text().lower()
    assert pane.model.rowCount() == 0


def test_entered_in_error_struck_through_when_shown(qtbot, nurse, patients, files):
    png, _ = files
    pane = make_pane(qtbot, nurse, patients[1].id)
    pane.attach_file(png, category="image")
    qtbot.mouseClick(pane.error_button, Qt.MouseButton.LeftButton)
    [dialog] = [w for w in pane.findChildren(ReasonDialog) if w.isVisible()]
    activate(qtbot, dialog)
    qtbot.keyClicks(dialog.reason, "wrong patient")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert pane.model.rowCount() == 0
    qtbot.mouseClick(pane.show_errors, Qt.MouseButton.LeftButton)
    assert pane.model.rowCount() == 1
    font = pane.model.index(0, 1).data(Qt.ItemDataRole.FontRole)
    assert font.strikeOut()
    assert not pane.error_button.isEnabled()
    assert "wrong patient" in pane.model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)


def test_damaged_file_is_not_shown(qtbot, db, doc, patients, files):
    _, letter = files
    pane = make_pane(qtbot, doc, patients[0].id)
    record = pane.attach_file(letter, category="letter")
    with db.write() as s:
        s.execute(
            update(DocumentContent)
            .where(DocumentContent.sha256 == record.sha256)
            .values(data=b"%PDF-1.4 something else")
        )
    assert pane.open_selected() is None
    assert pane.viewers == []
    assert "damaged" in pane.message.text()
    assert pane.message.isVisibleTo(pane)


def test_front_desk_sees_the_refusal(qtbot, front_desk, patients, files):
    png, _ = files
    pane = make_pane(qtbot, front_desk, patients[0].id)
    assert pane.model.rowCount() == 0
    assert "does not open charts" in pane.message.text()
    assert "may not" in pane.attach_file(png)
