"""The Qt binding itself: PySide6 6.12.0 on Python 3.11 dropped a reference to None on every
void call (setText, setFont …), and the app aborted ("none_dealloc") after some tens of
thousands of them. pyproject.toml keeps that release out; this test keeps it out."""

import sys

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel


def test_void_calls_do_not_leak_references_to_none(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    font = QFont()
    before = sys.getrefcount(None)
    for _ in range(2_000):
        label.setText("x")
        font.setPointSize(9)
    assert sys.getrefcount(None) > before - 100
