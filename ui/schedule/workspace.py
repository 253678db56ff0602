"""The Schedule workspace: the day (all providers side by side) or one provider's week;
booking, moving, checking in and cancelling; the next free slot; the day sheet."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from emr.errors import BookingNeedsOverride, UserError
from emr.schedule_rules import GRID_MINUTES, STATUSES, Stretch
from emr.security.permissions import Permission
from emr.services.changes import change_marker
from emr.services.context import Actor
from emr.services.practice import get_practice
from emr.services.schedule_setup import ProviderRecord, get_working_hours, list_providers
from emr.services.scheduling import (
    AppointmentRecord,
    cancel_appointment,
    day_schedule,
    move_appointment,
    set_status,
    week_schedule,
)
from ui.schedule.appointment_dialog import AppointmentDialog, qdate
from ui.schedule.dialogs import NextFreeSlotDialog, ReasonDialog, cancel_dialog, override_dialog
from ui.schedule.grid_model import STATUS_COLOURS, Lane, ScheduleGridModel
from ui.schedule.grid_view import ScheduleGridView
from ui.style import ERROR_STYLE

ALL_PROVIDERS = -1
# How often a shown schedule asks whether another workstation changed it.
CHANGE_POLL_MS = 5000
STATUS_ACTIONS = [  # (status, button text, shortcut)
    ("confirmed", "Confirm", ""),
    ("arrived", "Check in", "Ctrl+I"),
    ("in_room", "In room", ""),
    ("completed", "Completed", ""),
    ("no_show", "No-show", ""),
    ("booked", "Back to booked", ""),
]


def as_date(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


class ScheduleWorkspace(QWidget):
    chart_requested = Signal(int)  # patient id: a clinician opens the patient's chart
    visit_requested = Signal(int)  # appointment id: a clinician starts (or reopens) its visit

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.can_write = actor.can(Permission.SCHEDULE_WRITE)
        self.providers: list[ProviderRecord] = []
        self._hours: dict[int, tuple[Stretch, ...]] = {}
        self.appointments: list[AppointmentRecord] = []
        self.dialog = None  # the open dialog (book, edit, cancel, override, free slot)
        self.message = QLabel()
        self.message.setObjectName("scheduleMessage")
        self.message.setWordWrap(True)
        self.busy = QProgressBar()  # shown while a day sheet is being made off the UI thread
        self.busy.setObjectName("scheduleBusy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.hide()

        self.model = ScheduleGridModel(self)
        self.grid = ScheduleGridView()
        self.grid.setModel(self.model)
        self.grid.slot_activated.connect(self.book_at)
        self.grid.block_activated.connect(lambda *_: self.edit_selected())
        self.grid.moved.connect(self.move_to)
        self.grid.selectionModel().currentChanged.connect(self._current_changed)

        self._build_toolbar()
        self._build_details()
        self._build_legend()
        splitter = QSplitter()
        splitter.addWidget(self.grid)
        splitter.addWidget(self.details_panel)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.toolbar)
        layout.addWidget(splitter, 1)
        status = QHBoxLayout()
        status.addWidget(self.message, 1)
        status.addWidget(self.busy)
        layout.addLayout(status)
        layout.addLayout(self.legend)

        self._shortcut("Ctrl+B", self.book_here)
        self._shortcut("Ctrl+Shift+F", self.open_next_free_slot)
        self._shortcut("F5", self.reload)
        self._shortcut("Alt+Right", lambda: self.step(1))
        self._shortcut("Alt+Left", lambda: self.step(-1))
        self._shortcut("Ctrl+T", self.go_today)
        self._marker: str | None = None
        self.change_poll = QTimer(self)
        self.change_poll.setInterval(CHANGE_POLL_MS)
        self.change_poll.timeout.connect(self.reload_if_changed)
        self.reload()

    # --- building -----------------------------------------------------------------------------

    def _shortcut(self, keys: str, slot) -> QShortcut:
        shortcut = QShortcut(QKeySequence(keys), self, activated=slot)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        return shortcut

    def _build_toolbar(self) -> None:
        self.previous = QPushButton("◀")
        self.previous.setToolTip("Previous day or week (Alt+Left)")
        self.today = QPushButton("Today")
        self.today.setToolTip("Ctrl+T")
        self.next = QPushButton("▶")
        self.next.setToolTip("Next day or week (Alt+Right)")
        self.date = QDateEdit(qdate(date.today()))
        self.date.setObjectName("scheduleDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dddd MM/dd/yyyy")
        self.view = QComboBox()
        self.view.setObjectName("scheduleView")
        self.view.addItem("Day", "day")
        self.view.addItem("Week", "week")
        self.provider = QComboBox()
        self.provider.setObjectName("scheduleProvider")
        self.resolution = QComboBox()
        self.resolution.setObjectName("scheduleResolution")
        for minutes in GRID_MINUTES:
            self.resolution.addItem(f"{minutes} min", minutes)
        try:
            grid = get_practice(self.actor).slot_minutes
        except UserError:
            grid = 15
        self.resolution.setCurrentIndex(max(0, self.resolution.findData(grid)))
        self.book_button = QPushButton("&Book…")
        self.book_button.setToolTip("Book at the selected slot (Ctrl+B, Enter or double-click)")
        self.book_button.setEnabled(self.can_write)
        self.free_button = QPushButton("Next &free slot…")
        self.free_button.setToolTip("Ctrl+Shift+F")
        self.print_button = QPushButton("Print &day sheet…")
        self.pdf_button = QPushButton("Day sheet P&DF…")

        self.previous.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(1))
        self.today.clicked.connect(self.go_today)
        self.date.dateChanged.connect(lambda _d: self.reload())
        self.view.currentIndexChanged.connect(lambda _i: self.reload())
        self.provider.currentIndexChanged.connect(lambda _i: self.reload())
        self.resolution.currentIndexChanged.connect(lambda _i: self.reload())
        self.book_button.clicked.connect(self.book_here)
        self.free_button.clicked.connect(self.open_next_free_slot)
        self.print_button.clicked.connect(self.print_day_sheet)
        self.pdf_button.clicked.connect(self.save_day_sheet)

        self.toolbar = QHBoxLayout()
        for widget in (
            self.previous,
            self.today,
            self.next,
            self.date,
            self.view,
            self.provider,
            self.resolution,
        ):
            self.toolbar.addWidget(widget)
        self.toolbar.addStretch()
        for widget in (self.book_button, self.free_button, self.print_button, self.pdf_button):
            self.toolbar.addWidget(widget)

    def _build_details(self) -> None:
        self.details_panel = QWidget()
        self.details_panel.setMinimumWidth(240)
        self.details_list = QListWidget()
        self.details_list.setObjectName("blockAppointments")
        self.details_list.setMaximumHeight(70)
        self.details_list.currentRowChanged.connect(lambda _r: self._show_details())
        self.details = QLabel("Select an appointment.")
        self.details.setObjectName("appointmentDetails")
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.status_buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self.details_panel)
        layout.addWidget(self.details_list)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.edit_button)
        for status, text, keys in STATUS_ACTIONS:
            button = QPushButton(text)
            if keys:
                button.setToolTip(keys)
                self._shortcut(keys, lambda s=status: self.change_status(s))
            button.clicked.connect(lambda _c=False, s=status: self.change_status(s))
            self.status_buttons[status] = button
            layout.addWidget(button)
        self.cancel_button = QPushButton("&Cancel appointment…")
        self.cancel_button.clicked.connect(self.cancel_selected)
        layout.addWidget(self.cancel_button)
        self.chart_button = QPushButton("Open c&hart")
        self.chart_button.setObjectName("openChart")
        self.chart_button.setVisible(self.actor.can(Permission.CHART_READ))
        self.chart_button.clicked.connect(self._open_chart)
        layout.addWidget(self.chart_button)
        self.visit_button = QPushButton("Start &visit")
        self.visit_button.setObjectName("startVisit")
        self.visit_button.setToolTip("Open this appointment's encounter and note in the chart")
        self.visit_button.setVisible(self.actor.can(Permission.CHART_WRITE))
        self.visit_button.clicked.connect(self._start_visit)
        layout.addWidget(self.visit_button)
        self._show_details()

    def _build_legend(self) -> None:
        self.legend = QHBoxLayout()
        self.legend.addWidget(QLabel("Status:"))
        for status, label in STATUSES.items():
            chip = QLabel(f" {label} ")
            chip.setStyleSheet(
                f"border-left: 8px solid {STATUS_COLOURS[status]}; padding: 1px 6px;"
                "background: #fafafa;"
            )
            self.legend.addWidget(chip)
        self.legend.addStretch()

    # --- loading ------------------------------------------------------------------------------

    @property
    def day(self) -> date:
        return as_date(self.date.date())

    @property
    def week_view(self) -> bool:
        return self.view.currentData() == "week"

    @property
    def slot_minutes(self) -> int:
        return self.resolution.currentData()

    def _load_providers(self) -> None:
        self.providers = list_providers(self.actor)
        self._hours = {p.id: tuple(get_working_hours(self.actor, p.id)) for p in self.providers}
        chosen = self.provider.currentData()
        self.provider.blockSignals(True)
        self.provider.clear()
        self.provider.addItem("All providers", ALL_PROVIDERS)
        for p in self.providers:
            self.provider.addItem(p.full_name, p.id)
        index = self.provider.findData(chosen)
        self.provider.setCurrentIndex(index if index >= 0 else 0)
        self.provider.blockSignals(False)

    def reload(self, select_id: int | None = None) -> None:
        """Read the shown day or week again (after every change, and with F5)."""
        keep = select_id or (self.selected.id if self.selected else None)
        # Taken before reading, so that a change made meanwhile brings one more reload.
        self._marker = self._change_marker()
        self._load_providers()
        chosen = self.provider.currentData()
        try:
            if self.week_view:
                provider = next((p for p in self.providers if p.id == chosen), None)
                provider = provider or (self.providers[0] if self.providers else None)
                monday = self.day - timedelta(days=self.day.weekday())
                lanes, found = self._week(provider, monday)
            else:
                shown = [p for p in self.providers if chosen in (ALL_PROVIDERS, p.id)]
                lanes = [Lane(p.full_name, p.id, self.day, self._hours[p.id]) for p in shown]
                found = day_schedule(
                    self.actor, self.day, None if chosen == ALL_PROVIDERS else chosen
                )
        except UserError as exc:
            self.show_error(str(exc))
            return
        self.appointments = found
        self.model.set_schedule(lanes, found, self.slot_minutes)
        self.grid.apply_spans()
        if not self.providers:
            self.show_message("There are no providers yet: an administrator adds physician users.")
        if keep is not None and (index := self.model.index_of(keep)).isValid():
            self.grid.setCurrentIndex(index)
        else:
            self._scroll_to_working_hours()
        self._show_details()

    def _week(
        self, provider: ProviderRecord | None, monday: date
    ) -> tuple[list[Lane], list[AppointmentRecord]]:
        if provider is None:
            return [], []
        found = week_schedule(self.actor, provider.id, monday)
        hours = self._hours[provider.id]
        lanes = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            busy = any(a.starts.date() == day for a in found)
            if offset < 5 or busy or any(h.weekday == offset for h in hours):
                lanes.append(Lane(f"{day:%a %m/%d}", provider.id, day, hours))
        return lanes, found

    def _scroll_to_working_hours(self) -> None:
        starts = [h.starts for lane in self.model.lanes for h in lane.hours]
        if starts and self.model.rowCount():
            row = self.model.row_of_time(min(starts))
            column = 0 if self.model.columnCount() else -1
            if column >= 0:
                self.grid.setCurrentIndex(self.model.index(row, column))
                self.grid.scrollTo(self.model.index(row, column))

    # --- navigation ---------------------------------------------------------------------------

    def step(self, direction: int) -> None:
        self.date.setDate(self.date.date().addDays(direction * (7 if self.week_view else 1)))

    def go_today(self) -> None:
        self.date.setDate(qdate(date.today()))

    def show_day(self, day: date, provider_id: int | None = None) -> None:
        if provider_id is not None:
            self.provider.setCurrentIndex(max(0, self.provider.findData(provider_id)))
        self.date.setDate(qdate(day))

    def focus_grid(self) -> None:
        self.grid.setFocus()

    # --- the selected appointment -------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.details_list.clear()
        for a in self.model.appointments_at(current.row(), current.column()):
            item = QListWidgetItem(f"{a.starts:%H:%M} {a.patient_name} ({a.status_label})")
            item.setData(Qt.ItemDataRole.UserRole, a)
            self.details_list.addItem(item)
        self.details_list.setVisible(self.details_list.count() > 1)
        if self.details_list.count():
            self.details_list.setCurrentRow(0)
        self._show_details()

    @property
    def selected(self) -> AppointmentRecord | None:
        item = self.details_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _show_details(self) -> None:
        a = self.selected
        self.chart_button.setEnabled(False)
        self.visit_button.setEnabled(False)
        for button in (*self.status_buttons.values(), self.edit_button, self.cancel_button):
            button.setEnabled(a is not None and self.can_write and a.status != "cancelled")
        if a is None:
            self.details.setText("Select an appointment." if self.can_write else "")
            return
        self.chart_button.setEnabled(True)
        self.visit_button.setEnabled(a.status != "cancelled")
        for status, button in self.status_buttons.items():
            button.setEnabled(button.isEnabled() and a.status != status)
        lines = [
            f"<b>{a.patient_name}</b>",
            f"Born {a.patient_dob:%m/%d/%Y} · MRN {a.patient_mrn}",
            f"Phone {a.patient_phone}" if a.patient_phone else "",
            f"{a.starts:%a %m/%d/%Y %H:%M}–{a.ends:%H:%M} ({a.minutes} min)",
            f"{a.type_name} with {a.provider_name}",
            f"Status: <b>{a.status_label}</b>"
            + (f" at {a.arrived_at:%H:%M}" if a.arrived_at else ""),
            f"Reason: {a.reason}" if a.reason else "",
            f"Notes: {a.notes}" if a.notes else "",
            "Part of a recurring series" if a.series_id else "",
            f"Booked over a warning: {a.override_reason}" if a.override_reason else "",
            f"Cancelled: {a.cancel_reason}" if a.cancel_reason else "",
        ]
        self.details.setText("<br>".join(line for line in lines if line))

    # --- actions ------------------------------------------------------------------------------

    def _start_visit(self) -> None:
        if self.selected is not None:
            self.visit_requested.emit(self.selected.id)

    def _open_chart(self) -> None:
        if self.selected is not None:
            self.chart_requested.emit(self.selected.patient_id)

    def show_message(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)

    def _open(self, dialog, on_accept) -> None:
        self.dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _r: self._closed(dialog))
        dialog.open()
        dialog.activateWindow()

    def _closed(self, dialog) -> None:
        if self.dialog is dialog:  # an accepted dialog may have opened the next one already
            self.dialog = None
        self.grid.setFocus()

    def book_here(self) -> None:
        index = self.grid.currentIndex()
        if index.isValid():
            self.book_at(index.row(), index.column())
        elif self.model.columnCount():
            self.book_at(0, 0)

    def book_at(self, row: int, column: int) -> None:
        if not self.can_write:
            self.show_error("Your role may look at the schedule but not book.")
            return
        if not self.providers:
            self.show_error("There are no providers to book with.")
            return
        lane, start = self.model.slot_start(row, column)
        self.open_booking(lane.provider_id, start)

    def open_booking(self, provider_id: int, start: datetime, type_id: int | None = None) -> None:
        dialog = AppointmentDialog(
            self.actor, self.providers, provider_id=provider_id, starts=start, parent=self
        )
        if type_id is not None:
            dialog.type.setCurrentIndex(max(0, dialog.type.findData(type_id)))
        self._open(dialog, lambda: self._saved(dialog.saved, "Booked"))

    def edit_selected(self) -> None:
        a = self.selected
        if a is None or not self.can_write or a.status == "cancelled":
            return
        dialog = AppointmentDialog(
            self.actor,
            self.providers,
            provider_id=a.provider_id,
            starts=a.starts,
            appointment=a,
            parent=self,
        )
        self._open(dialog, lambda: self._saved(dialog.saved, "Saved"))

    def _saved(self, saved: list[AppointmentRecord], verb: str) -> None:
        if not saved:
            return
        first = saved[0]
        extra = f" and {len(saved) - 1} more visits" if len(saved) > 1 else ""
        self.show_message(f"{verb}: {first.patient_name}, {first.starts:%a %m/%d/%Y %H:%M}{extra}.")
        if first.starts.date() != self.day and not self.week_view:
            self.date.blockSignals(True)
            self.date.setDate(qdate(first.starts.date()))
            self.date.blockSignals(False)
        self.reload(select_id=first.id)

    def change_status(self, status: str) -> None:
        a = self.selected
        if a is None or not self.can_write:
            return
        try:
            changed = set_status(self.actor, a.id, a.version, status)
        except UserError as exc:
            self.show_error(str(exc))
            self.reload()
            return
        when = f" at {changed.arrived_at:%H:%M}" if status == "arrived" else ""
        self.show_message(f"{changed.patient_name}: {changed.status_label}{when}.")
        self.reload(select_id=changed.id)

    def cancel_selected(self) -> None:
        a = self.selected
        if a is None or not self.can_write or a.status == "cancelled":
            return
        dialog = cancel_dialog(a, self)

        def cancel() -> None:
            try:
                done = cancel_appointment(
                    self.actor,
                    a.id,
                    a.version,
                    dialog.reason.text(),
                    whole_series=dialog.whole_series.isChecked(),
                )
            except UserError as exc:
                self.show_error(str(exc))
                self.reload()
                return
            more = f" and {len(done) - 1} later visits" if len(done) > 1 else ""
            self.show_message(f"Cancelled {a.patient_name}'s appointment{more}.")
            self.reload()

        self._open(dialog, cancel)

    def move_to(self, appointment_id: int, row: int, column: int) -> None:
        a = next((x for x in self.appointments if x.id == appointment_id), None)
        if a is None or not self.can_write or a.status == "cancelled":
            return
        lane, start = self.model.slot_start(row, column)
        if (start, lane.provider_id) == (a.starts, a.provider_id):
            return
        self._move(a, start, lane.provider_id, "")

    def _move(self, a: AppointmentRecord, start: datetime, provider_id: int, reason: str) -> None:
        try:
            moved = move_appointment(
                self.actor,
                a.id,
                a.version,
                starts=start,
                provider_id=provider_id,
                override_reason=reason,
            )
        except BookingNeedsOverride as exc:
            dialog: ReasonDialog = override_dialog(exc.warnings, self)
            self._open(dialog, lambda: self._move(a, start, provider_id, dialog.reason.text()))
            return
        except UserError as exc:
            self.show_error(str(exc))
            self.reload()
            return
        self.show_message(
            f"Moved {moved.patient_name} to {moved.starts:%a %m/%d %H:%M} "
            f"with {moved.provider_name}."
        )
        self.reload(select_id=moved.id)

    def open_next_free_slot(self) -> None:
        index = self.grid.currentIndex()
        provider_id = (
            self.model.lanes[index.column()].provider_id
            if index.isValid() and self.model.lanes
            else (self.providers[0].id if self.providers else None)
        )
        dialog = NextFreeSlotDialog(
            self.actor,
            self.providers,
            provider_id=provider_id,
            from_day=self.day,
            slot_minutes=self.slot_minutes,
            parent=self,
        )

        def book_found() -> None:
            if dialog.found is not None and self.can_write:
                self.show_day(dialog.found.date())
                self.open_booking(dialog.provider.currentData(), dialog.found, dialog.type_id)

        self._open(dialog, book_found)

    # --- day sheet ----------------------------------------------------------------------------

    def _day_sheet_provider(self) -> int | None:
        chosen = self.provider.currentData()
        return None if chosen in (None, ALL_PROVIDERS) else chosen

    def print_day_sheet(self) -> None:
        from ui.schedule.day_sheet_actions import print_day_sheet

        print_day_sheet(self, self.day, self._day_sheet_provider())

    def save_day_sheet(self) -> None:
        from ui.schedule.day_sheet_actions import save_day_sheet

        save_day_sheet(self, self.day, self._day_sheet_provider())

    # --- another workstation's changes ------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.change_poll.start()

    def hideEvent(self, event) -> None:
        self.change_poll.stop()
        super().hideEvent(event)

    def _change_marker(self) -> str | None:
        try:
            return change_marker(self.actor, "schedule")
        except UserError:
            return None  # the database is busy or gone: the next poll asks again

    def reload_if_changed(self) -> bool:
        """Reload when another workstation changed the schedule; never under an open dialog
        or a drag, which the reload would pull the rows from under."""
        if not self.isVisible() or self.dialog is not None or QApplication.activeModalWidget():
            return False
        if self.grid.state() == QAbstractItemView.State.DraggingState:
            return False
        marker = self._change_marker()
        if marker is None or marker == self._marker:
            return False
        self.reload()
        return True

    # --- smoke run ----------------------------------------------------------------------------

    def smoke_test(self) -> str:
        self.go_today()
        self.reload()
        return (
            f"Schedule ({len(self.providers)} providers, {len(self.appointments)} appointments "
            f"on {self.day:%m/%d/%Y})"
        )
