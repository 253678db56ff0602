"""Recording an immunization: a dose given here, a historical dose from another source, or a
refusal. The vaccine is found by typing (CVX code or words of its name); Up and Down in the
search move through the matches. Saves through the service; open with open()."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QListWidgetItem

from emr.codes.cvx import Vaccine, search_vaccines
from emr.errors import ValidationError
from emr.services.context import Actor
from emr.services.immunizations import (
    COMMON_MANUFACTURERS,
    REFUSAL_REASONS,
    ROUTES,
    SITES,
    CodedChoice,
    ImmunizationRecord,
    record_historical,
    record_immunization,
    record_refusal,
)
from ui.chart.medication_dialog import SavingDialog, editable_combo
from ui.widgets.date_field import DateField

GIVEN, HISTORICAL, REFUSAL = "given", "historical", "refusal"
TITLES = {
    GIVEN: ("Give immunization", "Record dose"),
    HISTORICAL: ("Historical immunization", "Record"),
    REFUSAL: ("Immunization refused", "Record refusal"),
}
SEARCH_LIMIT = 40


def coded_combo(choices: tuple[CodedChoice, ...]) -> QComboBox:
    """Label and code shown, the code kept as the item's data; the first item is "none"."""
    combo = QComboBox()
    combo.addItem("", "")
    for choice in choices:
        combo.addItem(f"{choice.label} ({choice.code})", choice.code)
    return combo


class ImmunizationDialog(SavingDialog):
    """`kind` is GIVEN, HISTORICAL or REFUSAL; `saved` holds the record after accept."""

    def __init__(self, actor: Actor, patient_id: int, kind: str = GIVEN, parent=None) -> None:
        title, save_text = TITLES[kind]
        super().__init__(title, save_text, parent)
        self.setObjectName("immunizationDialog")
        self.actor = actor
        self.patient_id = patient_id
        self.kind = kind
        self.saved: ImmunizationRecord | None = None

        self.search = QLineEdit()
        self.search.setObjectName("vaccineSearch")
        self.search.setPlaceholderText("Type a vaccine name or CVX code (e.g. influenza, 150)")
        self.matches = QListWidget()
        self.matches.setObjectName("vaccineMatches")
        self.matches.setMaximumHeight(140)
        self.matches.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the search keeps the keyboard
        self.chosen_label = QLabel("No vaccine chosen")
        self.chosen_label.setWordWrap(True)
        self.search.textChanged.connect(self._search)
        self.matches.currentItemChanged.connect(self._show_chosen)
        self.search.installEventFilter(self)
        self.add_field("&Vaccine", "cvx_code", self.search)
        self.form.addRow("", self.matches)
        self.form.addRow("", self.chosen_label)

        self.given_on = DateField(date.today(), field="on" if kind == REFUSAL else "given_on")
        self.add_field(
            "Refused &on" if kind == REFUSAL else "&Date given", "given_on", self.given_on
        )
        self.fields["on"] = self.given_on
        if kind == REFUSAL:
            self.reason = editable_combo([c.label for c in REFUSAL_REASONS])
            self.reason.lineEdit().setPlaceholderText("Why it was refused")
            self.add_field("&Reason", "reason", self.reason)
        else:
            self._dose_fields()
        self.search.setFocus()
        self.resize(520, self.sizeHint().height())

    def _dose_fields(self) -> None:
        historical = self.kind == HISTORICAL
        if historical:
            self.source = QLineEdit()
            self.source.setMaxLength(200)
            self.source.setPlaceholderText("Where this is recorded: vaccination card, registry …")
            self.add_field("So&urce", "source", self.source)
        self.lot_number = QLineEdit()
        self.lot_number.setMaxLength(40)
        self.add_field("&Lot number", "lot_number", self.lot_number)
        self.expires_on = DateField(field="expires_on", month_end=True)
        self.add_field("E&xpires", "expires_on", self.expires_on)
        self.manufacturer = editable_combo(COMMON_MANUFACTURERS)
        self.add_field("&Manufacturer", "manufacturer", self.manufacturer)
        self.site = coded_combo(SITES)
        self.add_field("&Site", "site", self.site)
        self.route = coded_combo(ROUTES)
        self.add_field("Rou&te", "route", self.route)
        self.dose = QLineEdit()
        self.dose.setMaxLength(30)
        self.dose.setPlaceholderText("e.g. 0.5 mL")
        self.add_field("Dos&e", "dose", self.dose)
        self.administered_by = QLineEdit("" if historical else self.actor.full_name)
        self.administered_by.setMaxLength(200)
        self.add_field("Administered &by", "administered_by", self.administered_by)

    # --- the vaccine search -------------------------------------------------------------------

    def _search(self, text: str) -> None:
        self.matches.clear()
        found = search_vaccines(text, limit=SEARCH_LIMIT, active_only=self.kind == GIVEN)
        for vaccine in found:
            item = QListWidgetItem(vaccine.display)
            item.setData(Qt.ItemDataRole.UserRole, vaccine)
            item.setToolTip(vaccine.full_name)
            self.matches.addItem(item)
        if found:
            self.matches.setCurrentRow(0)
        else:
            self._show_chosen()

    def chosen(self) -> Vaccine | None:
        item = self.matches.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _show_chosen(self, *_args) -> None:
        vaccine = self.chosen()
        if vaccine is None:
            text = "No vaccine matches." if self.search.text().strip() else "No vaccine chosen"
            self.chosen_label.setText(text)
        else:
            status = "" if vaccine.active else f" — {vaccine.status}"
            self.chosen_label.setText(f"<b>{vaccine.full_name}</b> (CVX {vaccine.code}){status}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(event.key())
            if step and self.matches.count():
                row = min(max(self.matches.currentRow() + step, 0), self.matches.count() - 1)
                self.matches.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)

    # --- saving -------------------------------------------------------------------------------

    def submit(self) -> None:
        vaccine = self.chosen()
        if vaccine is None:
            raise ValidationError({"cvx_code": "Choose the vaccine: type part of its name."})
        given_on = self.given_on.value()
        if self.kind == REFUSAL:
            self.saved = record_refusal(
                self.actor, self.patient_id, vaccine.code, given_on, self.reason.currentText()
            )
            return
        details = dict(
            lot_number=self.lot_number.text(),
            expires_on=self.expires_on.value(),
            manufacturer=self.manufacturer.currentText(),
            site=self.site.currentData(),
            route=self.route.currentData(),
            dose=self.dose.text(),
            administered_by=self.administered_by.text(),
        )
        if self.kind == HISTORICAL:
            self.saved = record_historical(
                self.actor, self.patient_id, vaccine.code, given_on, self.source.text(), **details
            )
        else:
            self.saved = record_immunization(
                self.actor, self.patient_id, vaccine.code, given_on, **details
            )
