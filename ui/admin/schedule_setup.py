"""Schedule setup: each provider's weekly working hours and the practice's appointment types."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.schedule_rules import MAX_APPOINTMENT_MINUTES, WEEKDAYS, Stretch
from emr.services.context import Actor
from emr.services.schedule_setup import (
    AppointmentTypeRecord,
    ProviderRecord,
    get_working_hours,
    list_appointment_types,
    list_providers,
    save_appointment_type,
    set_working_hours,
)
from ui.style import ERROR_STYLE
from ui.widgets.field_errors import FieldErrors
from ui.widgets.record_table import RecordTableModel
from ui.widgets.shortcuts import add_save_shortcut

ALL_PROVIDERS = "All providers"
DEFAULT_COLOUR = "#4a90d9"
TIME_FORMAT = "HH:mm"


def _time_edit(value: time) -> QTimeEdit:
    edit = QTimeEdit(QTime(value.hour, value.minute))
    edit.setDisplayFormat(TIME_FORMAT)
    return edit


class HoursRow(QWidget):
    """One stretch of a working week: a weekday, from, to, and a button to remove it."""

    remove_requested = Signal(object)  # this row

    def __init__(self, stretch: Stretch, parent=None) -> None:
        super().__init__(parent)
        self.weekday = QComboBox()
        self.weekday.addItems(list(WEEKDAYS))
        self.weekday.setCurrentIndex(stretch.weekday)
        self.weekday.setAccessibleName("Weekday")
        self.starts = _time_edit(stretch.starts)
        self.starts.setAccessibleName("From")
        self.ends = _time_edit(stretch.ends)
        self.ends.setAccessibleName("To")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove these hours")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.weekday)
        line.addWidget(QLabel("from"))
        line.addWidget(self.starts)
        line.addWidget(QLabel("to"))
        line.addWidget(self.ends)
        line.addWidget(self.remove_button)
        line.addStretch(1)

    def stretch(self) -> Stretch:
        return Stretch(
            self.weekday.currentIndex(), self.starts.time().toPython(), self.ends.time().toPython()
        )

    def focus_chain(self) -> list[QWidget]:
        return [self.weekday, self.starts, self.ends, self.remove_button]


class WorkingHoursEditor(QGroupBox):
    """A provider's week as rows of stretches; Save replaces the provider's hours."""

    saved = Signal(list)  # list[Stretch]

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__("&Working hours", parent)
        self.actor = actor
        self.provider_id: int | None = None
        self.rows: list[HoursRow] = []
        self.rows_box = QVBoxLayout()
        self.empty_label = QLabel(
            "No working hours: the provider cannot be booked without a reason."
        )
        self.add_button = QPushButton("&Add hours")
        self.add_button.setObjectName("add_hours")
        self.add_button.clicked.connect(self.add_row)
        self.save_button = QPushButton("Save &hours")
        self.save_button.setObjectName("save_hours")
        self.save_button.clicked.connect(self.save)
        self.error = QLabel()
        self.error.setObjectName("hours_error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.status = QLabel()
        self.status.setObjectName("hours_status")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(self.status)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addLayout(self.rows_box)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    def load(self, provider_id: int | None) -> None:
        self.provider_id = provider_id
        hours = [] if provider_id is None else get_working_hours(self.actor, provider_id)
        self.set_hours(hours)
        self.status.clear()
        self.setEnabled(provider_id is not None)

    def set_hours(self, hours: list[Stretch]) -> None:
        for row in self.rows:
            row.deleteLater()
        self.rows = []
        for stretch in hours:
            self._append(stretch)
        self.show_error("")
        self._refresh()

    def hours(self) -> list[Stretch]:
        return [row.stretch() for row in self.rows]

    def add_row(self) -> HoursRow:
        """A new stretch: the day after the last one, at the same times (Monday 08:00–12:00
        for the first)."""
        if self.rows:
            last = self.rows[-1].stretch()
            stretch = Stretch((last.weekday + 1) % 7, last.starts, last.ends)
        else:
            stretch = Stretch(0, time(8), time(12))
        row = self._append(stretch)
        self._refresh()
        row.weekday.setFocus()
        return row

    def remove_row(self, row: HoursRow) -> None:
        index = self.rows.index(row)
        self.rows.remove(row)
        row.deleteLater()
        self._refresh()
        if self.rows:
            self.rows[min(index, len(self.rows) - 1)].weekday.setFocus()
        else:
            self.add_button.setFocus()

    def _append(self, stretch: Stretch) -> HoursRow:
        row = HoursRow(stretch)
        row.remove_requested.connect(self.remove_row)
        self.rows_box.addWidget(row)
        self.rows.append(row)
        return row

    def _refresh(self) -> None:
        self.empty_label.setVisible(not self.rows)
        chain = [w for row in self.rows for w in row.focus_chain()]
        chain += [self.add_button, self.save_button]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def save(self) -> None:
        if self.provider_id is None:
            return
        try:
            hours = set_working_hours(self.actor, self.provider_id, self.hours())
        except ValidationError as exc:
            self.show_error(" ".join(exc.field_errors.values()))
            self.status.clear()
            return
        except UserError as exc:
            self.show_error(f"Not saved: {exc}")
            self.status.clear()
            return
        self.set_hours(hours)
        self.status.setText("Saved.")
        self.saved.emit(hours)


class AppointmentTypeDialog(QDialog):
    """Add or change an appointment type; Save keeps it and closes with accept()."""

    def __init__(
        self,
        actor: Actor,
        providers: list[ProviderRecord],
        kind: AppointmentTypeRecord | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.kind = kind
        self.saved_record: AppointmentTypeRecord | None = None
        self.setWindowTitle(
            "New appointment type" if kind is None else f"Appointment type: {kind.name}"
        )
        self.field_errors = FieldErrors()

        self.name = QLineEdit(kind.name if kind else "")
        self.name.setObjectName("name")
        self.minutes = QSpinBox()
        self.minutes.setObjectName("default_minutes")
        self.minutes.setRange(5, MAX_APPOINTMENT_MINUTES)
        self.minutes.setSingleStep(5)
        self.minutes.setSuffix(" minutes")
        self.minutes.setValue(kind.default_minutes if kind else 15)
        self.colour = QLineEdit(kind.colour if kind else DEFAULT_COLOUR)
        self.colour.setObjectName("colour")
        self.colour.setPlaceholderText("#rrggbb")
        self.colour.setMaxLength(7)
        self.swatch = QLabel()
        self.swatch.setFixedSize(22, 22)
        self.pick_colour_button = QPushButton("&Pick…")
        self.pick_colour_button.setObjectName("pick_colour")
        self.pick_colour_button.clicked.connect(self.pick_colour)
        self.colour.textChanged.connect(self._show_swatch)
        colour_row = QWidget()
        line = QHBoxLayout(colour_row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.swatch)
        line.addWidget(self.colour)
        line.addWidget(self.pick_colour_button)
        self.provider = QComboBox()
        self.provider.setObjectName("provider")
        self.provider.addItem(ALL_PROVIDERS, None)
        for p in providers:
            self.provider.addItem(p.full_name, p.id)
        if kind is not None:
            self.provider.setCurrentIndex(max(0, self.provider.findData(kind.provider_id)))
        self.active = QCheckBox("&Offered (untick to retire the type)")
        self.active.setObjectName("active")
        self.active.setChecked(kind.active if kind else True)

        form = QFormLayout()
        for text, name, editor, focus in (
            ("&Name", "name", self.name, None),
            ("&Length", "default_minutes", self.minutes, None),
            ("&Colour", "colour", colour_row, self.colour),
            ("P&rovider", "provider_id", self.provider, None),
            ("", "active", self.active, None),
        ):
            holder = self.field_errors.wrap(name, editor, focus)
            label = QLabel(text)
            label.setBuddy(self.field_errors.editors[name])
            form.addRow(label, holder)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("save")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.field_errors.summary)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._show_swatch()
        self.name.setFocus()

    def _show_swatch(self) -> None:
        colour = QColor(self.colour.text().strip())
        pixmap = QPixmap(self.swatch.size())
        pixmap.fill(colour if colour.isValid() else QColor("transparent"))
        self.swatch.setPixmap(pixmap)

    def pick_colour(self) -> None:
        start = QColor(self.colour.text().strip())
        chosen = QColorDialog.getColor(
            start if start.isValid() else QColor(DEFAULT_COLOUR), self, "Colour of the type"
        )
        if chosen.isValid():
            self.colour.setText(chosen.name())

    def save(self) -> None:
        try:
            self.saved_record = save_appointment_type(
                self.actor,
                name=self.name.text(),
                default_minutes=self.minutes.value(),
                colour=self.colour.text().strip(),
                provider_id=self.provider.currentData(),
                active=self.active.isChecked(),
                type_id=self.kind.id if self.kind else None,
                expected_version=self.kind.version if self.kind else None,
            )
        except ValidationError as exc:
            self.field_errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.field_errors.show({"": f"Not saved: {exc}"})
            return
        self.accept()


class ScheduleSetupPanel(QWidget):
    """Pick a provider to edit their hours; the appointment types below are the practice's."""

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.providers: list[ProviderRecord] = []
        self.type_dialog: AppointmentTypeDialog | None = None

        self.provider = QComboBox()
        self.provider.setObjectName("provider")
        self.provider.currentIndexChanged.connect(self._provider_chosen)
        provider_label = QLabel("Pro&vider")
        provider_label.setBuddy(self.provider)
        self.no_providers = QLabel(
            "There are no physicians yet: add a user with the role Physician under Users."
        )
        self.no_providers.setWordWrap(True)
        self.no_providers.hide()
        self.hours = WorkingHoursEditor(actor)

        self.types_model = RecordTableModel(
            [
                ("Name", lambda t: t.name),
                ("Minutes", lambda t: t.default_minutes),
                ("Colour", lambda t: t.colour),
                ("Provider", self._provider_name),
                ("Offered", lambda t: "Yes" if t.active else "Retired"),
            ],
            self,
            decoration=lambda t, column: QColor(t.colour) if column == 2 else None,
            foreground=lambda t: None if t.active else QColor("#777777"),
        )
        self.types_table = QTableView()
        self.types_table.setObjectName("appointment_types")
        self.types_table.setModel(self.types_model)
        self.types_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.types_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.types_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.types_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.types_table.verticalHeader().hide()
        self.types_table.doubleClicked.connect(lambda _index: self.edit_type())
        self.types_table.activated.connect(lambda _index: self.edit_type())
        self.types_table.selectionModel().selectionChanged.connect(self._type_selected)
        self.add_type_button = QPushButton("A&dd type…")
        self.add_type_button.setObjectName("add_type")
        self.add_type_button.clicked.connect(self.add_type)
        self.edit_type_button = QPushButton("&Edit type…")
        self.edit_type_button.setObjectName("edit_type")
        self.edit_type_button.clicked.connect(self.edit_type)
        self.retire_type_button = QPushButton("&Retire type")
        self.retire_type_button.setObjectName("retire_type")
        self.retire_type_button.clicked.connect(self.retire_type)
        self.types_error = QLabel()
        self.types_error.setStyleSheet(ERROR_STYLE)
        self.types_error.setWordWrap(True)
        self.types_error.hide()

        top = QHBoxLayout()
        top.addWidget(provider_label)
        top.addWidget(self.provider, 1)
        types_box = QGroupBox("Appointment &types")
        types_layout = QVBoxLayout(types_box)
        types_layout.addWidget(self.types_table)
        types_layout.addWidget(self.types_error)
        type_buttons = QHBoxLayout()
        type_buttons.addWidget(self.add_type_button)
        type_buttons.addWidget(self.edit_type_button)
        type_buttons.addWidget(self.retire_type_button)
        type_buttons.addStretch(1)
        types_layout.addLayout(type_buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.no_providers)
        layout.addWidget(self.hours)
        layout.addWidget(types_box, 1)
        self._type_selected()

    # --- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        chosen = self.provider.currentData()
        self.providers = list_providers(self.actor)
        self.provider.blockSignals(True)
        self.provider.clear()
        for p in self.providers:
            self.provider.addItem(f"{p.full_name} ({p.username})", p.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(chosen)))
        self.provider.blockSignals(False)
        self.no_providers.setVisible(not self.providers)
        self.provider.setEnabled(bool(self.providers))
        self._provider_chosen()
        self.reload_types()

    def choose_provider(self, provider_id: int) -> None:
        self.provider.setCurrentIndex(self.provider.findData(provider_id))

    def _provider_chosen(self) -> None:
        try:
            self.hours.load(self.provider.currentData())
        except UserError as exc:
            self.hours.set_hours([])
            self.hours.show_error(str(exc))

    def reload_types(self, select_id: int | None = None) -> None:
        types = list_appointment_types(self.actor, include_inactive=True)
        self.types_model.set_rows(types)
        self.types_error.hide()
        for row, kind in enumerate(types):
            if kind.id == select_id:
                self.types_table.selectRow(row)
        self._type_selected()

    def _provider_name(self, kind: AppointmentTypeRecord) -> str:
        if kind.provider_id is None:
            return ALL_PROVIDERS
        names = {p.id: p.full_name for p in self.providers}
        return names.get(kind.provider_id, f"(no longer a provider: user {kind.provider_id})")

    # --- appointment types --------------------------------------------------------------------

    def selected_type(self) -> AppointmentTypeRecord | None:
        rows = self.types_table.selectionModel().selectedRows()
        return self.types_model.record_at(rows[0].row()) if rows else None

    def _type_selected(self) -> None:
        kind = self.selected_type()
        self.edit_type_button.setEnabled(kind is not None)
        self.retire_type_button.setEnabled(kind is not None)
        self.retire_type_button.setText(
            "Re&activate type" if kind is not None and not kind.active else "&Retire type"
        )

    def add_type(self) -> AppointmentTypeDialog:
        return self._open_type_dialog(None)

    def edit_type(self) -> AppointmentTypeDialog | None:
        kind = self.selected_type()
        return None if kind is None else self._open_type_dialog(kind)

    def _open_type_dialog(self, kind: AppointmentTypeRecord | None) -> AppointmentTypeDialog:
        dialog = AppointmentTypeDialog(self.actor, self.providers, kind, self)
        dialog.accepted.connect(
            lambda: self.reload_types(dialog.saved_record.id if dialog.saved_record else None)
        )
        self.type_dialog = dialog
        dialog.open()
        return dialog

    def retire_type(self) -> None:
        """Retire the selected type (a type in use is kept, not deleted), or offer it again."""
        kind = self.selected_type()
        if kind is None:
            return
        try:
            save_appointment_type(
                self.actor,
                name=kind.name,
                default_minutes=kind.default_minutes,
                colour=kind.colour,
                provider_id=kind.provider_id,
                active=not kind.active,
                type_id=kind.id,
                expected_version=kind.version,
            )
        except UserError as exc:
            self.types_error.setText(str(exc))
            self.types_error.show()
            return
        self.reload_types(kind.id)
