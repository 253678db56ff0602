"""Red messages in forms: each field's problem shown just below it (FieldErrors), and a plain
red label for a form's or a pane's message (error_label)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.style import ERROR_STYLE


def error_label(name: str = "") -> QLabel:
    """A red, word-wrapped label for what went wrong; empty until told."""
    label = QLabel()
    if name:
        label.setObjectName(name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    return label


class FieldErrors:
    """Each field's problem shown just below it, and what belongs to no field in a summary."""

    def __init__(self) -> None:
        self.labels: dict[str, QLabel] = {}
        self.editors: dict[str, QWidget] = {}
        self.summary = error_label("error_summary")
        self.summary.hide()

    def wrap(self, name: str, editor: QWidget, focus: QWidget | None = None) -> QWidget:
        """`editor` (a widget or row of widgets) with its error label under it; `focus` is
        what gets the focus when the field is wrong (the editor itself by default)."""
        label = error_label(f"error_{name}")
        label.hide()
        self.labels[name] = label
        self.editors[name] = focus or editor
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(editor)
        column.addWidget(label)
        return holder

    def show(self, field_errors: dict[str, str]) -> None:
        first: QWidget | None = None
        unplaced: list[str] = []
        for name, message in field_errors.items():
            if name not in self.labels:
                unplaced.append(message)
        for name, label in self.labels.items():
            message = field_errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            if message and first is None:
                first = self.editors[name]
        self.summary.setText(" ".join(unplaced))
        self.summary.setVisible(bool(unplaced))
        if first is not None:
            first.setFocus()

    def clear(self) -> None:
        self.show({})
