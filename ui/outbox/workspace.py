"""The Outbox workspace (administrators): where HL7 messages go (destinations), the queued, sent,
failed and cancelled messages, one message's text, re-sending, cancelling, sending now."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.interop.sender import DeliveryReport
from emr.services.changes import change_marker
from emr.services.context import Actor
from emr.services.destinations import (
    KINDS,
    MESSAGE_TYPE_LABELS,
    DestinationInput,
    DestinationRecord,
    create_destination,
    list_destinations,
    set_destination_active,
    update_destination,
)
from emr.services.outbox import (
    STATUSES,
    OutboxRecord,
    cancel_message,
    list_messages,
    resend_message,
    send_now,
    status_counts,
    view_message,
)
from ui.widgets.field_errors import FieldErrors, error_label
from ui.widgets.reason_dialog import ReasonDialog
from ui.widgets.record_table import RecordTableModel, record_table, selected_record
from ui.widgets.shortcuts import add_save_shortcut
from ui.workers import run_in_background

POLL_MS = 3000  # how often a shown Outbox asks whether the queue changed (sender, others)
STATUS_COLOURS = {"failed": QColor("#b00020"), "cancelled": QColor("#777777")}


def _when(moment) -> str:
    return "" if moment is None else f"{moment:%m/%d/%Y %H:%M:%S}"


def _next_or_sent(m: OutboxRecord) -> str:
    if m.status == "sent":
        return f"sent {_when(m.sent_at)}"
    if m.status == "pending" and m.next_attempt_at is not None:
        return f"next try {_when(m.next_attempt_at)}"
    return ""


class DestinationDialog(QDialog):
    """A new destination, or changes to one. Ctrl+S saves."""

    saved = Signal(object)  # the DestinationRecord

    def __init__(self, actor: Actor, record: DestinationRecord | None = None, parent=None):
        super().__init__(parent)
        self.actor = actor
        self.record = record
        self.setWindowTitle("New destination" if record is None else f"Destination {record.name}")
        self.setObjectName("destinationDialog")
        self.errors = FieldErrors()
        self.name = QLineEdit(record.name if record else "")
        self.name.setObjectName("name")
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for key, label in KINDS.items():
            self.kind.addItem(label, key)
        self.folder = QLineEdit(record.folder if record else "")
        self.folder.setObjectName("folder")
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self._browse)
        folder_row = QWidget()
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)
        self.host = QLineEdit(record.host if record else "")
        self.host.setObjectName("host")
        self.port = QSpinBox()
        self.port.setObjectName("port")
        self.port.setRange(1, 65535)
        self.port.setValue(record.port if record and record.port else 2575)
        self.use_tls = QCheckBox("Use &TLS (encrypted connection)")
        self.use_tls.setObjectName("use_tls")
        self.use_tls.setChecked(bool(record and record.use_tls))
        self.receiving_application = QLineEdit(record.receiving_application if record else "")
        self.receiving_application.setObjectName("receiving_application")
        self.receiving_facility = QLineEdit(record.receiving_facility if record else "")
        self.receiving_facility.setObjectName("receiving_facility")
        self.types = QListWidget()
        self.types.setObjectName("message_types")
        wanted = set(record.message_types) if record else set()
        for key, label in MESSAGE_TYPE_LABELS.items():
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in wanted else Qt.CheckState.Unchecked)
            self.types.addItem(item)
        self.active = QCheckBox("&Active (gets new messages, and its queue is delivered)")
        self.active.setObjectName("active")
        self.active.setChecked(record.active if record else True)

        form = QFormLayout()
        form.addRow("&Name", self.errors.wrap("name", self.name))
        form.addRow("&Kind", self.errors.wrap("kind", self.kind))
        form.addRow("&Folder", self.errors.wrap("folder", folder_row, self.folder))
        form.addRow("&Host", self.errors.wrap("host", self.host))
        form.addRow("&Port", self.errors.wrap("port", self.port))
        form.addRow("", self.use_tls)
        form.addRow(
            "Receiving a&pplication",
            self.errors.wrap("receiving_application", self.receiving_application),
        )
        form.addRow(
            "Receiving fa&cility", self.errors.wrap("receiving_facility", self.receiving_facility)
        )
        form.addRow("&Messages", self.errors.wrap("message_types", self.types))
        form.addRow("", self.active)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors.summary)
        layout.addWidget(self.buttons)
        add_save_shortcut(self, self.save)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        if record is not None:
            self.kind.setCurrentIndex(max(0, self.kind.findData(record.kind)))
        self._kind_changed()
        self.name.setFocus()

    def _kind_changed(self) -> None:
        folder = self.kind.currentData() == "folder"
        for widget in (self.folder, self.browse):
            widget.setEnabled(folder)
        for widget in (self.host, self.port, self.use_tls):
            widget.setEnabled(not folder)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Folder for the messages", self.folder.text()
        )
        if chosen:
            self.folder.setText(chosen)

    def input(self) -> DestinationInput:
        types = []
        for i in range(self.types.count()):
            item = self.types.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                types.append(item.data(Qt.ItemDataRole.UserRole))
        return DestinationInput(
            name=self.name.text(),
            kind=self.kind.currentData(),
            message_types=tuple(types),
            folder=self.folder.text(),
            host=self.host.text(),
            port=self.port.value(),
            use_tls=self.use_tls.isChecked(),
            receiving_application=self.receiving_application.text(),
            receiving_facility=self.receiving_facility.text(),
            active=self.active.isChecked(),
        )

    def save(self) -> None:
        try:
            if self.record is None:
                saved = create_destination(self.actor, self.input())
            else:
                saved = update_destination(
                    self.actor, self.record.id, self.record.version, self.input()
                )
        except ValidationError as exc:
            self.errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.errors.show({"": str(exc)})
            return
        self.errors.clear()
        self.saved.emit(saved)
        self.accept()


class OutboxWorkspace(QWidget):
    """Administrators only: destinations above, the messages below, a message's text beside."""

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.dialog: QDialog | None = None
        self.sending = False

        self.destinations_model = RecordTableModel(
            [
                ("Name", lambda d: d.name),
                ("Kind", lambda d: "Folder" if d.kind == "folder" else "MLLP"),
                ("Address", lambda d: d.address),
                ("Messages", lambda d: d.types_text),
                ("Pending", lambda d: d.pending),
                ("Failed", lambda d: d.failed),
                ("Active", lambda d: "yes" if d.active else "no"),
            ],
            foreground=lambda d: None if d.active else STATUS_COLOURS["cancelled"],
        )
        self.destinations = record_table(self.destinations_model, "destinations")
        self.destinations.doubleClicked.connect(lambda _i: self.edit_destination())
        self.add_button = QPushButton("&Add destination…")
        self.add_button.setObjectName("add_destination")
        self.add_button.clicked.connect(self.add_destination)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("edit_destination")
        self.edit_button.clicked.connect(self.edit_destination)
        self.active_button = QPushButton("De&activate")
        self.active_button.setObjectName("toggle_destination")
        self.active_button.clicked.connect(self.toggle_destination)
        self.destinations.selectionModel().currentRowChanged.connect(self._destination_chosen)

        self.status_filter = QComboBox()
        self.status_filter.setObjectName("status_filter")
        self.status_filter.addItem("All statuses", None)
        for key, label in STATUSES.items():
            self.status_filter.addItem(label, key)
        self.destination_filter = QComboBox()
        self.destination_filter.setObjectName("destination_filter")
        self.status_filter.currentIndexChanged.connect(self.reload_messages)
        self.destination_filter.currentIndexChanged.connect(self.reload_messages)
        self.counts = QLabel()
        self.counts.setObjectName("outbox_counts")

        self.messages_model = RecordTableModel(
            [
                ("Queued", lambda m: _when(m.queued_at)),
                ("Destination", lambda m: m.destination),
                ("Type", lambda m: m.message_type),
                ("Control id", lambda m: m.control_id),
                ("MRN", lambda m: m.mrn),
                ("Status", lambda m: m.status_label),
                ("Tries", lambda m: m.attempts),
                ("When", _next_or_sent),
                ("Problem", lambda m: m.problem),
            ],
            foreground=lambda m: STATUS_COLOURS.get(m.status),
            tooltip=lambda m: m.problem or None,
        )
        self.messages = record_table(self.messages_model, "outbox_messages")
        self.messages.doubleClicked.connect(lambda _i: self.view_selected())
        self.messages.selectionModel().currentRowChanged.connect(self._message_chosen)
        self.view_button = QPushButton("&View")
        self.view_button.setObjectName("view_message")
        self.view_button.clicked.connect(self.view_selected)
        self.resend_button = QPushButton("&Re-send")
        self.resend_button.setObjectName("resend_message")
        self.resend_button.clicked.connect(self.resend_selected)
        self.cancel_button = QPushButton("&Cancel message…")
        self.cancel_button.setObjectName("cancel_message")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.send_button = QPushButton("&Send now")
        self.send_button.setObjectName("send_now")
        self.send_button.clicked.connect(self.send_now)
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.reload)
        self.error = error_label("outbox_error")
        self.report = QLabel()
        self.report.setObjectName("send_report")
        self.report.setWordWrap(True)

        self.viewer = QPlainTextEdit()
        self.viewer.setObjectName("message_text")
        self.viewer.setReadOnly(True)
        self.viewer.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.viewer.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.viewer.setPlaceholderText("Choose a message and View (Enter) to read it.")

        destinations_box = QGroupBox("Destinations")
        d_layout = QVBoxLayout(destinations_box)
        d_layout.addWidget(self.destinations)
        d_buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.active_button):
            d_buttons.addWidget(button)
        d_buttons.addStretch(1)
        d_layout.addLayout(d_buttons)

        messages_box = QGroupBox("Messages")
        m_layout = QVBoxLayout(messages_box)
        filters = QHBoxLayout()
        status_label = QLabel("S&tatus")
        status_label.setBuddy(self.status_filter)
        destination_label = QLabel("&Destination")
        destination_label.setBuddy(self.destination_filter)
        for widget in (status_label, self.status_filter, destination_label):
            filters.addWidget(widget)
        filters.addWidget(self.destination_filter)
        filters.addStretch(1)
        filters.addWidget(self.counts)
        m_layout.addLayout(filters)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.messages)
        lower.addWidget(self.viewer)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        m_layout.addWidget(lower, 1)
        m_buttons = QHBoxLayout()
        for button in (self.view_button, self.resend_button, self.cancel_button):
            m_buttons.addWidget(button)
        m_buttons.addStretch(1)
        m_buttons.addWidget(self.send_button)
        m_buttons.addWidget(self.refresh_button)
        m_layout.addLayout(m_buttons)
        m_layout.addWidget(self.report)
        m_layout.addWidget(self.error)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(destinations_box)
        splitter.addWidget(messages_box)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.marker = ""
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.reload_if_changed)
        self.reload()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.poll.start()

    def hideEvent(self, event) -> None:  # noqa: N802
        self.poll.stop()
        super().hideEvent(event)

    def reload_if_changed(self) -> bool:
        """Reload when the background sender (or another workstation) changed the queue; the
        message being read stays chosen. Not under an open dialog, which acts on the rows shown."""
        if not self.isVisible() or QApplication.activeModalWidget() is not None:
            return False
        if self.dialog is not None and self.dialog.isVisible():
            return False
        try:
            marker = change_marker(self.actor, "outbox")
        except UserError:
            return False
        if marker == self.marker:
            return False
        chosen = self.selected_message()
        self.reload()
        if chosen is not None:
            for row, record in enumerate(self.messages_model.rows):
                if record.id == chosen.id:
                    self.messages.selectRow(row)
                    break
        return True

    # --- data -------------------------------------------------------------------------------

    def reload(self) -> None:
        self._show_error("")
        try:
            self.marker = change_marker(self.actor, "outbox")
        except UserError:
            self.marker = ""
        chosen = self.destination_filter.currentData()
        records = self._call(lambda: list_destinations(self.actor)) or []
        self.destinations_model.set_rows(records)
        self.destination_filter.blockSignals(True)
        self.destination_filter.clear()
        self.destination_filter.addItem("All destinations", None)
        for d in records:
            self.destination_filter.addItem(d.name, d.id)
        self.destination_filter.setCurrentIndex(max(0, self.destination_filter.findData(chosen)))
        self.destination_filter.blockSignals(False)
        self._destination_chosen()
        self.reload_messages()

    def reload_messages(self) -> None:
        status = self.status_filter.currentData()
        destination_id = self.destination_filter.currentData()
        rows = self._call(
            lambda: list_messages(self.actor, status=status, destination_id=destination_id)
        )
        self.messages_model.set_rows(rows or [])
        counts = self._call(lambda: status_counts(self.actor, destination_id=destination_id))
        if counts is not None:
            self.counts.setText(
                ", ".join(f"{n} {STATUSES[s].lower()}" for s, n in counts.items() if n)
                or "No messages yet"
            )
        self._message_chosen()

    def _call(self, fn: Callable):
        try:
            return fn()
        except UserError as exc:
            self._show_error(str(exc))
            return None

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # --- destinations -----------------------------------------------------------------------

    def selected_destination(self) -> DestinationRecord | None:
        return selected_record(self.destinations)

    def _destination_chosen(self, *_args) -> None:
        record = self.selected_destination()
        self.edit_button.setEnabled(record is not None)
        self.active_button.setEnabled(record is not None)
        self.active_button.setText(
            "De&activate" if record is None or record.active else "&Activate"
        )

    def add_destination(self) -> DestinationDialog:
        return self._open_dialog(DestinationDialog(self.actor, None, self))

    def edit_destination(self) -> DestinationDialog | None:
        record = self.selected_destination()
        if record is None:
            return None
        return self._open_dialog(DestinationDialog(self.actor, record, self))

    def _open_dialog(self, dialog: DestinationDialog) -> DestinationDialog:
        self.dialog = dialog
        dialog.saved.connect(lambda _r: self.reload())
        dialog.open()
        return dialog

    def toggle_destination(self) -> None:
        record = self.selected_destination()
        if record is None:
            return
        if self._call(
            lambda: set_destination_active(self.actor, record.id, record.version, not record.active)
        ):
            self.reload()

    # --- messages ---------------------------------------------------------------------------

    def selected_message(self) -> OutboxRecord | None:
        return selected_record(self.messages)

    def _message_chosen(self, *_args) -> None:
        record = self.selected_message()
        self.view_button.setEnabled(record is not None)
        self.resend_button.setEnabled(record is not None and record.status == "failed")
        self.cancel_button.setEnabled(record is not None and record.status in ("pending", "failed"))
        self.viewer.clear()

    def view_selected(self) -> None:
        record = self.selected_message()
        if record is None:
            return
        shown = self._call(lambda: view_message(self.actor, record.id))
        if shown is not None:
            self.viewer.setPlainText(shown.text or "(this message could not be built)")

    def resend_selected(self) -> None:
        record = self.selected_message()
        if record is None:
            return
        if self._call(lambda: resend_message(self.actor, record.id, record.version)):
            self.report.setText(f"{record.message_type} {record.control_id} is queued again.")
            self.reload()

    def cancel_selected(self) -> ReasonDialog | None:
        record = self.selected_message()
        if record is None:
            return None
        dialog = ReasonDialog(
            "Cancel message",
            f"{record.message_type} {record.control_id} to {record.destination} will not be "
            "sent. Why?",
            "Cancel message",
            parent=self,
        )
        self.dialog = dialog

        def cancel() -> None:
            reason = dialog.reason.text()
            if self._call(lambda: cancel_message(self.actor, record.id, record.version, reason)):
                self.reload()

        dialog.accepted.connect(cancel)
        dialog.open()
        return dialog

    def send_now(self) -> None:
        """Deliver the queue on a worker thread; the report shows when it is done."""
        if self.sending:
            return
        self.sending = True
        self.send_button.setEnabled(False)
        self.report.setText("Sending…")
        destination_id = self.destination_filter.currentData()
        run_in_background(
            lambda: send_now(self.actor, destination_id=destination_id),
            on_done=self._sent,
            on_error=self._send_failed,
        )

    def _sent(self, report: DeliveryReport) -> None:
        self.sending = False
        self.send_button.setEnabled(True)
        self.report.setText("\n".join(report.lines()))
        self.reload()

    def _send_failed(self, exc: Exception) -> None:
        self.sending = False
        self.send_button.setEnabled(True)
        self.report.setText("")
        self._show_error(str(exc) if isinstance(exc, UserError) else f"Sending failed: {exc}")

    def smoke_test(self) -> str:
        """Load the destinations and messages once (for `emr --smoke`); what was found."""
        self.reload()
        return (
            f"Outbox (destinations: {self.destinations_model.rowCount()}; "
            f"messages: {self.messages_model.rowCount()}; {self.counts.text()})"
        )
