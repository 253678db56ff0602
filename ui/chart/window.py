"""One patient's chart: the header (who, allergies, active problems, current medications) and
a tab per part of the record. A tab is built and read when first shown, so the chart opens
with the header and one pane; a save in any pane refreshes the header and marks the other
panes to read again when next shown."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from emr.errors import UserError
from emr.services.chart import RECORDED, ChartHeader, open_chart
from emr.services.context import Actor
from ui.chart.pane import ChartPane
from ui.style import ERROR_STYLE
from ui.widgets.patient_banner import PatientBanner

log = logging.getLogger(__name__)

# (module, class): the chart's panes in tab order. Each is a ChartPane.
PANES: list[tuple[str, str]] = [
    ("ui.chart.timeline_pane", "TimelinePane"),
    ("ui.chart.encounters_pane", "EncountersPane"),
    ("ui.chart.problems_pane", "ProblemsPane"),
    ("ui.chart.medications_pane", "MedicationsPane"),
    ("ui.chart.prescriptions_pane", "PrescriptionsPane"),
    ("ui.chart.referrals_pane", "ReferralsPane"),
    ("ui.chart.allergies_pane", "AllergiesPane"),
    ("ui.chart.vitals_pane", "VitalsPane"),
    ("ui.chart.immunizations_pane", "ImmunizationsPane"),
    ("ui.chart.results_pane", "ResultsPane"),
    ("ui.chart.history_pane", "HistoryPane"),
    ("ui.chart.documents_pane", "DocumentsPane"),
    ("ui.chart.amendments_pane", "AmendmentsPane"),
]
# Where a record named by the timeline or the chart search is shown: its table -> pane.
PANE_OF_ENTITY: dict[str, str] = {
    "encounters": "EncountersPane",
    "notes": "EncountersPane",
    "problems": "ProblemsPane",
    "allergies": "AllergiesPane",
    "medications": "MedicationsPane",
    "prescriptions": "PrescriptionsPane",
    "referrals": "ReferralsPane",
    "immunizations": "ImmunizationsPane",
    "observations": "VitalsPane",
    "lab_panels": "ResultsPane",
    "documents": "DocumentsPane",
    "amendment_requests": "AmendmentsPane",
    "history_entries": "HistoryPane",
}
ALLERGY_STYLE = "color: #b00020; font-weight: bold;"
NOT_RECORDED_STYLE = "color: #8a6d00; font-weight: bold;"
EMERGENCY_STYLE = "background: #b00020; color: white; font-weight: bold; padding: 2px 8px;"


class _Placeholder(QWidget):
    """Where a pane goes until it is first shown."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__()
        self.module, self.name = module, name


