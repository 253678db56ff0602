"""Fixtures for driving the real widgets: users made and logged in through the services."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from emr.services.patients import PatientInput, register_patient
from tests.conftest import add_staff, log_in, password_of

ROLES = {"fran": "front_desk", "doc": "physician", "boss": "admin"}
PASSWORDS = {name: password_of(name) for name in ROLES}


@pytest.fixture
def users(db, operator):
    """Front desk, physician and admin accounts (not logged in): username -> password."""
    add_staff(operator, *ROLES)
    return PASSWORDS


@pytest.fixture
def front_desk(db, users):
    return log_in(db, "fran")


@pytest.fixture
def patients(operator):
    def add(family, given, dob, sex="F", **extra):
        return register_patient(
            operator,
            PatientInput(family_name=family, given_name=given, date_of_birth=dob, sex=sex, **extra),
            allow_duplicate=True,
        )

    return [
        add("Müller", "Anna", date(1984, 3, 7), phone_mobile="(555) 201-3344"),
        add("O'Brien", "Sean", date(1990, 12, 1), sex="M"),
        add("Nguyễn", "Thị Lan", date(1975, 6, 15)),
        add("Smith", "John", date(1962, 2, 2), sex="M"),
    ]


def show_active(qtbot, window) -> None:
    """Show a main window and make it the active one, as when a person clicks into it; its
    keyboard shortcuts work only then. At the test's end it closes without asking about
    unsaved changes (a question nobody would answer)."""
    qtbot.addWidget(window, before_close_func=lambda w: w.close_without_asking())
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def show_panel(qtbot, panel):
    """Show an admin panel as the active window, loaded with the current data."""
    qtbot.addWidget(panel)
    panel.show()
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=3000)
    panel.reload()
    return panel


def answer_message_box(qtbot, button_text: str, seen: list[str] | None = None) -> None:
    """Click `button_text` in the next modal message box, as a person would."""

    test = CURRENT_TEST[0]

    def click() -> None:
        if CURRENT_TEST[0] != test:
            return  # its test is over: never answer a later test's question
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        if seen is not None:
            seen.append(box.text())
        for button in box.buttons():
            if button.text().replace("&", "") == button_text:
                qtbot.mouseClick(
                    button, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton
                )
                return
        raise AssertionError(f"no button {button_text!r} in {[b.text() for b in box.buttons()]}")

    QTimer.singleShot(20, click)


# Which test is running: timers a test left behind (answering a dialog) check it and do
# nothing once their test is over.
CURRENT_TEST = [0]


@pytest.fixture(autouse=True)
def _count_tests():
    CURRENT_TEST[0] += 1
    yield
