"""Writing or changing a draft prescription: the drug searched as you type (generic or brand
name), strength and form, the directions as structured fields with the sig they make shown
live, quantity, refills, dispense as written, a note to the pharmacist and the diagnosis from
the active problems. Ctrl+S saves the draft; open with open()."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.services.context import Actor
from emr.services.drug_catalog import DrugChoice, search_drugs
from emr.services.prescriptions import (
    AS_NEEDED_REASONS,
    DOSE_UNITS,
    FREQUENCIES,
    MAX_REFILLS,
    QUANTITY_UNITS,
    ROUTES,
    PrescriptionInput,
    PrescriptionRecord,
    draft_prescription,
    render_sig,
    route_key,
    update_draft,
)
from emr.services.problems import list_problems
from ui.chart.medication_dialog import SavingDialog, editable_combo

SEARCH_LIMIT = 20
# The unit of one dose, and of the quantity, that a dose form suggests.
_FORM_UNITS = {
    "tablet": ("tablet", "tablets"),
    "capsule": ("capsule", "capsules"),
    "solution": ("mL", "mL"),
    "suspension": ("mL", "mL"),
    "syrup": ("mL", "mL"),
    "inhaler": ("puff", "inhalers"),
    "cream": ("application", "g"),
    "ointment": ("application", "g"),
    "patch": ("patch", "patches"),
    "drops": ("drop", "mL"),
    "spray": ("spray", "bottles"),
    "pen": ("unit", "pens"),
}


def form_units(form: str) -> tuple[str, str] | None:
    folded = form.casefold()
    return next((units for word, units in _FORM_UNITS.items() if word in folded), None)


class PrescriptionDialog(SavingDialog):
    """A new draft (when `prescription` is None) or a change to one; `saved` after accept."""

    def __init__(
        self,
        actor: Actor,
        patient_id: int,
        prescription: PrescriptionRecord | None = None,
        parent=None,
    ) -> None:
        super().__init__(
            "Edit prescription" if prescription else "New prescription", "Save draft", parent
        )
        self.setObjectName("prescriptionDialog")
        self.actor = actor
        self.patient_id = patient_id
        self.prescription = prescription
        self.saved: PrescriptionRecord | None = None
        self.choices: list[DrugChoice] = []
        self.choice: DrugChoice | None = None
        p = prescription

        self.search = QLineEdit(p.drug_name if p else "")
        self.search.setObjectName("drugSearch")
        self.search.setPlaceholderText("Generic or brand name, e.g. amox, Lipitor")
        self.results = QListWidget()
        self.results.setObjectName("drugResults")
        self.results.setMaximumHeight(110)
        self.strength = editable_combo([], p.strength if p else "")
        self.strength.setObjectName("strength")
        self.dose_form = editable_combo([], p.dose_form if p else "")
        self.dose_form.setObjectName("doseForm")
        self.dose_amount = QLineEdit(p.dose_amount if p else "1")
        self.dose_amount.setObjectName("doseAmount")
        self.dose_amount.setMaxLength(20)
        self.dose_unit = editable_combo(DOSE_UNITS, p.dose_unit if p else "")
        self.dose_unit.setObjectName("doseUnit")
        self.route = editable_combo(list(ROUTES), p.route if p else "oral")
        self.route.setObjectName("route")
        self.frequency = editable_combo(FREQUENCIES, p.frequency if p else "")
        self.frequency.setObjectName("frequency")
        self.duration = QSpinBox()
        self.duration.setObjectName("durationDays")
        self.duration.setRange(0, 365)
        self.duration.setSpecialValueText("no set duration")
        self.duration.setSuffix(" days")
        self.duration.setValue((p.duration_days or 0) if p else 0)
        self.as_needed = QCheckBox("As &needed")
        self.as_needed.setObjectName("asNeeded")
        self.as_needed.setChecked(bool(p and p.as_needed))
        self.as_needed_reason = editable_combo(AS_NEEDED_REASONS, p.as_needed_reason if p else "")
        self.as_needed_reason.setObjectName("asNeededReason")
        self.as_needed_reason.lineEdit().setPlaceholderText("for …")
        self.sig_preview = QLabel()
        self.sig_preview.setObjectName("sigPreview")
        self.sig_preview.setWordWrap(True)
        self.sig_preview.setStyleSheet("font-weight: bold;")
        self.quantity = QLineEdit(p.quantity if p else "")
        self.quantity.setObjectName("quantity")
        self.quantity.setMaxLength(20)
        self.quantity_unit = editable_combo(QUANTITY_UNITS, p.quantity_unit if p else "")
        self.quantity_unit.setObjectName("quantityUnit")
        self.refills = QSpinBox()
        self.refills.setObjectName("refills")
        self.refills.setRange(0, MAX_REFILLS)
        self.refills.setValue(p.refills if p else 0)
        self.daw = QCheckBox("Dispense as &written (no substitution)")
        self.daw.setObjectName("dispenseAsWritten")
        self.daw.setChecked(bool(p and p.dispense_as_written))
        self.pharmacy_note = QPlainTextEdit(p.pharmacy_note if p else "")
        self.pharmacy_note.setObjectName("pharmacyNote")
        self.pharmacy_note.setTabChangesFocus(True)
        self.pharmacy_note.setFixedHeight(50)
        self.diagnosis = QComboBox()
        self.diagnosis.setObjectName("diagnosis")
        self._fill_diagnoses(p)

        self.add_field("&Drug", "drug_name", self.search)
        self.form.addRow("", self.results)
        self.add_field("S&trength", "strength", self.strength)
        self.add_field("&Form", "dose_form", self.dose_form)
        self.add_field("D&ose", "dose_amount", _row(self.dose_amount, self.dose_unit))
        self.fields["dose_unit"] = self.dose_unit
        self.add_field("&Route", "route", self.route)
        self.add_field("Fre&quency", "frequency", self.frequency)
        self.add_field("Dur&ation", "duration_days", self.duration)
        self.add_field("", "as_needed_reason", _row(self.as_needed, self.as_needed_reason))
        self.form.addRow("Sig", self.sig_preview)
        self.add_field("Quant&ity", "quantity", _row(self.quantity, self.quantity_unit))
        self.fields["quantity_unit"] = self.quantity_unit
        self.add_field("Re&fills", "refills", self.refills)
        self.form.addRow("", self.daw)
        self.add_field("Note to &pharmacist", "pharmacy_note", self.pharmacy_note)
        self.add_field("Dia&gnosis", "problem_id", self.diagnosis)

        self.search.textEdited.connect(self._search)
        self.results.currentRowChanged.connect(self._chosen)
        self.results.itemActivated.connect(lambda _item: self.strength.setFocus())
        self.as_needed.toggled.connect(self.as_needed_reason.setEnabled)
        self.as_needed_reason.setEnabled(self.as_needed.isChecked())
        for combo in (self.dose_unit, self.route, self.frequency, self.as_needed_reason):
            combo.currentTextChanged.connect(self._update_sig)
        self.dose_amount.textChanged.connect(self._update_sig)
        self.duration.valueChanged.connect(self._update_sig)
        self.as_needed.toggled.connect(self._update_sig)
        self._update_sig()
        self.search.setFocus()
        self.resize(560, self.sizeHint().height())

    # --- the drug ---------------------------------------------------------------------------

    def _search(self, text: str) -> None:
        try:
            self.choices = search_drugs(self.actor, text, SEARCH_LIMIT) if text.strip() else []
        except UserError as exc:
            self.error.setText(str(exc))
            self.choices = []
        self.results.blockSignals(True)
        self.results.clear()
        for choice in self.choices:
            item = QListWidgetItem(_choice_label(choice))
            self.results.addItem(item)
        self.results.blockSignals(False)
        if self.choices:
            self.results.setCurrentRow(0)
        else:
            self.choice = None

    def _chosen(self, row: int) -> None:
        if not 0 <= row < len(self.choices):
            return
        choice = self.choice = self.choices[row]
        self.strength.clear()
        self.strength.addItems(list(choice.strengths))
        self.dose_form.clear()
        self.dose_form.addItems(list(choice.dose_forms))
        if choice.route:
            self.route.setEditText(route_key(choice.route))
        units = form_units(choice.dose_forms[0]) if choice.dose_forms else None
        if units is not None:
            self.dose_unit.setEditText(units[0])
            self.quantity_unit.setEditText(units[1])
        self._update_sig()

    def _update_sig(self, *_args) -> None:
        self.sig_preview.setText(
            render_sig(
                dose_amount=self.dose_amount.text(),
                dose_unit=self.dose_unit.currentText(),
                route=self.route.currentText(),
                frequency=self.frequency.currentText(),
                duration_days=self.duration.value() or None,
                as_needed=self.as_needed.isChecked(),
                as_needed_reason=self.as_needed_reason.currentText(),
            )
        )

    def _fill_diagnoses(self, p: PrescriptionRecord | None) -> None:
        self.diagnosis.addItem("(none)", None)
        try:
            problems = list_problems(self.actor, self.patient_id, status="active")
        except UserError:
            problems = []
        for problem in problems:
            self.diagnosis.addItem(problem.display, problem.id)
        if p is not None and p.problem_id is not None:
            self.diagnosis.setCurrentIndex(max(0, self.diagnosis.findData(p.problem_id)))

    # --- saving -----------------------------------------------------------------------------

    def prescription_input(self) -> PrescriptionInput:
        p, choice = self.prescription, self.choice
        name = choice.generic_name if choice else self.search.text().strip()
        kept = p is not None and choice is None and name == p.drug_name
        if not name:
            raise ValidationError({"drug_name": "Search for the drug and choose it in the list."})
        return PrescriptionInput(
            drug_name=name,
            brand_name=choice.brand_name if choice else (p.brand_name if kept else ""),
            rxnorm=choice.rxnorm if choice else (p.rxnorm if kept else ""),
            drug_classes=tuple(choice.classes) if choice else (p.drug_classes if kept else ()),
            schedule=choice.schedule if choice else (p.schedule if kept else ""),
            strength=self.strength.currentText(),
            dose_form=self.dose_form.currentText(),
            route=self.route.currentText(),
            dose_amount=self.dose_amount.text(),
            dose_unit=self.dose_unit.currentText(),
            frequency=self.frequency.currentText(),
            duration_days=self.duration.value() or None,
            as_needed=self.as_needed.isChecked(),
            as_needed_reason=self.as_needed_reason.currentText(),
            quantity=self.quantity.text(),
            quantity_unit=self.quantity_unit.currentText(),
            refills=self.refills.value(),
            dispense_as_written=self.daw.isChecked(),
            pharmacy_note=self.pharmacy_note.toPlainText(),
            problem_id=self.diagnosis.currentData(),
            encounter_id=p.encounter_id if p else None,
        )

    def submit(self) -> None:
        data = self.prescription_input()
        p = self.prescription
        if p is None:
            self.saved = draft_prescription(self.actor, self.patient_id, data)
        else:
            self.saved = update_draft(self.actor, p.id, p.version, data)


def _choice_label(choice: DrugChoice) -> str:
    label = choice.label
    if choice.schedule:
        label += f"  — C{choice.schedule}"
    return label


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        row.addWidget(widget)
    row.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return holder
