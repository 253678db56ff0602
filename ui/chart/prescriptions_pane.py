"""The chart's Prescriptions tab: drafts first, then the signed and discontinued ones. Write a
new one, check it against the chart (alerts in their severity's colour, a reason field beside
each one that needs a reason), sign it (physicians), print it, renew it, discontinue it."""

from __future__ import annotations

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError
from emr.prescribing_checks import Alert
from emr.printing.prescription import PER_PAGE, prescription_pdf
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.prescriptions import (
    DISCONTINUE_REASONS,
    PrescriptionNeedsOverride,
    PrescriptionRecord,
    check_prescription,
    discontinue_prescription,
    list_prescriptions,
    mark_prescription_entered_in_error,
    renew_prescription,
    sign_prescription,
)
from ui.chart.common import ChartTableModel, button, day
from ui.chart.pane import ChartPane
from ui.chart.prescription_dialog import PrescriptionDialog
from ui.printing import print_pdf_with_dialog
from ui.widgets.reason_dialog import ReasonDialog
from ui.widgets.record_table import record_table, selected_record

SEVERITY_STYLES = {
    "contraindicated": "background: #b00020; color: white; font-weight: bold; padding: 4px;",
    "major": "background: #fde0dc; color: #8a0010; font-weight: bold; padding: 4px;",
    "moderate": "background: #fff3cd; color: #6d4c00; padding: 4px;",
}
NO_ALERTS_STYLE = "color: #1b5e20; padding: 4px;"

COLUMNS = [
    ("Drug", lambda p: p.drug_display),
    ("Sig", lambda p: p.sig),
    ("Quantity", lambda p: p.quantity_text),
    ("Refills", lambda p: p.refills),
    ("Status", lambda p: p.status_label),
    ("Date", lambda p: day(p.day)),
]


