"""The patient search results as a Qt table model, fed by the search service's records."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from emr.services.patients import PatientSummary

SEX_LABELS = {"F": "Female", "M": "Male", "O": "Other", "U": "Unknown"}
COLUMNS = ("MRN", "Name", "Date of birth", "Sex", "Phone")


class PatientSearchModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[PatientSummary] = []

    def set_rows(self, rows: list[PatientSummary]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def patient_at(self, row: int) -> PatientSummary:
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
        p = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
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
