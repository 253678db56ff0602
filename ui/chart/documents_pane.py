"""The chart's Documents tab: the files attached to the chart, attaching a new one, opening one,
and striking one entered in error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from emr.errors import UserError
from emr.services.documents import (
    CATEGORIES,
    MAX_DOCUMENT_BYTES,
    DocumentRecord,
    attach_document,
    list_documents,
    mark_document_entered_in_error,
    open_document,
    size_text,
)
from ui.chart.common import ChartTableModel, EnteredInErrorDialog
from ui.chart.document_viewer import DocumentViewer, open_outside, shown_in_app
from ui.chart.pane import ChartPane
from ui.widgets.field_errors import error_label
from ui.widgets.record_table import Column, record_table
from ui.widgets.shortcuts import add_save_shortcut

_TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/tiff": "TIFF image",
}


def type_name(media_type: str) -> str:
    return _TYPE_NAMES.get(media_type, "Other file")


COLUMNS: list[Column] = [
    ("Date", lambda d: f"{d.document_date:%Y-%m-%d}"),
    ("Title", lambda d: d.title),
    ("Category", lambda d: d.category.capitalize()),
    ("Type", lambda d: type_name(d.media_type)),
    ("Size", lambda d: size_text(d.size)),
]


class AttachDialog(QDialog):
    """Title, category and date of a file about to be attached."""

    def __init__(self, pane: DocumentsPane, path: Path) -> None:
        super().__init__(pane)
        self.pane = pane
        self.path = path
        self.setWindowTitle(f"Attach {path.name}")
        self.title_edit = QLineEdit(path.stem)
        self.title_edit.setObjectName("title")
        self.category = QComboBox()
        self.category.setObjectName("category")
        for name in CATEGORIES:
            self.category.addItem(name.capitalize(), name)
        self.category.setCurrentIndex(CATEGORIES.index(_guess_category(path)))
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setObjectName("document_date")
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(QDate.currentDate())
        self.error = error_label("error")
        self.error.hide()
        form = QFormLayout()
        form.addRow("File", QLabel(path.name))
        form.addRow("&Title", self.title_edit)
        form.addRow("&Category", self.category)
        form.addRow("&Date", self.date_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Attach")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.title_edit.selectAll()

    def save(self) -> None:
        problem = self.pane.attach_file(
            self.path,
            title=self.title_edit.text(),
            category=self.category.currentData(),
            document_date=self.date_edit.date().toPython(),
        )
        if isinstance(problem, str):
            self.error.setText(problem)
            self.error.show()
        else:
            self.accept()


def _guess_category(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg", ".png"):
        return "image"
    if suffix in (".tif", ".tiff"):
        return "scan"
    return "other"


class DocumentsPane(ChartPane):
    title = "Documents"

    def __init__(self, actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.viewers: list[DocumentViewer] = []
        self.model = ChartTableModel(COLUMNS, self, tooltip=lambda d: d.file_name or d.title)
        self.table = record_table(self.model, "documents")
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _index: self.open_selected())

        self.attach_button = QPushButton("&Attach…")
        self.open_button = QPushButton("&Open")
        self.error_button = QPushButton("&Entered in error…")
        self.show_errors = QCheckBox("Show entered in error")
        self.attach_button.clicked.connect(self.choose_file)
        self.open_button.clicked.connect(self.open_selected)
        self.error_button.clicked.connect(self.enter_in_error)
        self.show_errors.toggled.connect(lambda _on: self.reload())
        self.message = self.error_label()
        self.message.setObjectName("documents_error")
        self.message.hide()

        buttons = QHBoxLayout()
        for button in (self.attach_button, self.open_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_errors)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.reload()

    # --- reading -------------------------------------------------------------------------

    def reload(self) -> None:
        try:
            rows = list_documents(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self._show_problem(str(exc))
            rows = []
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> DocumentRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        record = self.selected()
        self.open_button.setEnabled(record is not None)
        self.error_button.setEnabled(record is not None and not record.entered_in_error)

    def _show_problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- attaching -----------------------------------------------------------------------

    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Attach a file to the chart")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(
            [
                "Documents and pictures (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)",
                "All files (*)",
            ]
        )
        dialog.fileSelected.connect(lambda name: self.ask_details(Path(name)))
        dialog.open()

    def ask_details(self, path: Path) -> AttachDialog:
        dialog = AttachDialog(self, path)
        dialog.open()
        return dialog

    def attach_file(
        self,
        path: Path | str,
        *,
        title: str | None = None,
        category: str = "other",
        document_date: date | None = None,
    ) -> DocumentRecord | str:
        """Attach the file; the new record, or what is wrong (also shown in the pane)."""
        path = Path(path)
        try:
            size = path.stat().st_size
            data = path.read_bytes() if size <= MAX_DOCUMENT_BYTES else None
        except OSError as exc:
            problem = f"{path.name} cannot be read: {exc.strerror or exc}."
            self._show_problem(problem)
            return problem
        if data is None:
            problem = (
                f"{path.name} is {size_text(size)}; a document may be at most "
                f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB."
            )
            self._show_problem(problem)
            return problem
        try:
            record = attach_document(
                self.actor,
                self.patient_id,
                data,
                title=path.stem if title is None else title,
                category=category,
                document_date=document_date or date.today(),
                file_name=path.name,
            )
        except UserError as exc:
            self._show_problem(str(exc))
            return str(exc)
        self._show_problem("")
        self.reload()
        self._select(record.id)
        self.changed.emit()
        return record

    def _select(self, document_id: int) -> None:
        for row, doc in enumerate(self.model.rows):
            if doc.id == document_id:
                self.table.selectRow(row)
                return

    # --- opening and striking --------------------------------------------------------------

    def open_selected(self) -> DocumentViewer | None:
        record = self.selected()
        if record is None:
            return None
        return self.open_document(record.id)

    def open_document(self, document_id: int) -> DocumentViewer | None:
        """Show the document (checked against its SHA-256); a viewer window for images and PDFs,
        the computer's own program for other files."""
        try:
            record, data = open_document(self.actor, document_id)
        except UserError as exc:
            self._show_problem(str(exc))
            return None
        self._show_problem("")
        if not shown_in_app(record):
            open_outside(record, data)
            return None
        viewer = DocumentViewer(record, data, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.destroyed.connect(lambda _obj=None, v=viewer: self._forget(v))
        self.viewers.append(viewer)
        viewer.show()
        return viewer

    def _forget(self, viewer: DocumentViewer) -> None:
        if viewer in self.viewers:
            self.viewers.remove(viewer)

    def enter_in_error(self) -> EnteredInErrorDialog | None:
        record = self.selected()
        if record is None or record.entered_in_error:
            return None
        dialog = EnteredInErrorDialog(
            f'"{record.title}"', self, placeholder="wrong patient, duplicate, unreadable scan …"
        )
        dialog.accepted.connect(lambda: self._mark_in_error(record, dialog.reason_text()))
        dialog.open()
        return dialog

    def _mark_in_error(self, record: DocumentRecord, reason: str) -> None:
        try:
            mark_document_entered_in_error(self.actor, record.id, record.version, reason)
        except UserError as exc:
            self._show_problem(str(exc))
            return
        self.reload()
        self.changed.emit()