class AlertsPanel(QWidget):
    """The alerts of one draft, most severe first, each in its severity's colour; the ones
    that need a reason have a reason field beside them."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("alertsPanel")
        self.prescription_id: int | None = None
        self.alerts: list[Alert] = []
        self.reasons: dict[str, QLineEdit] = {}
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.hide()

    def show_alerts(self, prescription_id: int, alerts: list[Alert]) -> None:
        kept = {k: e.text() for k, e in self.reasons.items()}
        if prescription_id != self.prescription_id:
            kept = {}
        self.clear()
        self.prescription_id = prescription_id
        self.alerts = list(alerts)
        if not alerts:
            label = QLabel("No alerts: no allergy, interaction or duplicate found.")
            label.setObjectName("noAlerts")
            label.setStyleSheet(NO_ALERTS_STYLE)
            self.grid.addWidget(label, 0, 0, 1, 2)
        for row, alert in enumerate(alerts):
            text = f"{alert.label}: {alert.text}"
            if alert.advice:
                text += f" {alert.advice}"
            label = QLabel(text)
            label.setObjectName(f"alert_{alert.severity}")
            label.setWordWrap(True)
            label.setStyleSheet(SEVERITY_STYLES.get(alert.severity, ""))
            if alert.source:
                label.setToolTip(f"Source: {alert.source}")
            self.grid.addWidget(label, row, 0)
            if alert.needs_reason:
                reason = QLineEdit(kept.get(alert.key, ""))
                reason.setObjectName("overrideReason")
                reason.setPlaceholderText("Reason to override (kept and audited)")
                reason.setMaxLength(200)
                reason.setMinimumWidth(220)
                self.reasons[alert.key] = reason
                self.grid.addWidget(reason, row, 1)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)
        self.show()
        first = next(iter(self.reasons.values()), None)
        if first is not None:
            first.setFocus()

    def overrides(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.reasons.items()}

    def clear(self) -> None:
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None:
                widget.setParent(None)  # gone from findChildren at once
                widget.deleteLater()
        self.reasons = {}
        self.alerts = []
        self.prescription_id = None
        self.hide()


class PrescriptionsPane(ChartPane):
    title = "Prescriptions"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.printer: QPrinter | None = None  # None: the system's default printer
        self.last_pdf: bytes | None = None  # the document last printed or previewed
        self.model = ChartTableModel(COLUMNS, self)
        self.table = record_table(self.model, "prescriptions")
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self.edit)

        self.new_button = button("&New…", "newPrescription", self.new)
        self.edit_button = button("&Edit…", "editPrescription", self.edit)
        self.check_button = button("&Check", "checkPrescription", self.check)
        self.sign_button = button("&Sign", "signPrescription", self.sign)
        self.print_button = button("&Print…", "printPrescription", self.print_selected)
        self.preview_button = button("Pre&view…", "previewPrescription", self.preview)
        self.renew_button = button("Re&new", "renewPrescription", self.renew)
        self.discontinue_button = button(
            "&Discontinue…", "discontinuePrescription", self.discontinue
        )
        self.error_button = button("Entered in e&rror…", "prescriptionInError", self.in_error)
        self.per_page = QComboBox()
        self.per_page.setObjectName("perPage")
        for count in PER_PAGE:
            self.per_page.addItem(f"{count} per page", count)
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        for widget in (
            self.new_button,
            self.edit_button,
            self.check_button,
            self.sign_button,
            self.print_button,
            self.preview_button,
            self.per_page,
            self.renew_button,
            self.discontinue_button,
            self.error_button,
        ):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.show_errors)

        self.message = self.error = self.error_label()
        self.message.setObjectName("prescriptionsError")
        self.alerts = AlertsPanel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.alerts)
        self.may_write = actor.can(Permission.CHART_WRITE)
        self.may_prescribe = actor.can(Permission.PRESCRIBE)
        self.reload()

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        chosen = self.selected()
        self.message.clear()
        try:
            records = list_prescriptions(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.message.setText(str(exc))
            records = []
        self.model.set_rows(records)
        if chosen is not None:
            self.select(chosen.id)
        self._enable()

    def select(self, prescription_id: int) -> None:
        for row, record in enumerate(self.model.rows):
            if record.id == prescription_id:
                self.table.selectRow(row)
                return

    def selected(self) -> PrescriptionRecord | None:
        return selected_record(self.table)

    def _selection_changed(self, *_args) -> None:
        chosen = self.selected()
        if chosen is None or chosen.id != self.alerts.prescription_id:
            self.alerts.clear()
        self._enable()

    def _enable(self) -> None:
        p = self.selected()
        live = p is not None and not p.entered_in_error
        draft = live and p.status == "draft"
        signed = live and p.status == "signed"
        self.new_button.setEnabled(self.may_write)
        self.edit_button.setEnabled(self.may_write and draft)
        self.check_button.setEnabled(draft)
        self.sign_button.setEnabled(self.may_prescribe and draft)
        self.print_button.setEnabled(signed)
        self.preview_button.setEnabled(signed)
        self.renew_button.setEnabled(self.may_write and live and p.status != "draft")
        self.discontinue_button.setEnabled(self.may_prescribe and signed)
        self.error_button.setEnabled(self.may_write and draft)

    # --- writing ------------------------------------------------------------------------------

    def new(self) -> None:
        if self.may_write:
            self._open(PrescriptionDialog(self.actor, self.patient_id, parent=self))

    def edit(self) -> None:
        p = self.selected()
        if self.may_write and p is not None and p.status == "draft" and not p.entered_in_error:
            self._open(PrescriptionDialog(self.actor, self.patient_id, p, parent=self))

    def check(self) -> None:
        p = self.selected()
        if p is None or p.status != "draft":
            return
        self.message.clear()
        try:
            alerts = check_prescription(self.actor, p.id)
        except UserError as exc:
            self.message.setText(str(exc))
            return
        self.alerts.show_alerts(p.id, alerts)

    def sign(self) -> None:
        p = self.selected()
        if p is None or p.status != "draft":
            return
        self.message.clear()
        overrides = self.alerts.overrides() if self.alerts.prescription_id == p.id else {}
        try:
            signed = sign_prescription(self.actor, p.id, p.version, overrides)
        except PrescriptionNeedsOverride as exc:
            self.message.setText(
                "Give a reason beside each alert that needs one, then sign again."
                if overrides
                else "Look at the alerts first: each major or contraindicated one needs a reason."
            )
            self.alerts.show_alerts(p.id, check_prescription(self.actor, p.id) or exc.alerts)
            return
        except UserError as exc:
            self.message.setText(str(exc))
            return
        self.alerts.clear()
        self.saved(signed.id)

    def renew(self) -> None:
        p = self.selected()
        if p is None:
            return
        try:
            renewal = renew_prescription(self.actor, p.id)
        except UserError as exc:
            self.message.setText(str(exc))
            return
        self.saved(renewal.id)

    def discontinue(self) -> None:
        p = self.selected()
        if p is None or p.status != "signed":
            return
        dialog = ReasonDialog(
            "Discontinue prescription",
            f"Discontinue {p.drug_display}? It also stops on the medication list.",
            "Discontinue",
            placeholder="Reason, e.g. " + ", ".join(DISCONTINUE_REASONS[:3]),
            parent=self,
        )
        dialog.setObjectName("discontinueDialog")
        dialog.accepted.connect(lambda: self._discontinue(p, dialog.reason.text()))
        self.dialog = dialog
        dialog.open()

    def _discontinue(self, p: PrescriptionRecord, reason: str) -> None:
        try:
            discontinue_prescription(self.actor, p.id, p.version, reason)
        except UserError as exc:
            self.message.setText(str(exc))
            return
        self.saved(p.id)

    def in_error(self) -> None:
        p = self.selected()
        if p is None or p.status != "draft" or p.entered_in_error:
            return
        self.ask_entered_in_error(
            f"the draft of {p.drug_display}",
            lambda reason: mark_prescription_entered_in_error(self.actor, p.id, p.version, reason),
        )

    # --- printing -----------------------------------------------------------------------------

    def _document(self) -> bytes | None:
        """The selected prescription's PDF (which counts as printed: a later one says COPY)."""
        p = self.selected()
        if p is None or p.status != "signed":
            return None
        self.message.clear()
        try:
            pdf = prescription_pdf(self.actor, [p.id], per_page=self.per_page.currentData())
        except UserError as exc:
            self.message.setText(str(exc))
            return None
        self.last_pdf = pdf
        return pdf

    def print_selected(self) -> None:
        """Print on a real printer, chosen in the print dialog."""
        pdf = self._document()
        if pdf is None:
            return
        printer = self.printer or QPrinter(QPrinter.PrinterMode.HighResolution)
        print_pdf_with_dialog(self, pdf, printer)
        self.reload()

    def preview(self) -> None:
        """Show the document as it prints, with Print… and Save as PDF…."""
        pdf = self._document()
        if pdf is None:
            return
        p = self.selected()
        name = f"Prescription {p.id}.pdf" if p else "Prescription.pdf"
        try:
            from ui.widgets.pdf_preview import PdfPreviewDialog
        except ImportError:  # no preview in this build: save the document instead
            from ui.printing import save_pdf

            save_pdf(self, pdf, name)
            return
        dialog = PdfPreviewDialog(pdf, "Prescription", self, file_name=name)
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self.reload())
        dialog.open()

    # --- after a save -------------------------------------------------------------------------

    def _open(self, dialog: PrescriptionDialog) -> None:
        self.open_dialog(dialog, lambda: self.saved(dialog.saved.id if dialog.saved else None))

    def saved(self, prescription_id: int | None = None) -> None:
        self.dialog = None
        self.reload()
        if prescription_id is not None:
            self.select(prescription_id)
        self.changed.emit()
