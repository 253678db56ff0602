"""The contract of a chart pane: one tab of the chart window for one patient, and the flows
every pane shares (open a dialog and save on accept; mark a record entered in error)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from emr.errors import UserError
from emr.services.context import Actor
from ui.chart.common import EnteredInErrorDialog
from ui.widgets.field_errors import error_label


class ChartPane(QWidget):
    """A tab of the chart. It reads its data when made; `reload()` reads it again. It emits
    `changed` after it saved something, so that the chart's header and other panes read theirs
    again. `select(record_id)`, where a pane has it, shows one of its records.

    A pane shows user errors in `self.error` (panes that call it `message` alias that name);
    the dialog it opened last is `self.dialog`."""

    title = "Pane"
    changed = Signal()
    error: QLabel

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.dialog: QWidget | None = None

    def reload(self) -> None:
        raise NotImplementedError

    @staticmethod
    def error_label() -> QLabel:
        return error_label()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        if text:
            self.error.show()

    def saved(self) -> None:
        """Something was saved: read the pane again and tell the chart."""
        self.reload()
        self.changed.emit()

    def open_dialog(self, dialog: QDialog, on_accept: Callable[[], None] | None = None) -> None:
        """Open `dialog` (kept as `self.dialog`); once it is accepted call `on_accept`, by
        default `saved()`."""
        self.dialog = dialog
        after = on_accept or self.saved

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                after()

        dialog.finished.connect(finished)
        dialog.open()

    def ask_entered_in_error(self, what: str, mark: Callable[[str], object], **question) -> QDialog:
        """Ask why `what` (e.g. "this allergy") is entered in error; once a reason is given call
        `mark(reason)`: a UserError is shown in the pane, otherwise `saved()`. `question` goes
        to EnteredInErrorDialog (placeholder, title, warning)."""
        dialog = EnteredInErrorDialog(what, self, **question)

        def accepted() -> None:
            try:
                mark(dialog.reason_text())
            except UserError as exc:
                self.show_error(exc.message)
                return
            self.saved()

        self.open_dialog(dialog, accepted)
        return dialog
