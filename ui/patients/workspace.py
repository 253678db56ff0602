"""The Patients workspace: search as you type, open a registration, register a new patient."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.patients import PatientSummary, get_patient, search_patients
from emr.services.scheduling import next_appointments
from ui.patients.patient_form import PatientForm
from ui.patients.search_model import PatientSearchModel

SEARCH_DELAY_MS = 150
log = logging.getLogger(__name__)


class ResultsTable(QTableView):
    """Enter opens the selected patient, as double-click does."""

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.doubleClicked.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class SearchBox(QLineEdit):
    """Down moves into the results; Enter opens the first one."""

    def __init__(self, results: ResultsTable) -> None:
        super().__init__()
        self.results = results

    def keyPressEvent(self, event) -> None:  # noqa: N802
        model = self.results.model()
        if event.key() == Qt.Key.Key_Down and model.rowCount():
            self.results.setFocus()
            self.results.selectRow(0)
            return
        super().keyPressEvent(event)


class PatientsWorkspace(QWidget):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.shows_next_appointment = actor.can(Permission.SCHEDULE_READ)
        self.model = PatientSearchModel(self, next_appointment=self.shows_next_appointment)
        self.table = ResultsTable()
        self.table.setObjectName("results")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self.open_patient(index.row()))

        self.search = SearchBox(self.table)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(
            "Find a patient: name (any order, start of words), date of birth, MRN or phone"
        )
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self._open_first)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _: self._timer.start())

        self.count = QLabel()
        self.count.setObjectName("count")
        self.new_button = QPushButton("&New patient")
        self.new_button.setObjectName("newPatient")
        self.new_button.setToolTip("Register a new patient (Ctrl+N)")
        self.new_button.clicked.connect(self.new_patient)
        self.new_button.setEnabled(actor.can(Permission.PATIENT_WRITE))

        search_page = QWidget()
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        column = QVBoxLayout(search_page)
        column.addLayout(top)
        column.addWidget(self.table, 1)
        column.addWidget(self.count)

        self.form = PatientForm(actor)
        self.form.closed.connect(self.show_search)
        self.form.saved.connect(lambda _: self.run_search())
        self.stack = QStackedWidget()
        self.stack.addWidget(search_page)
        self.stack.addWidget(self.form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def run_search(self) -> None:
        self._timer.stop()
        query = self.search.text().strip()
        try:
            rows = search_patients(self.actor, query) if query else []
        except UserError as exc:
            self.count.setText(str(exc))
            return
        self.model.set_rows(rows, self._next_appointments(rows))
        if query:
            self.count.setText(f"{len(rows)} patient{'s' if len(rows) != 1 else ''} found")
        else:
            self.count.setText("")

    def _next_appointments(self, rows: list[PatientSummary]) -> dict[int, datetime]:
        """The page's next appointments, in one query for all its patients."""
        if not (rows and self.shows_next_appointment):
            return {}
        try:
            return next_appointments(self.actor, [p.id for p in rows])
        except UserError as exc:
            log.warning("next appointments not shown: %s", type(exc).__name__)
            return {}

    def search_pending(self) -> bool:
        """Typing has changed the query and the search for it has not run yet."""
        return self._timer.isActive()

    def _open_first(self) -> None:
        self.run_search()
        if self.model.rowCount():
            self.open_patient(0)

    def open_patient(self, row: int) -> None:
        summary = self.model.patient_at(row)
        try:
            record = get_patient(self.actor, summary.id)
        except UserError as exc:
            QMessageBox.warning(self, "Patient", str(exc))
            return
        self.form.load(record)
        self.stack.setCurrentWidget(self.form)

    def new_patient(self) -> None:
        if not self.actor.can(Permission.PATIENT_WRITE):
            return
        self.form.start_new()
        self.stack.setCurrentWidget(self.form)
        self.form.editors["family_name"].setFocus()

    def show_search(self) -> None:
        self.stack.setCurrentIndex(0)
        self.focus_search()

    def focus_search(self) -> None:
        if self.stack.currentWidget() is self.form and self.form.has_unsaved_changes():
            # Ctrl+F never throws away what is being typed into the form.
            self.form.summary.setText(
                "Save or go back to the search first: there are unsaved changes."
            )
            return
        self.stack.setCurrentIndex(0)
        self.search.setFocus()
        self.search.selectAll()

    def has_unsaved_changes(self) -> bool:
        return self.stack.currentWidget() is self.form and self.form.has_unsaved_changes()
