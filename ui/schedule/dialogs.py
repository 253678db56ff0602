"""The schedule's small questions: why cancel, why book over a warning, when is the next
free slot. Each is opened with open() (window-modal, never blocking the event loop)."""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
)

from emr.errors import UserError
from emr.services.context import Actor
from emr.services.schedule_setup import ProviderRecord, list_appointment_types
from emr.services.scheduling import AppointmentRecord, find_next_free_slot
from ui.schedule.appointment_dialog import qdate
from ui.style import ERROR_STYLE
from ui.widgets.reason_dialog import ReasonDialog


def cancel_dialog(appointment: AppointmentRecord, parent=None) -> ReasonDialog:
    return ReasonDialog(
        "Cancel appointment",
        f"Cancel {appointment.patient_name}'s appointment on "
        f"{appointment.starts:%a %m/%d/%Y at %H:%M}? It stays in the record as cancelled.",
        "Cancel appointment",
        series=appointment.series_id is not None,
        parent=parent,
    )


def override_dialog(warnings: list[str], parent=None) -> ReasonDialog:
    return ReasonDialog(
        "Booking warning", "\n".join(warnings), "Move anyway", warning=True, parent=parent
    )


class NextFreeSlotDialog(QDialog):
    """Find the first free time of a provider for a type from a date; `found` after Find."""

    def __init__(
        self,
        actor: Actor,
        providers: list[ProviderRecord],
        *,
        provider_id: int | None,
        from_day: date,
        slot_minutes: int,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.slot_minutes = slot_minutes
        self.found: datetime | None = None
        self.setWindowTitle("Find next free slot")
        self.setObjectName("nextFreeSlotDialog")
        self.provider = QComboBox()
        for p in providers:
            self.provider.addItem(p.full_name, p.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(provider_id)))
        self.type = QComboBox()
        self.from_day = QDateEdit(qdate(from_day))
        self.from_day.setCalendarPopup(True)
        self.from_day.setDisplayFormat("ddd MM/dd/yyyy")
        self.result = QLabel()
        self.result.setObjectName("freeSlot")
        self.result.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.find_button = self.buttons.addButton("&Find", QDialogButtonBox.ButtonRole.ActionRole)
        self.book_button = self.buttons.addButton(
            "&Book it", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.book_button.setEnabled(False)
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Pro&vider", self.provider)
        form.addRow("&Type", self.type)
        form.addRow("F&rom", self.from_day)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.provider.currentIndexChanged.connect(self._load_types)
        self._load_types()

    def _load_types(self) -> None:
        self.type.clear()
        for t in list_appointment_types(self.actor, self.provider.currentData()):
            self.type.addItem(f"{t.name} ({t.default_minutes} min)", (t.id, t.default_minutes))

    def find(self) -> None:
        self.found = None
        self.book_button.setEnabled(False)
        self.result.setStyleSheet("")
        if self.type.currentData() is None:
            self.result.setText("There are no appointment types yet.")
            return
        d = self.from_day.date()
        try:
            self.found = find_next_free_slot(
                self.actor,
                self.provider.currentData(),
                self.type.currentData()[1],
                datetime.combine(date(d.year(), d.month(), d.day()), time()),
                step_minutes=self.slot_minutes,
            )
        except UserError as exc:
            self.result.setStyleSheet(ERROR_STYLE)
            self.result.setText(str(exc))
            return
        if self.found is None:
            self.result.setText("No free time in working hours in the next four months.")
            return
        self.result.setText(f"Next free: <b>{self.found:%A %m/%d/%Y at %H:%M}</b>")
        self.book_button.setEnabled(True)
        self.book_button.setFocus()

    @property
    def type_id(self) -> int | None:
        data = self.type.currentData()
        return data[0] if data else None
