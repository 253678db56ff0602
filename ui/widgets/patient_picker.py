"""Choosing the patient of an appointment with the same instant search as the Patients
workspace: type, then Enter (or Down and Enter) takes the highlighted patient."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from emr.errors import UserError
from emr.services.context import Actor
from emr.services.patients import PatientSummary, search_patients
from ui.style import ERROR_STYLE

SEARCH_DELAY_MS = 150
RESULTS = 20


class _SearchLine(QLineEdit):
    def __init__(self, picker: PatientPicker) -> None:
        super().__init__()
        self.picker = picker

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.picker.search_now()
            self.picker.take_current()
            return
        if key == Qt.Key.Key_Down and self.picker.results.count():
            self.picker.results.setFocus()
            self.picker.results.setCurrentRow(max(0, self.picker.results.currentRow()))
            return
        super().keyPressEvent(event)


class _Results(QListWidget):
    def __init__(self, picker: PatientPicker) -> None:
        super().__init__()
        self.picker = picker

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.picker.take_current()
            return
        if event.key() == Qt.Key.Key_Up and self.currentRow() <= 0:
            self.picker.search.setFocus()
            return
        super().keyPressEvent(event)


class PatientPicker(QWidget):
    chosen = Signal(object)  # PatientSummary

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient: PatientSummary | None = None
        self.search = _SearchLine(self)
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("Patient: name, date of birth, MRN or phone")
        self.search.setClearButtonEnabled(True)
        self.results = _Results(self)
        self.results.setObjectName("patientResults")
        self.results.setMaximumHeight(110)
        self.results.itemActivated.connect(lambda _item: self.take_current())
        self.results.itemDoubleClicked.connect(lambda _item: self.take_current())
        self.selected = QLabel("No patient chosen")
        self.selected.setObjectName("chosenPatient")
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.search, self.results, self.selected, self.error):
            layout.addWidget(widget)
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.search_now)
        self.search.textEdited.connect(lambda _text: self._timer.start())
        self._searched = ""
        self._locked = False
        self.collapse_on_choice = False  # the Chart sets it: the list closes once a chart opens

    def search_now(self) -> None:
        self._timer.stop()
        query = self.search.text().strip()
        if query == self._searched:
            return
        self._searched = query
        self.results.clear()
        self.results.setVisible(not self._locked)
        self.error.hide()
        if not query:
            return
        try:
            found = search_patients(self.actor, query, limit=RESULTS)
        except UserError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        for p in found:
            item = QListWidgetItem(
                f"{p.display_name} · {p.date_of_birth:%m/%d/%Y} · MRN {p.mrn}"
                + (f" · {p.phone}" if p.phone else "")
            )
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
        else:
            self.error.setText("No patient found. New patients are registered in the Patients tab.")
            self.error.show()

    def take_current(self) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        self.set_patient(item.data(Qt.ItemDataRole.UserRole))
        if self.collapse_on_choice:
            self.results.hide()  # the chosen patient's banner shows below; typing shows them again
        self.focusNextChild()

    def set_patient(self, patient: PatientSummary) -> None:
        self.patient = patient
        self.selected.setText(
            f"<b>{patient.display_name}</b> · born {patient.date_of_birth:%m/%d/%Y} · "
            f"MRN {patient.mrn}"
        )
        self.chosen.emit(patient)

    def lock_to(self, name: str) -> None:
        """An existing appointment keeps its patient: show it, without the search."""
        self._locked = True
        self.search.hide()
        self.results.hide()
        self.selected.setText(f"<b>{name}</b>")
