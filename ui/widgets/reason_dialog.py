"""A question whose answer is a reason that is kept (cancelling, overriding a warning,
emergency access). Opened with open(); OK stays disabled until a reason is typed."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

WARNING_STYLE = "background: #fff3cd; color: #6d4c00; padding: 6px; border: 1px solid #e0b000;"


class ReasonDialog(QDialog):
    """Asks for a reason that is kept; OK stays disabled until one is typed."""

    def __init__(
        self,
        title: str,
        text: str,
        ok_text: str,
        *,
        series: bool = False,
        warning: bool = False,
        minimum: int = 1,
        placeholder: str = "Reason (kept with the record)",
        parent=None,
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("reasonDialog")
        self.message = message = QLabel(text)
        message.setWordWrap(True)
        message.setStyleSheet(WARNING_STYLE if warning else "")
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(placeholder)
        self.whole_series = QCheckBox("Also the later visits of this series")
        self.whole_series.setVisible(series)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(lambda t: self.ok.setEnabled(len(t.strip()) >= minimum))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (message, self.reason, self.whole_series, self.buttons):
            layout.addWidget(widget)
        self.reason.setFocus()
