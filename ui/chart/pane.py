"""The contract of a chart pane: one tab of the chart window for one patient."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from emr.services.context import Actor
from ui.widgets.field_errors import error_label


class ChartPane(QWidget):
    """A tab of the chart. It reads its data when made; `reload()` reads it again. It emits
    `changed` after it saved something, so that the chart's header and other panes read theirs
    again. `select(record_id)`, where a pane has it, shows one of its records."""

    title = "Pane"
    changed = Signal()

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id

    def reload(self) -> None:
        raise NotImplementedError

    @staticmethod
    def error_label() -> QLabel:
        return error_label()
