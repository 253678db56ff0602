"""The chart's Immunizations tab: every dose given here, historical dose and refusal, newest
first. Give a vaccine, record a historical dose or a refusal, or mark one entered in error."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout

from emr.errors import UserError
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.immunizations import (
    ImmunizationRecord,
    list_immunizations,
    mark_immunization_entered_in_error,
)
from ui.chart.common import ChartTableModel, day
from ui.chart.immunization_dialog import GIVEN, HISTORICAL, REFUSAL, ImmunizationDialog
from ui.chart.pane import ChartPane
from ui.widgets.record_table import Column, record_table


def remark(i: ImmunizationRecord) -> str:
    if i.refused:
        return f"Refused: {i.refusal_reason}"
    if i.historical:
        return f"Historical ({i.source})"
    return ""


COLUMNS: list[Column] = [
    ("Date", lambda i: day(i.given_on)),
    ("Vaccine", lambda i: i.vaccine),
    ("CVX", lambda i: i.cvx_code),
    ("Dose", lambda i: i.dose),
    ("Lot", lambda i: i.lot_number),
    ("Expires", lambda i: day(i.expires_on)),
    ("Site", lambda i: i.site_label),
    ("Route", lambda i: i.route_label),
    ("By", lambda i: i.administered_by),
    ("", remark),
]


class ImmunizationsPane(ChartPane):
    title = "Immunizations"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.model = ChartTableModel(COLUMNS, self)
        self.table = record_table(self.model, "immunizations")
        self.table.selectionModel().selectionChanged.connect(self._enable)

        self.give_button = QPushButton("&Give…")
        self.historical_button = QPushButton("&Historical…")
        self.refusal_button = QPushButton("&Refusal…")
        self.error_button = QPushButton("Entered in e&rror…")
        self.show_errors = QCheckBox("Show entered in error")
        self.give_button.clicked.connect(lambda: self.record(GIVEN))
        self.historical_button.clicked.connect(lambda: self.record(HISTORICAL))
        self.refusal_button.clicked.connect(lambda: self.record(REFUSAL))
        self.error_button.clicked.connect(self.entered_in_error)
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        for button in (
            self.give_button,
            self.historical_button,
            self.refusal_button,
            self.error_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch()
        buttons.addWidget(self.show_errors)

        self.message = self.error = self.error_label()
        self.message.setObjectName("immunizationsError")
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.may_write = actor.can(Permission.CHART_WRITE)
        for button in (self.give_button, self.historical_button, self.refusal_button):
            button.setEnabled(self.may_write)
        self._enable()
        self.reload()

    def reload(self) -> None:
        self.message.clear()
        try:
            records = list_immunizations(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.message.setText(str(exc))
            records = []
        self.model.set_rows(records)
        self._enable()

    def selected(self) -> ImmunizationRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _enable(self, *_args) -> None:
        chosen = self.selected()
        self.error_button.setEnabled(
            self.may_write and chosen is not None and not chosen.entered_in_error
        )

    def record(self, kind: str) -> None:
        if not self.may_write:
            return
        self.open_dialog(ImmunizationDialog(self.actor, self.patient_id, kind, parent=self))

    def entered_in_error(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.entered_in_error:
            return
        self.ask_entered_in_error(
            f"{chosen.vaccine} of {day(chosen.given_on)}",
            lambda reason: mark_immunization_entered_in_error(
                self.actor, chosen.id, chosen.version, reason
            ),
            placeholder="Why it is wrong (kept with the immunization)",
        )

    def saved(self) -> None:
        self.dialog = None
        super().saved()
