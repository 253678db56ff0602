"""Importing the patient's home measurements (a PHR app's FHIR file or CSV): choose the file;
for a CSV say which column holds the date/time, type, value and unit, with the first rows
shown; then the report of what was imported, what was there already and what was skipped and
why. Open it with open(); `imported` is emitted with the report after an import."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError
from emr.interop.phr.csv_import import ColumnMap
from emr.services.context import Actor
from emr.services.phr import CsvPreview, PhrReport, detect_kind, import_phr, preview_csv, read_file
from ui.style import ERROR_STYLE
from ui.widgets.shortcuts import add_save_shortcut

CHOOSE, MAP, REPORT = range(3)
NOT_CHOSEN = "(choose a column)"
NO_COLUMN = "(none)"
PREVIEW_ROWS = 5
_FIELDS = (  # ColumnMap field, label with its mnemonic, required
    ("time", "&Date/time column:", True),
    ("type", "&Type column:", True),
    ("value", "&Value column:", True),
    ("unit", "&Unit column:", True),
    ("source", "App/de&vice column:", False),
)


class PhrImportDialog(QDialog):
    imported = Signal(object)  # the PhrReport

    def __init__(self, actor: Actor, patient_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.report: PhrReport | None = None
        self.preview: CsvPreview | None = None
        self.setObjectName("phrImportDialog")
        self.setWindowTitle("Import home measurements")
        self.resize(720, 460)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._choose_page())
        self.pages.addWidget(self._map_page())
        self.pages.addWidget(self._report_page())

        self.error = QLabel()
        self.error.setObjectName("phrError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.error)
        add_save_shortcut(self, self._go_on)
        self._show_page(CHOOSE)

    # --- pages ------------------------------------------------------------------------------

    def _choose_page(self) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Choose the file the patient's app or device exported: a FHIR file (.json) or a "
            "CSV with a date/time, type, value and unit for each measurement."
        )
        intro.setWordWrap(True)
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("phrFile")
        self.file_edit.setPlaceholderText("The file's path")
        browse = QPushButton("&Browse…")
        browse.setObjectName("phrBrowse")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit)
        file_row.addWidget(browse)
        self.source_edit = QLineEdit()
        self.source_edit.setObjectName("phrSource")
        self.source_edit.setPlaceholderText("e.g. Omron Connect (when the file does not say)")
        form = QFormLayout()
        file_label = QLabel("&File:")
        file_label.setBuddy(self.file_edit)
        form.addRow(file_label, file_row)
        source_label = QLabel("&App or device:")
        source_label.setBuddy(self.source_edit)
        form.addRow(source_label, self.source_edit)

        self.next_button = QPushButton("&Next")
        self.next_button.setObjectName("phrNext")
        self.next_button.clicked.connect(self._next)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch()
        layout.addLayout(_buttons(cancel, self.next_button))
        return page

    def _map_page(self) -> QWidget:
        page = QWidget()
        intro = QLabel("Say which column holds what. The first rows of the file:")
        intro.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setObjectName("phrPreview")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.rows_label = QLabel()
        self.rows_label.setObjectName("phrRowCount")
        self.combos: dict[str, QComboBox] = {}
        form = QFormLayout()
        for field, label_text, _required in _FIELDS:
            combo = QComboBox()
            combo.setObjectName(f"phrColumn_{field}")
            label = QLabel(label_text)
            label.setBuddy(combo)
            form.addRow(label, combo)
            self.combos[field] = combo
        back = QPushButton("&Back")
        back.setObjectName("phrBack")
        back.setAutoDefault(False)
        back.clicked.connect(lambda: self._show_page(CHOOSE))
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("phrImport")
        self.import_button.clicked.connect(self._import_csv)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(self.rows_label)
        layout.addLayout(form)
        layout.addLayout(_buttons(back, self.import_button))
        return page

    def _report_page(self) -> QWidget:
        page = QWidget()
        self.summary = QLabel()
        self.summary.setObjectName("phrSummary")
        self.summary.setWordWrap(True)
        self.skipped = QTableWidget(0, 2)
        self.skipped.setObjectName("phrSkipped")
        self.skipped.setHorizontalHeaderLabels(["Where", "Why it was skipped"])
        self.skipped.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.skipped.horizontalHeader().setStretchLastSection(True)
        self.close_button = QPushButton("&Close")
        self.close_button.setObjectName("phrClose")
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(page)
        layout.addWidget(self.summary)
        layout.addWidget(self.skipped)
        layout.addLayout(_buttons(None, self.close_button))
        return page

    # --- steps ------------------------------------------------------------------------------

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self._hide_error()
        default = {CHOOSE: self.next_button, MAP: self.import_button, REPORT: self.close_button}
        for button in default.values():
            button.setDefault(False)
        default[index].setDefault(True)
        focus = {CHOOSE: self.file_edit, MAP: self.combos["time"], REPORT: self.close_button}
        focus[index].setFocus()

    def _go_on(self) -> None:
        """Ctrl+S: the current page's main button."""
        {CHOOSE: self._next, MAP: self._import_csv, REPORT: self.accept}[
            self.pages.currentIndex()
        ]()

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose the file", "", "Health data (*.json *.csv *.txt);;All files (*)"
        )
        if path:
            self.file_edit.setText(path)

    def _path(self) -> Path | None:
        text = self.file_edit.text().strip()
        if not text:
            self._show_error("Choose the file to import.")
            self.file_edit.setFocus()
            return None
        return Path(text)

    def _next(self) -> None:
        path = self._path()
        if path is None:
            return
        try:
            data, _name = read_file(path)
            if detect_kind(data) == "fhir":
                self._finish(
                    import_phr(self.actor, self.patient_id, path, kind="fhir", **self._source())
                )
                return
            self.preview = preview_csv(data, PREVIEW_ROWS)
        except UserError as exc:
            self._show_error(str(exc))
            return
        self._fill_mapping(self.preview)
        self._show_page(MAP)

    def _source(self) -> dict[str, str]:
        return {"source_name": self.source_edit.text().strip()}

    def _fill_mapping(self, preview: CsvPreview) -> None:
        self.table.clear()
        self.table.setColumnCount(len(preview.headers))
        self.table.setRowCount(len(preview.rows))
        self.table.setHorizontalHeaderLabels(preview.headers)
        for r, row in enumerate(preview.rows):
            for c, text in enumerate(row[: len(preview.headers)]):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.rows_label.setText(f"{preview.row_count} row(s) in the file.")
        for field, _label, required in _FIELDS:
            combo = self.combos[field]
            combo.clear()
            combo.addItem(NOT_CHOSEN if required else NO_COLUMN, "")
            for header in preview.headers:
                combo.addItem(header, header)
            guessed = getattr(preview.guess, field)
            combo.setCurrentIndex(max(combo.findData(guessed), 0) if guessed else 0)

    def column_map(self) -> ColumnMap:
        return ColumnMap(**{f: self.combos[f].currentData() or "" for f, _l, _r in _FIELDS})

    def _import_csv(self) -> None:
        path = self._path()
        if path is None:
            return
        try:
            report = import_phr(
                self.actor,
                self.patient_id,
                path,
                kind="csv",
                column_map=self.column_map(),
                **self._source(),
            )
        except UserError as exc:
            self._show_error(str(exc))
            return
        self._finish(report)

    def _finish(self, report: PhrReport) -> None:
        self.report = report
        self.summary.setText(report.summary())
        self.skipped.setRowCount(len(report.skipped))
        for r, (where, why) in enumerate(report.skipped):
            self.skipped.setItem(r, 0, QTableWidgetItem(where))
            self.skipped.setItem(r, 1, QTableWidgetItem(why))
        self.skipped.setVisible(bool(report.skipped))
        self._show_page(REPORT)
        self.imported.emit(report)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _hide_error(self) -> None:
        self.error.clear()
        self.error.hide()


def _buttons(left: QPushButton | None, right: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch()
    if left is not None:
        row.addWidget(left)
    row.addWidget(right)
    return row
