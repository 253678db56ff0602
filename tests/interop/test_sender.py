"""Delivering the outbox to real MLLP peers on 127.0.0.1 (our listener, and python-hl7's asyncio
MLLP server as an independent one) and to a folder: order, ACKs, refusals, retries with
backoff, a sender killed in the middle. Time is given to the sender, never waited for."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hl7
import hl7.mllp
import pytest
from sqlalchemy import select

from emr.interop.listener import MllpListener
from emr.interop.sender import CLAIM_LEASE, BackgroundSender, backoff, deliver_pending
from emr.models.outbox import OutboxMessage
from emr.services.destinations import DestinationInput, create_destination
from emr.services.outbox import resend_message
from emr.services.patients import PatientInput, register_patient

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FAST = {"connect_timeout": 2.0, "ack_timeout": 2.0}


class Hl7Peer:
    """python-hl7's asyncio MLLP server in its own thread. `answer(control_id)` gives the ACK
    code; the first `hang_ups` connections are closed after a few bytes of the message."""

    def __init__(self, answer: Callable[[str], str] = lambda cid: "AA", hang_ups: int = 0):
        self.answer = answer
        self.hang_ups = hang_ups
        self.received: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Hl7Peer:
        self.thread.start()
        start = hl7.mllp.start_hl7_server(self._client, "127.0.0.1", 0, encoding="utf-8")
        self.server = asyncio.run_coroutine_threadsafe(start, self.loop).result(5)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        async def close() -> None:
            self.server.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _client(self, reader, writer) -> None:
        try:
            if self.hang_ups > 0:
                self.hang_ups -= 1
                await reader.read(12)  # the start of the message, then hang up
                return
            while True:
                message = await reader.readmessage()
                control_id = str(message.segment("MSH")(10))
                self.received.append(control_id)
                code = self.answer(control_id)
                ack = str(message.create_ack(code)).rstrip("\r")
                if code != "AA":
                    ack += "|Unknown insurance plan"  # MSA-3, the text for a person
                writer.writeblock(ack.encode("utf-8"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def mllp_destination(operator, port: int, name: str = "Partner"):
    return create_destination(
        operator,
        DestinationInput(
            name=name,
            kind="mllp",
            host="127.0.0.1",
            port=port,
            message_types=("ADT^A04",),
        ),
    )


def register(operator, count: int) -> None:
    for i in range(count):
        register_patient(
            operator,
            PatientInput(
                family_name=f"Patient{i}",
                given_name="Test",
                date_of_birth=datetime(1980, 1, 1).date(),
                sex="U",
            ),
            allow_duplicate=True,
        )


def messages(db) -> list[OutboxMessage]:
    with db.read() as s:
        rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        s.expunge_all()
        return rows


def control_ids(db) -> list[str]:
    return [m.control_id for m in messages(db)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_our_listener_receives_every_message_in_order_once(db, operator, tmp_path):
    with MllpListener(tmp_path) as listener:
        mllp_destination(operator, listener.port)
        register(operator, 4)
        report = deliver_pending(db, now=T0, **FAST)
        assert (report.sent, report.failed, report.waiting) == (4, 0, 0)
        assert listener.stored == control_ids(db)
        for m in messages(db):
            assert (m.status, m.ack_code, m.attempts) == ("sent", "AA", 1)
            assert m.sent_at == T0 and m.next_attempt_at is None
            assert (tmp_path / f"{m.control_id}.hl7").read_bytes() == m.payload.encode()

        again = deliver_pending(db, now=T0 + timedelta(hours=1), **FAST)
        assert again.sent == 0
        assert len(listener.receipts) == 4  # an acknowledged message is never sent again


def test_python_hl7_peer_receives_them_in_order(db, operator):
    with Hl7Peer() as peer:
        mllp_destination(operator, peer.port)
        register(operator, 5)
        report = deliver_pending(db, now=T0, **FAST)
        assert report.sent == 5
        assert peer.received == control_ids(db)
        assert {m.status for m in messages(db)} == {"sent"}


def test_a_peer_answering_ae_fails_that_message_with_its_text_and_the_rest_go(
    db, operator, admin_user
):
    refused: list[str] = []

    def answer(control_id: str) -> str:
        if not refused and len(peer.received) == 2:  # the second message is refused, once
            refused.append(control_id)
            return "AE"
        return "AA"

    with Hl7Peer(answer) as peer:
        mllp_destination(operator, peer.port)
        register(operator, 3)
        report = deliver_pending(db, now=T0, **FAST)
        assert (report.sent, report.failed, report.waiting) == (2, 1, 0)
        first, second, third = messages(db)
        assert [first.status, second.status, third.status] == ["sent", "failed", "sent"]
        assert second.control_id == refused[0]
        assert second.ack_code == "AE"
        assert "Unknown insurance plan" in second.last_error

        assert deliver_pending(db, now=T0 + timedelta(hours=1), **FAST).sent == 0
        assert peer.received == [first.control_id, second.control_id, third.control_id]

        resend_message(admin_user, second.id, second.version)  # the administrator re-sends
        assert deliver_pending(db, now=T0 + timedelta(hours=1), **FAST).sent == 1
        assert messages(db)[1].status == "sent"
        assert peer.received[-1] == second.control_id


def test_a_peer_hanging_up_mid_message_means_a_retry_after_backoff_in_order(db, operator):
    with Hl7Peer(hang_ups=1) as peer:
        mllp_destination(operator, peer.port)
        register(operator, 3)
        report = deliver_pending(db, now=T0, **FAST)
        assert (report.sent, report.retrying, report.waiting) == (0, 1, 3)
        assert re.search("closed the connection|reset", report.destinations[0].error)
        first, second, third = messages(db)
        assert (first.status, first.attempts) == ("pending", 1)
        assert first.next_attempt_at == T0 + backoff(1) == T0 + timedelta(seconds=10)
        assert first.last_error == report.destinations[0].error
        assert (second.attempts, third.attempts) == (0, 0)  # they wait behind it

        assert deliver_pending(db, now=T0 + timedelta(seconds=9), **FAST).sent == 0
        report = deliver_pending(db, now=T0 + timedelta(seconds=10), **FAST)
        assert report.sent == 3
        assert peer.received == control_ids(db)  # each once, in order
        assert [m.attempts for m in messages(db)] == [2, 1, 1]
        assert messages(db)[0].last_error == ""


def test_a_peer_down_for_a_while_then_up_loses_and_doubles_nothing(db, operator, tmp_path):
    port = free_port()
    mllp_destination(operator, port)
    register(operator, 3)
    now = T0
    for attempt in (1, 2, 3):
        report = deliver_pending(db, now=now, **FAST)
        assert (report.sent, report.retrying) == (0, 1)
        head = messages(db)[0]
        assert head.attempts == attempt
        assert "Cannot connect" in head.last_error
        assert head.next_attempt_at == now + backoff(attempt)
        now = head.next_attempt_at
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 30)] == [
        10,
        20,
        40,
        640,
        900,
        900,
    ]

    with MllpListener(tmp_path, port=port) as listener:
        assert deliver_pending(db, now=now - timedelta(seconds=1), **FAST).sent == 0
        assert deliver_pending(db, now=now, **FAST).sent == 3
        assert listener.stored == control_ids(db)
        assert not any(r.duplicate for r in listener.receipts)


def test_a_peer_that_never_answers_times_out_and_is_retried(db, operator):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        mllp_destination(operator, silent.getsockname()[1])
        register(operator, 1)
        report = deliver_pending(db, now=T0, connect_timeout=2.0, ack_timeout=0.2)
        assert report.retrying == 1
        [message] = messages(db)
        assert message.status == "pending"
        assert "No acknowledgement" in message.last_error
    finally:
        silent.close()


def test_a_folder_destination_gets_one_file_per_message(db, operator, tmp_path):
    out = tmp_path / "out"
    create_destination(
        operator,
        DestinationInput(
            name="Engine", kind="folder", folder=str(out), message_types=("ADT^A04", "ADT^A28")
        ),
    )
    register(operator, 2)
    report = deliver_pending(db, now=T0)
    assert report.sent == 4
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"{cid}.hl7" for cid in control_ids(db))  # no temporary files
    for m in messages(db):
        assert (out / f"{m.control_id}.hl7").read_bytes() == m.payload.encode("utf-8")
        assert m.status == "sent"


def test_a_missing_folder_is_retried_later(db, operator, tmp_path):
    out = tmp_path / "share"
    create_destination(
        operator,
        DestinationInput(name="Share", kind="folder", folder=str(out), message_types=("ADT^A04",)),
    )
    register(operator, 1)
    out.rmdir()  # the network share is not connected
    report = deliver_pending(db, now=T0)
    assert report.retrying == 1
    assert messages(db)[0].status == "pending"
    out.mkdir()
    assert deliver_pending(db, now=T0 + timedelta(seconds=10)).sent == 1


def test_the_background_sender_delivers_until_stopped(db, operator, tmp_path):
    with MllpListener(tmp_path) as listener:
        mllp_destination(operator, listener.port)
        sender = BackgroundSender(db, interval=0.05, **FAST)
        sender.start()
        try:
            register(operator, 2)
            sender.wake()
            _wait_for(lambda: len(listener.stored) == 2)
        finally:
            sender.stop(timeout=5)
        assert not sender.is_alive()
        assert listener.stored == control_ids(db)


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    done = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("the condition did not come true")


class HoldingListener(MllpListener):
    """Our listener, holding its answer to the message number `hold_at` until released."""

    def __init__(self, out_dir: Path, hold_at: int) -> None:
        super().__init__(out_dir)
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()

    def answer(self, data: bytes) -> str:
        if len(self.receipts) + 1 == self.hold_at and not self.release.is_set():
            self.holding.set()
            self.release.wait(30)
        return super().answer(data)


def test_a_sender_killed_mid_send_delivers_the_rest_exactly_once_after_restart(
    db, operator, tmp_path
):
    (tmp_path / "received").mkdir()
    listener = HoldingListener(tmp_path / "received", hold_at=3)
    with listener:
        mllp_destination(operator, listener.port)
        register(operator, 5)
        sender = subprocess.Popen(
            [sys.executable, "-m", "emr.cli", "hl7", "send"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(lambda: listener.holding.is_set() or sender.poll() is not None, 120)
            assert listener.holding.is_set(), "the sender ended before the third message"
            os.kill(sender.pid, signal.SIGKILL)
            sender.wait(30)
        finally:
            if sender.poll() is None:
                sender.kill()
        listener.release.set()
        _wait_for(lambda: len(listener.receipts) == 3)  # it got the third, the sender died

        statuses = [m.status for m in messages(db)]
        assert statuses == ["sent", "sent", "pending", "pending", "pending"]
        # Restarted after the dead sender's lease on the third message ran out.
        later = datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1)
        report = deliver_pending(db, now=later, **FAST)
        assert report.sent == 3

        ids = control_ids(db)
        assert [m.status for m in messages(db)] == ["sent"] * 5
        assert listener.stored == ids  # each stored exactly once, in order
        assert sorted(p.stem for p in (tmp_path / "received").glob("*.hl7")) == sorted(ids)
        arrivals = [r.control_id for r in listener.receipts]
        assert arrivals == [*ids[:3], ids[2], *ids[3:]]  # the third went twice on the wire
        assert [r.duplicate for r in listener.receipts].count(True) == 1


@pytest.mark.parametrize("attempts", [1, 4, 9, 12])
def test_backoff_doubles_up_to_fifteen_minutes(attempts):
    wait = backoff(attempts)
    assert wait <= timedelta(minutes=15)
    assert wait == min(timedelta(minutes=15), timedelta(seconds=10 * 2 ** (attempts - 1)))
