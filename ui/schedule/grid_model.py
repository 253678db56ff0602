"""The schedule grid as a table: one row per time slot, one column per lane (a provider on
the day view, a day on the week view). An appointment fills the rows of its length; a
double booking shares one block with the appointments it overlaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from emr.schedule_rules import STATUSES, Stretch, within_hours
from emr.services.scheduling import AppointmentRecord

DEFAULT_FIRST = time(7)
DEFAULT_LAST = time(19)

# Status colours, shown as the strip at a block's left edge and in the legend.
STATUS_COLOURS: dict[str, str] = {
    "booked": "#9e9e9e",
    "confirmed": "#1e88e5",
    "arrived": "#fb8c00",
    "in_room": "#8e24aa",
    "completed": "#43a047",
    "no_show": "#e53935",
    "cancelled": "#5d4037",
}
OFF_HOURS = QColor("#eceff1")
FREE = QColor("#ffffff")

APPOINTMENTS_ROLE = Qt.ItemDataRole.UserRole + 1  # list[AppointmentRecord] of a block's cell
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class Lane:
    title: str
    provider_id: int
    day: date
    hours: tuple[Stretch, ...] = ()


@dataclass
class Block:
    """Appointments shown together: one, or several that overlap (double booking)."""

    lane: int
    first_row: int
    rows: int
    appointments: list[AppointmentRecord] = field(default_factory=list)


class ScheduleGridModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lanes: list[Lane] = []
        self.slot_minutes = 15
        self.first = DEFAULT_FIRST
        self.slots = 0
        self.blocks: list[Block] = []
        self._block_at: dict[tuple[int, int], Block] = {}

    # --- feeding ------------------------------------------------------------------------------

    def set_schedule(
        self, lanes: list[Lane], appointments: list[AppointmentRecord], slot_minutes: int
    ) -> None:
        self.beginResetModel()
        self.lanes = lanes
        self.slot_minutes = slot_minutes
        self.first, last = self._span_of_day(lanes, appointments)
        total = (last.hour * 60 + last.minute) - (self.first.hour * 60 + self.first.minute)
        self.slots = max(1, -(-total // slot_minutes))
        self.blocks = self._blocks(appointments)
        self._block_at = {
            (row, b.lane): b
            for b in self.blocks
            for row in range(b.first_row, b.first_row + b.rows)
        }
        self.endResetModel()

    def _span_of_day(
        self, lanes: list[Lane], appointments: list[AppointmentRecord]
    ) -> tuple[time, time]:
        starts = [h.starts for lane in lanes for h in lane.hours] + [DEFAULT_FIRST]
        ends = [h.ends for lane in lanes for h in lane.hours] + [DEFAULT_LAST]
        for a in appointments:
            starts.append(a.starts.time())
            ends.append(time(23, 59) if a.ends.date() != a.starts.date() else a.ends.time())
        first = min(starts)
        first = time(first.hour)
        last = max(ends)
        return first, (time(last.hour + 1) if last.minute and last.hour < 23 else last)

    def _lane_of(self, a: AppointmentRecord) -> int | None:
        for i, lane in enumerate(self.lanes):
            if lane.provider_id == a.provider_id and lane.day == a.starts.date():
                return i
        return None

    def _row_of(self, moment: datetime) -> int:
        minutes = moment.hour * 60 + moment.minute - (self.first.hour * 60 + self.first.minute)
        return max(0, min(self.slots - 1, minutes // self.slot_minutes))

    def _blocks(self, appointments: list[AppointmentRecord]) -> list[Block]:
        blocks: list[Block] = []
        open_block: dict[int, tuple[Block, datetime]] = {}
        for a in sorted(appointments, key=lambda a: (a.starts, a.id)):
            lane = self._lane_of(a)
            if lane is None:
                continue
            first_row = self._row_of(a.starts)
            last_row = self._row_of(a.ends - timedelta(minutes=1))
            current = open_block.get(lane)
            # Overlapping in time, or in the same slot of the grid: shown as one block.
            if current is not None and (
                a.starts < current[1] or first_row < current[0].first_row + current[0].rows
            ):
                block, end = current
                block.appointments.append(a)
                block.rows = max(block.rows, last_row - block.first_row + 1)
                open_block[lane] = (block, max(end, a.ends))
                continue
            block = Block(lane, first_row, max(1, last_row - first_row + 1), [a])
            blocks.append(block)
            open_block[lane] = (block, a.ends)
        return blocks

    # --- questions the view asks --------------------------------------------------------------

    def slot_start(self, row: int, column: int) -> tuple[Lane, datetime]:
        lane = self.lanes[column]
        start = datetime.combine(lane.day, self.first) + timedelta(minutes=row * self.slot_minutes)
        return lane, start

    def block_at(self, row: int, column: int) -> Block | None:
        return self._block_at.get((row, column))

    def appointments_at(self, row: int, column: int) -> list[AppointmentRecord]:
        block = self.block_at(row, column)
        return list(block.appointments) if block else []

    def index_of(self, appointment_id: int) -> QModelIndex:
        for b in self.blocks:
            if any(a.id == appointment_id for a in b.appointments):
                return self.index(b.first_row, b.lane)
        return QModelIndex()

    def row_of_time(self, moment: time) -> int:
        return self._row_of(datetime.combine(date.today(), moment))

    # --- the table ----------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.slots

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.lanes)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.lanes[section].title if section < len(self.lanes) else None
        start = datetime.combine(date.today(), self.first) + timedelta(
            minutes=section * self.slot_minutes
        )
        return f"{start:%H:%M}"

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        block = self.block_at(row, column)
        if role == APPOINTMENTS_ROLE:
            return list(block.appointments) if block else []
        if block is None:
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(FREE if self._working(row, column) else OFF_HOURS)
            if role == Qt.ItemDataRole.ToolTipRole:
                lane, start = self.slot_start(row, column)
                state = "free" if self._working(row, column) else "outside working hours"
                return f"{lane.title} {start:%H:%M}: {state}"
            return None
        first = block.appointments[0]
        if role == Qt.ItemDataRole.DisplayRole:
            return "\n".join(_line(a) for a in block.appointments)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(pastel(first.colour))
        if role == STATUS_ROLE:
            return first.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n\n".join(_tooltip(a) for a in block.appointments)
        return None

    def _working(self, row: int, column: int) -> bool:
        lane, start = self.slot_start(row, column)
        return within_hours(start, start + timedelta(minutes=self.slot_minutes), lane.hours)


def pastel(colour: str, strength: float = 0.35) -> QColor:
    """The type's colour mixed with white: readable black text on it, the status strip stands out."""
    c = QColor(colour)
    mix = lambda v: round(255 - (255 - v) * strength)  # noqa: E731
    return QColor(mix(c.red()), mix(c.green()), mix(c.blue()))


def _line(a: AppointmentRecord) -> str:
    text = f"{a.starts:%H:%M} {a.patient_name} · {a.type_name} · {STATUSES[a.status]}"
    return text + (f" — {a.reason}" if a.reason else "")


def _tooltip(a: AppointmentRecord) -> str:
    lines = [
        f"{a.patient_name} (MRN {a.patient_mrn}), born {a.patient_dob:%m/%d/%Y}",
        f"{a.starts:%a %m/%d %H:%M}–{a.ends:%H:%M} · {a.type_name} · {a.provider_name}",
        f"Status: {STATUSES[a.status]}"
        + (f" at {a.arrived_at:%H:%M}" if a.arrived_at and a.status == "arrived" else ""),
    ]
    if a.patient_phone:
        lines.append(f"Phone: {a.patient_phone}")
    if a.reason:
        lines.append(f"Reason: {a.reason}")
    if a.notes:
        lines.append(f"Notes: {a.notes}")
    if a.override_reason:
        lines.append(f"Booked over a warning: {a.override_reason}")
    return "\n".join(lines)
