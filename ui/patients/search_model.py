"""The patient search results as a Qt table model, fed by the search service's records."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from emr.services.patients import PatientSummary

SEX_LABELS = {"F": "Female", "M": "Male", "O": "Other", "U": "Unknown"}
COLUMNS = ("MRN", "Name", "Date of birth", "Sex", "Phone")
NEXT_APPOINTMENT = "Next appointment"


def appointment_time(when: datetime) -> str:
    """A local appointment time as the front desk reads it: Thu 2026-12-03 09:30."""
    return f"{when:%a %Y-%m-%d %H:%M}"


class PatientSearchModel(QAbstractTableModel):
    """With `next_appointment`, one more column: each patient's next appointment."""

    def __init__(self, parent=None, *, next_appointment: bool = False) -> None:
        super().__init__(parent)
        self.rows: list[PatientSummary] = []
        self.next_visits: dict[int, datetime] = {}
        self.columns = COLUMNS + ((NEXT_APPOINTMENT,) if next_appointment else ())

    def set_rows(
        self, rows: list[PatientSummary], next_visits: dict[int, datetime] | None = None
    ) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.next_visits = dict(next_visits or {})
        self.endResetModel()

    def patient_at(self, row: int) -> PatientSummary:
        return self.rows[row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        p = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == len(COLUMNS):
                when = self.next_visits.get(p.id)
                return appointment_time(when) if when else ""
            return (
                p.mrn,
                p.display_name + ("" if p.active else " (inactive)") + (" †" if p.deceased else ""),
                f"{p.date_of_birth.isoformat()} ({p.age()})",
                SEX_LABELS.get(p.sex, p.sex),
                p.phone,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return p.display_name
        return None
