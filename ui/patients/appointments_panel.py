"""A patient's appointments beside the registration: upcoming (soonest first) and past."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError
from emr.localtime import now_local
from emr.services.context import Actor
from emr.services.scheduling import AppointmentRecord, patient_appointments
from ui.patients.search_model import appointment_time
from ui.style import ERROR_STYLE

COLUMNS = ("Date and time", "Provider", "Type", "Status")
NOT_HELD = QColor("#7a7f87")  # cancelled and missed visits, greyed


def status_text(a: AppointmentRecord) -> str:
    if a.status == "cancelled" and a.cancel_reason:
        return f"{a.status_label}: {a.cancel_reason}"
    return a.status_label


class AppointmentListModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[AppointmentRecord] = []

    def set_rows(self, rows: list[AppointmentRecord]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def appointment_at(self, row: int) -> AppointmentRecord:
        return self.rows[row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        a = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{appointment_time(a.starts)}–{a.ends:%H:%M}",
                a.provider_name,
                a.type_name,
                status_text(a),
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and not a.holds_slot:
            return NOT_HELD
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [f"{a.minutes} min with {a.provider_name}"]
            if a.reason:
                parts.append(f"Reason for visit: {a.reason}")
            if a.cancel_reason:
                parts.append(f"Cancelled: {a.cancel_reason}")
            return "\n".join(parts)
        return None


def _table(name: str, model: AppointmentListModel) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


class PatientAppointments(QWidget):
    """`show_patient(id)` lists that patient's appointments; `clear()` lists none."""

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.upcoming = AppointmentListModel(self)
        self.past = AppointmentListModel(self)
        self.upcoming_title = QLabel()
        self.upcoming_title.setObjectName("upcomingTitle")
        self.past_title = QLabel()
        self.past_title.setObjectName("pastTitle")
        for title in (self.upcoming_title, self.past_title):
            title.setStyleSheet("font-weight: bold;")
        self.problem = QLabel()
        self.problem.setObjectName("appointmentsProblem")
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.upcoming_table = _table("upcomingAppointments", self.upcoming)
        self.past_table = _table("pastAppointments", self.past)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.problem)
        layout.addWidget(self.upcoming_title)
        layout.addWidget(self.upcoming_table, 1)
        layout.addWidget(self.past_title)
        layout.addWidget(self.past_table, 2)
        self.clear()

    def clear(self) -> None:
        self._show([], [])

    def show_patient(self, patient_id: int, *, now: datetime | None = None) -> None:
        try:
            found = patient_appointments(self.actor, patient_id)
        except UserError as exc:
            self.clear()
            self.problem.setText(f"Appointments not shown: {exc}")
            self.problem.show()
            return
        now = now or now_local()
        # The service lists newest first: the past reads that way, the upcoming soonest first.
        upcoming = [a for a in reversed(found) if a.starts >= now]
        past = [a for a in found if a.starts < now]
        self._show(upcoming, past)

    def _show(self, upcoming: list[AppointmentRecord], past: list[AppointmentRecord]) -> None:
        self.problem.hide()
        self.upcoming.set_rows(upcoming)
        self.past.set_rows(past)
        self.upcoming_title.setText(f"Upcoming appointments ({len(upcoming)})")
        self.past_title.setText(f"Past appointments ({len(past)})")
