"""The Encounters tab of the chart: the patient's visits newest first, a new encounter, the
note of the chosen one below the list, and marking an encounter entered in error."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.localtime import now_local
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.encounters import (
    ENCOUNTER_TYPES,
    EncounterRecord,
    EncounterSummary,
    list_encounters,
    mark_encounter_entered_in_error,
    start_encounter,
)
from emr.services.note_templates import list_note_templates
from emr.services.schedule_setup import list_providers
from ui.chart.common import EnteredInErrorDialog
from ui.chart.note_editor import NoteEditor
from ui.chart.pane import ChartPane
from ui.style import ERROR_STYLE
from ui.widgets.reason_dialog import ReasonDialog
from ui.widgets.shortcuts import add_save_shortcut

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Date", "Type", "Provider", "Reason", "Note")


def _cell(e: EncounterSummary, column: int) -> str:
    if column == 0:
        return f"{e.occurred_at:%m/%d/%Y %H:%M}"
    if column == 1:
        return e.encounter_type
    if column == 2:
        return e.provider_name
    if column == 3:
        return e.reason
    return "Entered in error" if e.entered_in_error else e.note_status.capitalize()


class EncounterTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[EncounterSummary] = []

    def set_rows(self, rows: list[EncounterSummary]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(e, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and e.entered_in_error:
            return f"Entered in error: {e.error_reason}"
        if role == Qt.ItemDataRole.FontRole and e.entered_in_error:
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and e.entered_in_error:
            return QColor("#777777")
        return None


class NewEncounterDialog(QDialog):
    """Provider, type, date and time, reason and a template; `started` after Start."""

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.started: EncounterRecord | None = None
        self.setWindowTitle("New encounter")
        self.setObjectName("newEncounterDialog")
        self.provider = QComboBox()
        self.provider.setObjectName("provider")
        for p in list_providers(actor):
            self.provider.addItem(p.full_name, p.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(actor.user_id)))
        self.type = QComboBox()
        self.type.setObjectName("encounter_type")
        self.type.addItems(list(ENCOUNTER_TYPES))
        self.when = QDateTimeEdit(QDateTime(now_local()))
        self.when.setObjectName("occurred_at")
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("MM/dd/yyyy HH:mm")
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setMaxLength(200)
        self.reason.setPlaceholderText("Reason for the visit")
        self.template = QComboBox()
        self.template.setObjectName("template")
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("&Start encounter")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        form = QFormLayout()
        form.addRow("Pro&vider", self.provider)
        form.addRow("T&ype", self.type)
        form.addRow("&Date and time", self.when)
        form.addRow("&Reason", self.reason)
        form.addRow("&Template", self.template)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.type.currentIndexChanged.connect(self._load_templates)
        self._load_templates()
        self.reason.setFocus()

    def _load_templates(self) -> None:
        self.template.clear()
        self.template.addItem("(none)", None)
        for t in list_note_templates(self.actor, self.type.currentText()):
            self.template.addItem(t.name, t.id)

    def save(self) -> None:
        if self.provider.currentData() is None:
            self.error.setText("There is no physician to see the patient yet.")
            return
        try:
            self.started = start_encounter(
                self.actor,
                self.patient_id,
                provider_id=self.provider.currentData(),
                occurred_at=self.when.dateTime().toPython().replace(second=0, microsecond=0),
                encounter_type=self.type.currentText(),
                reason=self.reason.text(),
                template_id=self.template.currentData(),
            )
        except ValidationError as exc:
            self.error.setText("; ".join(exc.field_errors.values()))
            return
        except UserError as exc:
            self.error.setText(f"Not started: {exc}")
            return
        self.accept()


class EncountersPane(ChartPane):
    title = "Encounters"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.editor: NoteEditor | None = None
        self.dialog: QWidget | None = None
        self.model = EncounterTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("encounters")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(
            lambda index: self.open_encounter(self.model.rows[index.row()].id)
        )
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        may_write = actor.can(Permission.CHART_WRITE)
        self.new_button = QPushButton("&New encounter…")
        self.new_button.setObjectName("new_encounter")
        self.new_button.clicked.connect(self.new_encounter)
        self.new_button.setVisible(may_write)
        self.open_button = QPushButton("&Open note")
        self.open_button.setObjectName("open_encounter")
        self.open_button.clicked.connect(self.open_selected)
        self.error_button = QPushButton("Entered in &error…")
        self.error_button.setObjectName("entered_in_error")
        self.error_button.clicked.connect(self.mark_selected_in_error)
        self.error_button.setVisible(may_write)
        self.templates_button = QPushButton("Templates and &phrases…")
        self.templates_button.setObjectName("templates")
        self.templates_button.clicked.connect(self.open_templates)
        self.templates_button.setVisible(may_write)
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.setObjectName("show_errors")
        self.show_errors.toggled.connect(self.reload)
        self.error = self.error_label()
        self.error.setObjectName("pane_error")

        buttons = QHBoxLayout()
        for button in (self.new_button, self.open_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_errors)
        buttons.addWidget(self.templates_button)
        list_part = QWidget()
        list_layout = QVBoxLayout(list_part)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(self.table, 1)
        list_layout.addLayout(buttons)
        list_layout.addWidget(self.error)

        self.placeholder = QLabel("Choose an encounter to see its note, or start a new one.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note_area = QStackedWidget()
        self.note_area.addWidget(self.placeholder)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(list_part)
        splitter.addWidget(self.note_area)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.reload()

    # --- the list -------------------------------------------------------------------------

    def reload(self) -> None:
        selected = self.selected()
        try:
            rows = list_encounters(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.error.setText(str(exc))
            self.model.set_rows([])
            return
        self.error.setText("")
        self.model.set_rows(rows)
        if selected is not None:
            self.select(selected.id)
        self._selection_changed()

    def select(self, encounter_id: int) -> None:
        for row, e in enumerate(self.model.rows):
            if e.id == encounter_id:
                self.table.selectRow(row)
                return

    def selected(self) -> EncounterSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        e = self.selected()
        self.open_button.setEnabled(e is not None)
        self.error_button.setEnabled(
            e is not None and not e.entered_in_error and e.note_status != "signed"
        )

    # --- the note -------------------------------------------------------------------------

    def open_selected(self) -> NoteEditor | None:
        e = self.selected()
        return self.open_encounter(e.id) if e is not None else None

    def open_encounter(self, encounter_id: int) -> NoteEditor | None:
        if self.editor is not None:
            if self.editor.encounter_id == encounter_id:
                self.editor.sections["subjective"].setFocus()
                return self.editor
            self.close_editor()
        try:
            editor = NoteEditor(self.actor, encounter_id)
        except UserError as exc:
            self.error.setText(f"Not opened: {exc}")
            return None
        editor.changed.connect(self._note_changed)
        self.editor = editor
        self.note_area.addWidget(editor)
        self.note_area.setCurrentWidget(editor)
        self.select(encounter_id)
        editor.sections["subjective"].setFocus()
        return editor

    def close_editor(self) -> None:
        if self.editor is None:
            return
        self.editor.autosave()
        self.editor.timer.stop()
        self.note_area.removeWidget(self.editor)
        self.editor.deleteLater()
        self.editor = None
        self.note_area.setCurrentWidget(self.placeholder)

    def _note_changed(self) -> None:
        self.reload()
        self.changed.emit()

    # --- actions --------------------------------------------------------------------------

    def new_encounter(self) -> NewEncounterDialog | None:
        try:
            dialog = NewEncounterDialog(self.actor, self.patient_id, self)
        except UserError as exc:
            self.error.setText(str(exc))
            return None
        dialog.accepted.connect(lambda: self._started(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _started(self, dialog: NewEncounterDialog) -> None:
        if dialog.started is None:
            return
        self.reload()
        self.open_encounter(dialog.started.id)
        self.changed.emit()

    def mark_selected_in_error(self) -> ReasonDialog | None:
        e = self.selected()
        if e is None:
            return None
        dialog = EnteredInErrorDialog(
            f"the {e.encounter_type.lower()} of {e.occurred_at:%m/%d/%Y %H:%M}",
            self,
            placeholder="Reason (e.g. wrong patient)",
            title="Encounter entered in error",
            warning=True,
        )
        dialog.accepted.connect(lambda: self._mark(e, dialog.reason_text()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _mark(self, e: EncounterSummary, reason: str) -> None:
        try:
            mark_encounter_entered_in_error(self.actor, e.id, e.version, reason)
        except UserError as exc:
            self.error.setText(f"Not marked: {exc}")
            return
        if self.editor is not None and self.editor.encounter_id == e.id:
            self.editor.reload()
        self.reload()
        self.changed.emit()

    def open_templates(self) -> QDialog:
        from ui.chart.templates_dialog import TemplatesDialog

        dialog = TemplatesDialog(self.actor, self)
        self.dialog = dialog
        dialog.open()
        return dialog
