"""The History tab: past medical, surgical, family and social history, each its own section
with Add…, Edit… and Entered in error…."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
)

from emr.errors import UserError, ValidationError
from emr.services.context import Actor
from emr.services.history import (
    KIND_LABELS,
    KINDS,
    SOCIAL_CATEGORIES,
    HistoryInput,
    HistoryRecord,
    add_history,
    list_history,
    mark_history_entered_in_error,
    update_history,
)
from ui.chart.common import (
    ChartTableModel,
    button,
)
from ui.chart.pane import ChartPane
from ui.widgets.field_errors import FieldErrors
from ui.widgets.record_table import Column, record_table, selected_record
from ui.widgets.shortcuts import add_save_shortcut

DESCRIPTION_LABELS = {
    "medical": "&Condition",
    "surgical": "&Operation",
    "family": "&Condition",
    "social": "&Description",
}

_COLUMNS: dict[str, list[Column]] = {
    "medical": [("Condition", lambda h: h.description), ("Code", lambda h: h.icd10_code)],
    "surgical": [("Operation", lambda h: h.description)],
    "family": [
        ("Relative", lambda h: h.relative),
        ("Condition", lambda h: h.description),
        ("Code", lambda h: h.icd10_code),
    ],
    "social": [
        ("Category", lambda h: h.category.title()),
        ("Description", lambda h: h.description),
    ],
}
_COMMON: list[Column] = [
    ("When", lambda h: h.when_text),
    ("Notes", lambda h: h.notes.replace("\n", " ")),
]


class HistoryDialog(QDialog):
    """Add or edit one history entry of a kind; Ctrl+S saves; `saved` after it is accepted."""

    def __init__(
        self,
        actor: Actor,
        patient_id: int,
        kind: str,
        entry: HistoryRecord | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.kind = kind
        self.entry = entry
        self.saved: HistoryRecord | None = None
        self.setObjectName("historyDialog")
        self.setWindowTitle(f"{'Edit' if entry else 'Add'}: {KIND_LABELS[kind].lower()}")
        self.field_errors = FieldErrors()
        e = entry
        self.category = QComboBox()
        self.category.setObjectName("category")
        for value in SOCIAL_CATEGORIES:
            self.category.addItem(value.title(), value)
        if e and e.category:
            self.category.setCurrentIndex(max(0, self.category.findData(e.category)))
        self.relative = QLineEdit(e.relative if e else "")
        self.relative.setObjectName("relative")
        self.relative.setPlaceholderText("e.g. Mother, Brother")
        self.description = QLineEdit(e.description if e else "")
        self.description.setObjectName("description")
        self.icd10_code = QLineEdit(e.icd10_code if e else "")
        self.icd10_code.setObjectName("icd10_code")
        self.icd10_code.setPlaceholderText("optional, e.g. J45")
        self.when_text = QLineEdit(e.when_text if e else "")
        self.when_text.setObjectName("when_text")
        self.when_text.setPlaceholderText('e.g. "2015", "childhood", "at 52"')
        self.notes = QPlainTextEdit(e.notes if e else "")
        self.notes.setObjectName("notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(80)

        rows: list[tuple[str, str, object]] = []
        if kind == "social":
            rows.append(("C&ategory", "category", self.category))
        if kind == "family":
            rows.append(("&Relative", "relative", self.relative))
        rows.append((DESCRIPTION_LABELS[kind], "description", self.description))
        if kind in ("medical", "family"):
            rows.append(("ICD-10-CM c&ode", "icd10_code", self.icd10_code))
        rows += [("&When", "when_text", self.when_text), ("&Notes", "notes", self.notes)]
        form = QFormLayout()
        for text, name, editor in rows:
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
        rows[0][2].setFocus()  # type: ignore[attr-defined]

    def entry_input(self) -> HistoryInput:
        return HistoryInput(
            kind=self.kind,
            description=self.description.text(),
            category=self.category.currentData() if self.kind == "social" else "",
            relative=self.relative.text() if self.kind == "family" else "",
            icd10_code=self.icd10_code.text() if self.kind in ("medical", "family") else "",
            when_text=self.when_text.text(),
            notes=self.notes.toPlainText(),
        )

    def save(self) -> None:
        try:
            if self.entry is None:
                self.saved = add_history(self.actor, self.patient_id, self.entry_input())
            else:
                self.saved = update_history(
                    self.actor, self.entry.id, self.entry.version, self.entry_input()
                )
        except ValidationError as exc:
            self.field_errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.field_errors.show({"": exc.message})
            return
        self.accept()


class HistorySection(QGroupBox):
    """One kind of history: its table and buttons."""

    def __init__(self, pane: HistoryPane, kind: str) -> None:
        super().__init__(KIND_LABELS[kind])
        self.pane = pane
        self.kind = kind
        self.setObjectName(f"{kind}History")
        self.model = ChartTableModel([*_COLUMNS[kind], *_COMMON], self)
        self.table: QTableView = record_table(self.model, f"{kind}HistoryTable")
        self.table.doubleClicked.connect(lambda _index: self.edit_entry())
        self.add_button = button("Add…", f"add_{kind}", self.add_entry)
        self.edit_button = button("Edit…", f"edit_{kind}", self.edit_entry)
        self.error_button = button("Entered in error…", f"error_{kind}", self.enter_in_error)
        buttons = QHBoxLayout()
        for widget in (self.add_button, self.edit_button, self.error_button):
            buttons.addWidget(widget)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._enable)
        self._enable()

    def set_rows(self, rows: list[HistoryRecord]) -> None:
        self.model.set_rows(rows)
        self._enable()

    def selected(self) -> HistoryRecord | None:
        return selected_record(self.table)

    def _enable(self, *_args) -> None:
        entry = self.selected()
        usable = entry is not None and not entry.entered_in_error
        self.edit_button.setEnabled(usable)
        self.error_button.setEnabled(usable)

    def add_entry(self) -> None:
        dialog = HistoryDialog(self.pane.actor, self.pane.patient_id, self.kind, parent=self)
        self.pane.open_dialog(dialog)

    def edit_entry(self) -> None:
        entry = self.selected()
        if entry is None or entry.entered_in_error:
            return
        dialog = HistoryDialog(self.pane.actor, self.pane.patient_id, self.kind, entry, self)
        self.pane.open_dialog(dialog)

    def enter_in_error(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self.pane.ask_entered_in_error(
            "this history entry",
            lambda reason: mark_history_entered_in_error(
                self.pane.actor, entry.id, entry.version, reason
            ),
        )


class HistoryPane(ChartPane):
    title = "History"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.error = self.error_label()
        self.error.setObjectName("historyError")
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.setObjectName("showHistoryErrors")
        self.show_errors.toggled.connect(self.reload)
        self.sections = {kind: HistorySection(self, kind) for kind in KINDS}
        top = QHBoxLayout()
        top.addWidget(self.error, 1)
        top.addWidget(self.show_errors)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        for section in self.sections.values():
            layout.addWidget(section)
        self.reload()

    def reload(self) -> None:
        self.error.clear()
        try:
            rows = list_history(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.error.setText(exc.message)
            rows = []
        for kind, section in self.sections.items():
            section.set_rows([h for h in rows if h.kind == kind])

    def entries(self, kind: str) -> list[HistoryRecord]:
        return list(self.sections[kind].model.rows)
