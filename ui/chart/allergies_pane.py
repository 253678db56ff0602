"""The Allergies tab: the chart's allergy state in words (allergies in red, "No known
allergies" only when recorded, "Allergies not recorded" otherwise), the list, adding and
editing an allergy, recording "no known allergies", and entered in error."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from emr.errors import UserError, ValidationError
from emr.services.allergies import (
    CATEGORY_LABELS,
    SEVERITIES,
    STATUSES,
    AllergyRecord,
    AllergyState,
    add_allergy,
    allergy_state,
    list_allergies,
    mark_allergy_entered_in_error,
    record_no_known_allergies,
    update_allergy,
)
from emr.services.context import Actor
from ui.chart.common import (
    ChartTableModel,
    button,
    day,
)
from ui.chart.pane import ChartPane
from ui.widgets.date_field import DateField, read_dates
from ui.widgets.field_errors import FieldErrors
from ui.widgets.record_table import record_table, selected_record
from ui.widgets.shortcuts import add_save_shortcut

STATE_STYLES = {
    "recorded": "color: white; background: #b00020; font-weight: bold; padding: 4px;",
    "no_known": "color: #1b5e20; font-weight: bold; padding: 4px;",
    "not_recorded": "color: #8a4b00; background: #fff3cd; font-weight: bold; padding: 4px;",
}


def _combo(name: str, items: dict[str, str], current: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for value, label in items.items():
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


class AllergyDialog(QDialog):
    """Add or edit one allergy; Ctrl+S saves; `saved` after it is accepted."""

    def __init__(
        self, actor: Actor, patient_id: int, allergy: AllergyRecord | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.allergy = allergy
        self.saved: AllergyRecord | None = None
        self.setObjectName("allergyDialog")
        self.setWindowTitle("Edit allergy" if allergy else "Add allergy")
        self.field_errors = FieldErrors()
        a = allergy
        self.substance = QLineEdit(a.substance if a else "")
        self.substance.setObjectName("substance")
        self.substance.setPlaceholderText("e.g. Penicillin, Peanut, Latex")
        self.category = _combo("category", CATEGORY_LABELS, a.category if a else "drug")
        self.reaction = QLineEdit(a.reaction if a else "")
        self.reaction.setObjectName("reaction")
        self.reaction.setPlaceholderText("e.g. hives, anaphylaxis")
        self.severity = _combo(
            "severity",
            {"": "Not known", **{s: s.title() for s in SEVERITIES}},
            a.severity if a else "",
        )
        self.status = _combo(
            "status", {s: s.title() for s in STATUSES}, a.status if a else "active"
        )
        self.onset = DateField(a.onset if a else None)
        self.onset.setObjectName("onset")
        self.notes = QPlainTextEdit(a.notes if a else "")
        self.notes.setObjectName("notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(80)
        form = QFormLayout()
        for text, name, editor in (
            ("&Substance", "substance", self.substance),
            ("&Category", "category", self.category),
            ("&Reaction", "reaction", self.reaction),
            ("Se&verity", "severity", self.severity),
            ("S&tatus", "status", self.status),
            ("&Onset", "onset", self.onset),
            ("&Notes", "notes", self.notes),
        ):
            label = QLabel(text)
            label.setBuddy(editor)
            form.addRow(label, self.field_errors.wrap(name, editor))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.field_errors.summary)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.substance.setFocus()

    def save(self) -> None:
        problems: dict[str, str] = {}
        dates = read_dates({"onset": self.onset}, problems)
        if problems:
            self.field_errors.show(problems)
            return
        fields = dict(
            substance=self.substance.text(),
            category=self.category.currentData(),
            reaction=self.reaction.text(),
            severity=self.severity.currentData(),
            status=self.status.currentData(),
            onset=dates["onset"],
            notes=self.notes.toPlainText(),
        )
        try:
            if self.allergy is None:
                substance, category = fields.pop("substance"), fields.pop("category")
                self.saved = add_allergy(self.actor, self.patient_id, substance, category, **fields)
            else:
                self.saved = update_allergy(
                    self.actor, self.allergy.id, self.allergy.version, **fields
                )
        except ValidationError as exc:
            self.field_errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.field_errors.show({"": exc.message})
            return
        self.accept()


class AllergiesPane(ChartPane):
    title = "Allergies"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.state: AllergyState | None = None
        self.state_label = QLabel()
        self.state_label.setObjectName("allergyState")
        self.state_label.setWordWrap(True)
        self.model = ChartTableModel(
            [
                ("Substance", lambda a: a.substance),
                ("Category", lambda a: CATEGORY_LABELS.get(a.category, a.category)),
                ("Reaction", lambda a: a.reaction),
                ("Severity", lambda a: a.severity.title() or "Not known"),
                ("Status", lambda a: a.status.title()),
                ("Onset", lambda a: day(a.onset)),
                ("Notes", lambda a: a.notes.replace("\n", " ")),
            ],
            self,
        )
        self.table = record_table(self.model, "allergiesTable")
        self.table.doubleClicked.connect(lambda _index: self.edit_allergy())
        self.error = self.error_label()
        self.error.setObjectName("allergiesError")
        self.add_button = button("&Add…", "addAllergy", self.add_allergy)
        self.edit_button = button("&Edit…", "editAllergy", self.edit_allergy)
        self.no_known_button = button("&No known allergies", "noKnownAllergies", self.no_known)
        self.error_button = button("Entered in e&rror…", "allergyInError", self.enter_in_error)
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.setObjectName("showAllergyErrors")
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        for widget in (self.add_button, self.edit_button, self.no_known_button, self.error_button):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.show_errors)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._enable)
        self.reload()

    def reload(self) -> None:
        self.error.clear()
        try:
            rows = list_allergies(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
            self.state = allergy_state(self.actor, self.patient_id)
        except UserError as exc:
            self.error.setText(exc.message)
            rows, self.state = [], None
        self.model.set_rows(rows)
        self._show_state()
        self._enable()

    def _show_state(self) -> None:
        if self.state is None:
            self.state_label.clear()
            self.state_label.setStyleSheet("")
            return
        self.state_label.setText(self.state.text)
        self.state_label.setStyleSheet(STATE_STYLES[self.state.kind])

    @property
    def allergies(self) -> list[AllergyRecord]:
        return list(self.model.rows)

    def selected(self) -> AllergyRecord | None:
        return selected_record(self.table)

    def _enable(self, *_args) -> None:
        allergy = self.selected()
        usable = allergy is not None and not allergy.entered_in_error
        self.edit_button.setEnabled(usable)
        self.error_button.setEnabled(usable)
        self.no_known_button.setEnabled(self.state is not None and self.state.kind != "recorded")

    def add_allergy(self) -> None:
        self.open_dialog(AllergyDialog(self.actor, self.patient_id, parent=self))

    def edit_allergy(self) -> None:
        allergy = self.selected()
        if allergy is None or allergy.entered_in_error:
            return
        self.open_dialog(AllergyDialog(self.actor, self.patient_id, allergy, parent=self))

    def no_known(self) -> None:
        try:
            record_no_known_allergies(self.actor, self.patient_id)
        except UserError as exc:
            self.show_error(exc.message)
            return
        self.saved()

    def enter_in_error(self) -> None:
        allergy = self.selected()
        if allergy is None:
            return
        self.ask_entered_in_error(
            "this allergy",
            lambda reason: mark_allergy_entered_in_error(
                self.actor, allergy.id, allergy.version, reason
            ),
        )
