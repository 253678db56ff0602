"""The Outbox workspace, driven by keys and clicks as an administrator would."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTableView

from emr.interop.hl7.ack import build_ack
from emr.interop.listener import MllpListener
from emr.security import audit
from emr.services.destinations import DestinationInput, create_destination
from emr.services.encounters import ENCOUNTER_TYPES, start_encounter
from emr.services.outbox import list_messages
from emr.services.patients import PatientInput, register_patient
from tests.conftest import add_staff, log_in
from tests.ui.conftest import show_panel
from ui.outbox.workspace import DestinationDialog, OutboxWorkspace


@pytest.fixture
def admin(db, operator):
    add_staff(operator, "boss")
    return log_in(db, "boss")


def register(operator, family: str = "Okafor"):
    return register_patient(
        operator,
        PatientInput(family_name=family, given_name="Ada", date_of_birth=date(1950, 1, 1), sex="F"),
        allow_duplicate=True,
    )


def click(qtbot, widget) -> None:
    assert widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose_row(qtbot, table: QTableView, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def column_values(table: QTableView, title: str) -> list[str]:
    model = table.model()
    column = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == title
    )
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_an_admin_adds_a_folder_destination_by_keyboard(qtbot, admin, operator, tmp_path):
    workspace = show_panel(qtbot, OutboxWorkspace(admin))
    click(qtbot, workspace.add_button)
    dialog = workspace.dialog
    assert isinstance(dialog, DestinationDialog)
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)

    qtbot.keyClick(dialog.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # refused
    name_error = dialog.findChild(QLabel, "error_name")
    assert name_error.isVisible() and "name" in name_error.text()
    assert dialog.findChild(QLabel, "error_message_types").isVisible()

    qtbot.keyClicks(dialog.name, "Interface engine")
    qtbot.keyClicks(dialog.folder, str(tmp_path / "hl7-out"))
    dialog.types.setFocus()
    dialog.types.setCurrentRow(0)  # ADT^A04
    qtbot.keyClick(dialog.types, Qt.Key.Key_Space)
    qtbot.keyClick(dialog.types, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert column_values(workspace.destinations, "Name") == ["Interface engine"]
    assert column_values(workspace.destinations, "Messages") == ["ADT^A04"]
    assert (tmp_path / "hl7-out").is_dir()

    register(operator)  # the registration queues a message for it
    click(qtbot, workspace.refresh_button)
    assert column_values(workspace.messages, "Status") == ["Pending"]
    assert workspace.counts.text() == "1 pending"

    choose_row(qtbot, workspace.messages, 0)
    click(qtbot, workspace.view_button)
    viewer = workspace.findChild(QPlainTextEdit, "message_text")
    lines = viewer.toPlainText().split("\n")
    assert lines[0].startswith("MSH|^~\\&|") and "ADT^A04" in lines[0]
    assert [line[:3] for line in lines[1:3]] == ["EVN", "PID"]

    click(qtbot, workspace.send_button)
    qtbot.waitUntil(lambda: "1 sent" in workspace.report.text(), timeout=10000)
    assert column_values(workspace.messages, "Status") == ["Sent"]
    [written] = list((tmp_path / "hl7-out").glob("*.hl7"))
    assert written.stem == column_values(workspace.messages, "Control id")[0]


class RefusingListener(MllpListener):
    def answer(self, data: bytes) -> str:
        return build_ack(data.decode(), "AE", "Unknown patient identifier")


def test_a_refused_message_shows_the_peers_text_and_is_re_sent(qtbot, admin, operator, tmp_path):
    with RefusingListener(tmp_path) as listener:
        create_destination(
            operator,
            DestinationInput(
                name="Hospital",
                kind="mllp",
                host="127.0.0.1",
                port=listener.port,
                message_types=("ADT^A04",),
            ),
        )
        register(operator)
        workspace = show_panel(qtbot, OutboxWorkspace(admin))
        click(qtbot, workspace.send_button)
        qtbot.waitUntil(lambda: "1 refused" in workspace.report.text(), timeout=10000)
    assert column_values(workspace.messages, "Status") == ["Failed"]
    assert "Unknown patient identifier" in column_values(workspace.messages, "Problem")[0]
    assert column_values(workspace.destinations, "Failed") == ["1"]

    choose_row(qtbot, workspace.messages, 0)
    click(qtbot, workspace.resend_button)
    assert column_values(workspace.messages, "Status") == ["Pending"]
    assert "queued again" in workspace.report.text()


def test_a_pending_message_is_cancelled_with_a_reason(qtbot, admin, operator, tmp_path):
    create_destination(
        operator,
        DestinationInput(
            name="Registry", kind="folder", folder=str(tmp_path), message_types=("ADT^A04",)
        ),
    )
    register(operator)
    workspace = show_panel(qtbot, OutboxWorkspace(admin))
    choose_row(qtbot, workspace.messages, 0)
    click(qtbot, workspace.cancel_button)
    dialog = workspace.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.reason, "Registered in error")
    click(qtbot, dialog.ok)
    assert column_values(workspace.messages, "Status") == ["Cancelled"]
    [message] = list_messages(admin)
    assert message.last_error == "Cancelled by boss: Registered in error"
    assert not workspace.cancel_button.isEnabled()


def test_a_message_that_could_not_be_built_says_why_when_re_sent(
    qtbot, admin, operator, physician, tmp_path
):
    create_destination(
        operator,
        DestinationInput(
            name="Notes", kind="folder", folder=str(tmp_path), message_types=("MDM^T02",)
        ),
    )
    patient = register(operator)
    encounter = start_encounter(
        physician,
        patient.id,
        provider_id=physician.user_id,
        occurred_at=datetime(2026, 11, 20, 9, 0),
        encounter_type=ENCOUNTER_TYPES[0],
        reason="cough",
    )
    with physician.write() as s:
        audit.record(
            s,
            user_id=physician.user_id,
            username=physician.username,
            action="sign",
            entity="note",
            entity_id=encounter.note_id,
            patient_id=patient.id,
        )
    workspace = show_panel(qtbot, OutboxWorkspace(admin))
    workspace.status_filter.setFocus()
    qtbot.keyClicks(workspace.status_filter, "Failed")
    assert column_values(workspace.messages, "Status") == ["Failed"]
    choose_row(qtbot, workspace.messages, 0)
    click(qtbot, workspace.resend_button)
    assert workspace.error.isVisible()
    assert "could not be built" in workspace.error.text()
    assert column_values(workspace.messages, "Status") == ["Failed"]


def test_front_desk_is_refused_and_smoke_test_reads_everything(qtbot, admin, db, operator):
    add_staff(operator, "fran")
    workspace = OutboxWorkspace(log_in(db, "fran"))
    qtbot.addWidget(workspace)
    assert workspace.error.text().startswith("Fran Tester (front desk) may not")
    assert workspace.messages_model.rowCount() == 0

    admin_view = OutboxWorkspace(admin)
    qtbot.addWidget(admin_view)
    assert admin_view.smoke_test() == "Outbox (destinations: 0; messages: 0; No messages yet)"


def test_the_list_follows_the_background_sender(qtbot, admin, operator, db, tmp_path):
    from emr.interop.sender import deliver_pending

    create_destination(
        operator,
        DestinationInput(
            name="Engine", kind="folder", folder=str(tmp_path), message_types=("ADT^A04",)
        ),
    )
    workspace = show_panel(qtbot, OutboxWorkspace(admin))
    assert workspace.poll.isActive()
    assert not workspace.reload_if_changed()
    register(operator)
    assert workspace.reload_if_changed()
    assert column_values(workspace.messages, "Status") == ["Pending"]
    deliver_pending(db)  # as the application's BackgroundSender does
    qtbot.waitUntil(lambda: column_values(workspace.messages, "Status") == ["Sent"], timeout=10000)
