"""Keyboard shortcuts every form shares."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def add_save_shortcut(widget: QWidget, save: Callable[[], object]) -> QShortcut:
    """Ctrl+S (the platform's Save key) in `widget` calls `save`."""
    shortcut = QShortcut(QKeySequence.StandardKey.Save, widget)
    shortcut.activated.connect(save)
    return shortcut
