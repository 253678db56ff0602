"""Our MLLP listener, sent to by python-hl7's own MLLP client (an independent sender)."""

from __future__ import annotations

import hl7
from hl7.client import MLLPClient

from emr.interop.hl7.ack import parse_ack
from emr.interop.listener import MllpListener

NAME = "O'Brien-Smith^Jr|"


def message(control_id: str) -> str:
    family = NAME.replace("\\", "\\E\\").replace("^", "\\S\\").replace("|", "\\F\\")
    return (
        "MSH|^~\\&|PARTNER|LAB|EMR|CLINIC|20261126120000+0000||ADT^A08^ADT_A01|"
        f"{control_id}|P|2.5.1|||AL|NE||UNICODE UTF-8\r"
        "EVN|A08|20261126120000+0000\r"
        f"PID|1||4711^^^CLINIC^MR||{family}^Zoë\r"
        "PV1|1|N\r"
    )


def send(port: int, text: str) -> str:
    with MLLPClient("127.0.0.1", port) as client:
        return client.send_message(text).decode("utf-8")


def test_a_message_is_stored_by_control_id_and_acknowledged(tmp_path):
    with MllpListener(tmp_path) as listener:
        answer = parse_ack(send(listener.port, message("MSG-0001")))
    assert (answer.code, answer.acknowledged_control_id) == ("AA", "MSG-0001")
    stored = (tmp_path / "MSG-0001.hl7").read_bytes().decode("utf-8")
    assert stored == message("MSG-0001")
    assert str(hl7.parse(stored)["PID.F5.R1.C1"]) == NAME  # escaped characters arrive intact
    assert [p.name for p in tmp_path.iterdir()] == ["MSG-0001.hl7"]  # no temporary file left
    [receipt] = listener.receipts
    assert (receipt.message_type, receipt.code, receipt.duplicate) == ("ADT^A08", "AA", False)


def test_a_control_id_received_before_is_acknowledged_but_not_stored_again(tmp_path):
    with MllpListener(tmp_path) as listener:
        send(listener.port, message("A1"))
        (tmp_path / "A1.hl7").write_bytes(b"as first stored")  # to see it is not rewritten
        again = parse_ack(send(listener.port, message("A1")))
        assert again.code == "AA" and again.acknowledged_control_id == "A1"
        assert [r.duplicate for r in listener.receipts] == [False, True]
        assert listener.stored == ["A1"]
    assert (tmp_path / "A1.hl7").read_bytes() == b"as first stored"

    with MllpListener(tmp_path) as restarted:  # the folder remembers across restarts
        assert parse_ack(send(restarted.port, message("A1"))).code == "AA"
        assert restarted.receipts[0].duplicate


def test_an_unreadable_message_is_answered_ae_with_the_reason(tmp_path):
    with MllpListener(tmp_path) as listener:
        garbage = parse_ack(send(listener.port, "HELLO|this is not HL7\r"))
        no_id = parse_ack(send(listener.port, message("")))
    assert garbage.code == "AE" and "starts with MSH" in garbage.text
    assert no_id.code == "AE" and "MSH-10" in no_id.text
    assert list(tmp_path.iterdir()) == []


def test_a_control_id_unfit_for_a_file_name_is_stored_safely(tmp_path):
    with MllpListener(tmp_path) as listener:
        assert parse_ack(send(listener.port, message("../../etc/x"))).code == "AA"
    [stored] = list(tmp_path.iterdir())
    assert stored.parent == tmp_path and stored.suffix == ".hl7"
