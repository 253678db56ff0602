"""The Chart workspace: find a patient and open their chart. A role without chart access is
refused by the services; where the role may break the glass, it can ask for emergency access
with a reason (read only, recorded for review)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from emr.errors import PermissionDenied, UserError
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.emergency import grant_emergency_access
from emr.services.patients import PatientSummary
from ui.chart.window import ChartView
from ui.style import ERROR_STYLE
from ui.widgets.patient_picker import PatientPicker
from ui.widgets.reason_dialog import ReasonDialog


class ChartWorkspace(QWidget):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.chart: ChartView | None = None
        self.dialog: ReasonDialog | None = None
        self._refused_patient: PatientSummary | None = None
        self.picker = PatientPicker(actor)
        self.picker.collapse_on_choice = True
        self.picker.selected.hide()  # the chart's banner says who it is
        self.picker.chosen.connect(lambda p: self.open_chart(p.id, p))
        self.message = QLabel()
        self.message.setObjectName("chartMessage")
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.hide()
        self.emergency_button = QPushButton("Emergency access…")
        self.emergency_button.setObjectName("emergencyAccess")
        self.emergency_button.hide()
        self.emergency_button.clicked.connect(self.ask_emergency_access)
        refused = QHBoxLayout()
        refused.addWidget(self.message, 1)
        refused.addWidget(self.emergency_button)
        self.area = QVBoxLayout()
        self.hint = QLabel("Find a patient to open their chart.")
        self.area.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker)
        layout.addLayout(refused)
        layout.addLayout(self.area, 1)

    def focus_search(self) -> None:
        self.picker.search.setFocus()
        self.picker.search.selectAll()

    def open_chart(self, patient_id: int, patient: PatientSummary | None = None) -> bool:
        """Show this patient's chart; False (with the reason shown) if it may not be opened."""
        self.message.hide()
        self.emergency_button.hide()
        try:
            chart = ChartView(self.actor, patient_id)
        except PermissionDenied as exc:
            self.message.setText(str(exc))
            self.message.show()
            self._refused_patient = patient
            self._refused_id = patient_id
            self.emergency_button.setVisible(self.actor.can(Permission.EMERGENCY_ACCESS))
            self._clear()
            return False
        except UserError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return False
        self._clear()
        self.hint.hide()
        self.chart = chart
        self.area.addWidget(chart, 1)
        chart.show()
        return True

    def _clear(self) -> None:
        if self.chart is not None:
            self.area.removeWidget(self.chart)
            self.chart.deleteLater()
            self.chart = None
        self.hint.show()

    def ask_emergency_access(self) -> None:
        name = self._refused_patient.display_name if self._refused_patient else "this patient"
        dialog = ReasonDialog(
            "Emergency access",
            f"Open {name}'s chart in an emergency? Access is read only, lasts a limited time and "
            "is recorded with your reason for the administrator's review.",
            "Open chart",
            warning=True,
            minimum=10,
            parent=self,
        )
        self.dialog = dialog

        def granted() -> None:
            self.dialog = None
            try:
                grant_emergency_access(self.actor, self._refused_id, dialog.reason.text())
            except UserError as exc:
                self.message.setText(str(exc))
                self.message.show()
                return
            self.open_chart(self._refused_id, self._refused_patient)

        dialog.accepted.connect(granted)
        dialog.rejected.connect(lambda: setattr(self, "dialog", None))
        dialog.open()
        dialog.activateWindow()

    def smoke_test(self) -> str:
        for query in ("a", "e", "o"):
            self.picker.search.setText(query)
            self.picker.search_now()
            if self.picker.results.count():
                break
        if not self.picker.results.count():
            return "Chart (no patients in the database)"
        self.picker.results.setCurrentRow(0)
        self.picker.take_current()
        if self.chart is None:
            return f"Chart (not opened: {self.message.text()})"
        opened = [self.chart.tabs.tabText(i) for i in range(self.chart.tabs.count())]
        return f"Chart ({self.chart.header.patient.display_name}: {', '.join(opened)})"