class ChartView(QWidget):
    """Raises the service's UserError (e.g. PermissionDenied) from the constructor: a chart
    that may not be opened is never shown."""

    open_requested = Signal(str, int)  # entity, id: from the timeline or the chart search

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.header: ChartHeader = open_chart(actor, patient_id)
        self._stale: set[int] = set()

        self.banner = PatientBanner()
        self.emergency = QLabel("EMERGENCY ACCESS — read only, recorded for review")
        self.emergency.setObjectName("emergencyMarker")
        self.emergency.setStyleSheet(EMERGENCY_STYLE)
        self.allergies = QLabel()
        self.allergies.setObjectName("chartAllergies")
        self.allergies.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setObjectName("chartProblems")
        self.problems.setWordWrap(True)
        self.medications = QLabel()
        self.medications.setObjectName("chartMedications")
        self.medications.setWordWrap(True)
        summary = QVBoxLayout()
        summary.addWidget(self.emergency)
        summary.addWidget(self.allergies)
        summary.addWidget(self.problems)
        summary.addWidget(self.medications)
        top = QHBoxLayout()
        top.addWidget(self.banner)
        top.addLayout(summary, 1)

        self.search_box = self._search_box()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("chartTabs")
        self.panes: dict[str, ChartPane] = {}
        for module, name in PANES:
            placeholder = _Placeholder(module, name)
            title = name.removesuffix("Pane")
            self.tabs.addTab(placeholder, title)
        self.tabs.currentChanged.connect(self._shown)

        self.message = QLabel()
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()
        self.export_button = QPushButton("E&xport for patient…")
        self.export_button.setObjectName("exportFhir")
        self.export_button.setToolTip("The record as a FHIR R4 file for the patient's health app")
        self.export_button.clicked.connect(self.export_for_patient)
        tools = QHBoxLayout()
        if self.search_box is not None:
            tools.addWidget(self.search_box, 1)
        tools.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(tools)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self._show_header()
        self.open_requested.connect(self.open_record)
        self._shown(self.tabs.currentIndex())

    # --- header -------------------------------------------------------------------------------

    def _show_header(self) -> None:
        h = self.header
        self.banner.set_patient(h.patient, h.photo)
        self.emergency.setVisible(h.emergency)
        self.allergies.setText(h.allergy_text)
        self.allergies.setStyleSheet(
            ALLERGY_STYLE
            if h.allergy_state == RECORDED
            else NOT_RECORDED_STYLE
            if h.allergy_state == "not_recorded"
            else ""
        )
        self.problems.setText(
            "Active problems: " + ("; ".join(h.problems) if h.problems else "none recorded")
        )
        self.medications.setText(
            "Current medications: " + ("; ".join(h.medications) if h.medications else "none")
        )

    def refresh_header(self) -> None:
        try:
            self.header = open_chart(self.actor, self.patient_id)
        except UserError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        self._show_header()

    # --- panes --------------------------------------------------------------------------------

    def _search_box(self) -> QWidget | None:
        try:
            from ui.chart.chart_search import ChartSearchBox
        except ImportError:
            return None
        box = ChartSearchBox(self.actor, self.patient_id)
        box.open_requested.connect(self.open_requested)
        return box

    def _shown(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, _Placeholder):
            self._build(index, widget)
        elif index in self._stale and isinstance(widget, ChartPane):
            self._stale.discard(index)
            self._reload(widget)

    def _build(self, index: int, placeholder: _Placeholder) -> None:
        try:
            cls = getattr(importlib.import_module(placeholder.module), placeholder.name)
        except (ImportError, AttributeError):
            log.warning("chart pane %s.%s is not available", placeholder.module, placeholder.name)
            return
        try:
            pane: ChartPane = cls(self.actor, self.patient_id)
        except UserError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        pane.changed.connect(lambda p=pane: self._pane_changed(p))
        if hasattr(pane, "open_requested"):
            pane.open_requested.connect(self.open_requested)
        self.panes[placeholder.name] = pane
        self.tabs.blockSignals(True)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, pane, pane.title)
        self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()

    def _reload(self, pane: ChartPane) -> None:
        try:
            pane.reload()
        except UserError as exc:
            self.message.setText(str(exc))
            self.message.show()

    def _pane_changed(self, pane: ChartPane) -> None:
        self.refresh_header()
        current = self.tabs.indexOf(pane)
        self._stale = {i for i in range(self.tabs.count()) if i != current}

    def show_pane(self, name: str) -> ChartPane | None:
        """Bring the pane of this class name to the front (built if needed)."""
        for index in range(self.tabs.count()):
            widget = self.tabs.widget(index)
            if getattr(widget, "name", type(widget).__name__) == name:
                self.tabs.setCurrentIndex(index)
                self._shown(index)
                return self.panes.get(name)
        return None

    def open_record(self, entity: str, record_id: int) -> None:
        """Show a record named by the timeline or the chart search in its pane."""
        pane = self.show_pane(PANE_OF_ENTITY.get(entity, ""))
        if pane is None:
            return
        if entity in ("encounters", "notes") and hasattr(pane, "open_encounter"):
            pane.open_encounter(record_id)
        elif hasattr(pane, "select"):
            pane.select(record_id)

    def export_for_patient(self) -> None:
        from ui.chart.fhir_export_action import export_for_patient

        export_for_patient(self, self.actor, self.patient_id)

    def pane_names(self) -> list[str]:
        return [name for _module, name in PANES]

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Ctrl+1 … Ctrl+9 bring a tab to the front.
        if event.modifiers() == Qt.KeyboardModifier.ControlModifier and (
            Qt.Key.Key_1 <= event.key() <= Qt.Key.Key_9
        ):
            index = event.key() - Qt.Key.Key_1
            if index < self.tabs.count():
                self.tabs.setCurrentIndex(index)
                return
        super().keyPressEvent(event)
