"""The Problems tab: active problems first, then resolved and inactive ones; add, edit,
resolve, and mark entered in error (shown struck through when asked for).

The table model and the entered-in-error dialog here are shared by the other list panes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from emr.errors import UserError
from emr.services.problems import (
    STATUS_LABELS,
    ProblemRecord,
    list_problems,
    mark_problem_entered_in_error,
    resolve_problem,
)
from ui.admin import RecordTableModel
from ui.chart.pane import ChartPane
from ui.chart.problem_dialog import ProblemDialog

STRUCK_COLOUR = QColor("#888888")


def day(value) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


class ChartTableModel(RecordTableModel):
    """Records with `entered_in_error` are shown struck through and grey."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and getattr(self.rows[index.row()], "entered_in_error", False):
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setStrikeOut(True)
                return font
            if role == Qt.ItemDataRole.ForegroundRole:
                return STRUCK_COLOUR
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Entered in error: {self.rows[index.row()].error_reason}"
        return super().data(index, role)


def record_table(model: ChartTableModel, name: str) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def selected_record(table: QTableView) -> Any | None:
    model = table.model()
    index = table.currentIndex()
    if not index.isValid() or not isinstance(model, RecordTableModel):
        return None
    return model.record_at(index.row())


def button(text: str, name: str, slot: Callable[[], None]) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.clicked.connect(slot)
    return b


class EnteredInErrorDialog(QDialog):
    """Asks why a record is entered in error; `reason` after it is accepted."""

    def __init__(self, what: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("enteredInErrorDialog")
        self.setWindowTitle("Entered in error")
        text = QLabel(
            f"Mark this {what} entered in error? It stays in the chart, struck through, "
            "with the reason."
        )
        text.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText("Reason (e.g. entered in the wrong chart)")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Mark entered in error")
        self.ok.setEnabled(False)
        self.reason_edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.buttons)
        self.reason_edit.setFocus()

    @property
    def reason(self) -> str:
        return self.reason_edit.text().strip()


class ProblemsPane(ChartPane):
    title = "Problems"

    def __init__(self, actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.dialog: QDialog | None = None
        self.model = ChartTableModel(
            [
                ("Code", lambda p: p.icd10_code),
                ("Problem", lambda p: p.description),
                ("Status", lambda p: STATUS_LABELS.get(p.status, p.status)),
                ("Onset", lambda p: day(p.onset)),
                ("Resolved", lambda p: day(p.resolved_on)),
                ("Notes", lambda p: p.notes.replace("\n", " ")),
            ],
            self,
            foreground=lambda p: None if p.status == "active" else STRUCK_COLOUR,
        )
        self.table = record_table(self.model, "problemsTable")
        self.table.doubleClicked.connect(lambda _index: self.edit_problem())
        self.error = self.error_label()
        self.error.setObjectName("problemsError")
        self.add_button = button("&Add…", "addProblem", self.add_problem)
        self.edit_button = button("&Edit…", "editProblem", self.edit_problem)
        self.resolve_button = button("&Resolve", "resolveProblem", self.resolve)
        self.error_button = button("Entered in e&rror…", "problemInError", self.enter_in_error)
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.setObjectName("showProblemErrors")
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        for widget in (self.add_button, self.edit_button, self.resolve_button, self.error_button):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.show_errors)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._enable)
        self.reload()

    def reload(self) -> None:
        self.error.clear()
        try:
            rows = list_problems(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.error.setText(exc.message)
            rows = []
        self.model.set_rows(rows)
        self._enable()

    @property
    def problems(self) -> list[ProblemRecord]:
        return list(self.model.rows)

    def selected(self) -> ProblemRecord | None:
        return selected_record(self.table)

    def _enable(self, *_args) -> None:
        problem = self.selected()
        usable = problem is not None and not problem.entered_in_error
        self.edit_button.setEnabled(usable)
        self.error_button.setEnabled(usable)
        self.resolve_button.setEnabled(usable and problem.status != "resolved")

    def _open(self, dialog: QDialog, on_accepted: Callable[[], None]) -> None:
        self.dialog = dialog

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                on_accepted()

        dialog.finished.connect(finished)
        dialog.open()

    def _saved(self) -> None:
        self.reload()
        self.changed.emit()

    def add_problem(self) -> None:
        self._open(ProblemDialog(self.actor, self.patient_id, parent=self), self._saved)

    def edit_problem(self) -> None:
        problem = self.selected()
        if problem is None or problem.entered_in_error:
            return
        dialog = ProblemDialog(self.actor, self.patient_id, problem=problem, parent=self)
        self._open(dialog, self._saved)

    def resolve(self) -> None:
        problem = self.selected()
        if problem is None:
            return
        try:
            resolve_problem(self.actor, problem.id, problem.version)
        except UserError as exc:
            self.error.setText(exc.message)
            return
        self._saved()

    def enter_in_error(self) -> None:
        problem = self.selected()
        if problem is None:
            return
        dialog = EnteredInErrorDialog("problem", self)

        def mark() -> None:
            try:
                mark_problem_entered_in_error(
                    self.actor, problem.id, problem.version, dialog.reason
                )
            except UserError as exc:
                self.error.setText(exc.message)
                return
            self._saved()

        self._open(dialog, mark)
