"""The Referrals tab: the patient's referrals with their status; a new referral (letter merged
from a template and edited), a draft changed, the letter previewed and printed, and the
referral moved on (sent, appointment made, report received, cancelled) or marked entered in
error (shown struck through when asked for)."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout

from emr.errors import UserError
from emr.security.permissions import Permission
from emr.services.referrals import (
    ReferralRecord,
    list_referrals,
    mark_referral_entered_in_error,
)
from ui.chart.common import ChartTableModel, button, day
from ui.chart.pane import ChartPane
from ui.chart.referral_dialog import URGENCY_LABELS, ReferralDialog, ReferralStatusDialog
from ui.widgets.pdf_preview import PdfPreviewDialog
from ui.widgets.record_table import record_table, selected_record

URGENT_COLOUR = QColor("#b71c1c")
CLOSED_COLOUR = QColor("#777777")


def _colour(r: ReferralRecord):
    if r.status in ("report_received", "cancelled"):
        return CLOSED_COLOUR
    return URGENT_COLOUR if r.urgency != "routine" else None


class ReferralsPane(ChartPane):
    title = "Referrals"

    def __init__(self, actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.model = ChartTableModel(
            [
                ("Made", lambda r: day(r.created_at.date())),
                ("To", lambda r: r.receiving),
                ("Urgency", lambda r: URGENCY_LABELS.get(r.urgency, r.urgency)),
                ("Status", lambda r: r.status_label),
                ("Since", lambda r: day(r.status_date)),
                ("Diagnoses", lambda r: ", ".join(r.diagnosis_codes)),
                ("Reason", lambda r: r.reason.replace("\n", " ")),
            ],
            self,
            foreground=_colour,
            tooltip=lambda r: r.status_note or None,
        )
        self.table = record_table(self.model, "referralsTable")
        self.table.doubleClicked.connect(lambda _index: self.preview())
        self.error = self.error_label()
        self.error.setObjectName("referralsError")
        self.new_button = button("&New referral…", "newReferral", self.new_referral)
        self.edit_button = button("&Edit…", "editReferral", self.edit_referral)
        self.preview_button = button("&Preview / Print…", "previewReferral", self.preview)
        self.status_button = button("&Status…", "referralStatus", self.change_status)
        self.error_button = button("Entered in e&rror…", "referralInError", self.enter_in_error)
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.setObjectName("showReferralErrors")
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        for widget in (
            self.new_button,
            self.edit_button,
            self.preview_button,
            self.status_button,
            self.error_button,
        ):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.show_errors)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.table)
        self.can_write = actor.can(Permission.CHART_WRITE)
        self.new_button.setEnabled(self.can_write)
        self.table.selectionModel().currentRowChanged.connect(self._enable)
        self.reload()

    def reload(self) -> None:
        self.error.clear()
        try:
            rows = list_referrals(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.error.setText(exc.message)
            rows = []
            self.new_button.setEnabled(False)
        self.model.set_rows(rows)
        if rows and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self._enable()

    @property
    def referrals(self) -> list[ReferralRecord]:
        return list(self.model.rows)

    def selected(self) -> ReferralRecord | None:
        return selected_record(self.table)

    def select(self, referral_id: int) -> None:
        for row, r in enumerate(self.model.rows):
            if r.id == referral_id:
                self.table.selectRow(row)
                return

    def _enable(self, *_args) -> None:
        r = self.selected()
        live = r is not None and not r.entered_in_error
        self.edit_button.setEnabled(live and self.can_write and r.status == "draft")
        self.preview_button.setEnabled(live)
        self.status_button.setEnabled(live and self.can_write and bool(r.next_statuses))
        self.error_button.setEnabled(live and self.can_write)

    def saved(self, referral: ReferralRecord | None = None) -> None:
        self.reload()
        if referral is not None:
            self.select(referral.id)
        self.changed.emit()

    def new_referral(self, encounter_id: int | None = None) -> None:
        dialog = ReferralDialog(
            self.actor, self.patient_id, encounter_id=encounter_id or None, parent=self
        )
        self.open_dialog(dialog, lambda: self.saved(dialog.saved))

    def edit_referral(self) -> None:
        r = self.selected()
        if r is None or r.status != "draft" or r.entered_in_error:
            return
        dialog = ReferralDialog(self.actor, self.patient_id, referral=r, parent=self)
        self.open_dialog(dialog, lambda: self.saved(dialog.saved))

    def preview(self) -> None:
        """The letter as it prints, in the preview (Print…, Save as PDF…)."""
        from emr.printing.referral import referral_pdf

        r = self.selected()
        if r is None or r.entered_in_error:
            return
        try:
            pdf = referral_pdf(self.actor, r.id)
        except UserError as exc:
            self.error.setText(exc.message)
            return
        self.dialog = PdfPreviewDialog(
            pdf, f"Referral to {r.to_name}", self, file_name=f"referral-{r.id}.pdf"
        )
        self.dialog.open()

    def change_status(self) -> None:
        r = self.selected()
        if r is None or not r.next_statuses:
            return
        dialog = ReferralStatusDialog(self.actor, r, self)
        self.open_dialog(dialog, lambda: self.saved(dialog.saved))

    def enter_in_error(self) -> None:
        r = self.selected()
        if r is None:
            return
        self.ask_entered_in_error(
            "this referral",
            lambda reason: mark_referral_entered_in_error(self.actor, r.id, r.version, reason),
        )
