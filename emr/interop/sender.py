"""Delivering the outbox: each destination's pending messages in id order, one at a time.

For each message, three short transactions, none of them the user's:
1. claim: the destination's first pending message, if due, gets attempts + 1 and a lease
   (next_attempt_at = now + CLAIM_LEASE), so a second sender (another workstation, `emr-admin
   hl7 send`, the Outbox's "Send now") sees it as not due and leaves this destination alone;
2. deliver: a folder gets one file, <control id>.hl7, written atomically; an MLLP peer gets the
   message and we wait for its ACK;
3. record the outcome: AA (or a file written) -> sent, with the ACK kept, never sent again;
   AE/AR -> failed with the peer's text, not sent again until the administrator re-sends it (an
   application error or a rejection will not go away by itself); no answer, a refused or broken
   connection, a timeout, an ACK for another message -> still pending, next_attempt_at after an
   exponential backoff (10 s, 20 s … at most 15 min), and the destination's later messages wait
   behind it, so that they arrive in order.

Crash safety: 'sent' is written only after the ACK, in its own transaction. A process killed
between the send and that write leaves the message pending (its lease runs out and it is sent
again): delivery is at least once. Duplicates are harmless because the control id (MSH-10)
stays the same: a receiver ignores a control id it has acknowledged already, as our listener
(emr.interop.listener) does and as HL7 receivers are expected to.
"""

from __future__ import annotations

import logging
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from emr.db import Database
from emr.errors import ConflictError, NotFound, UserError
from emr.models.outbox import Destination, OutboxMessage

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(minutes=15)
CLAIM_LEASE = timedelta(minutes=2)  # longer than a connect plus an ACK timeout
POLL_SECONDS = 5.0

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` tries: 10 s doubling, at most 15 min."""
    steps = max(0, attempts - 1)
    if steps >= 10:
        return LONGEST_RETRY
    return min(LONGEST_RETRY, FIRST_RETRY * (2**steps))


def file_name(control_id: str) -> str:
    """<control id>.hl7; a control id unfit for a file name is replaced by a safe form."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", control_id).lstrip(".") or "message"
    return f"{safe[:100]}.hl7"


class TransientError(Exception):
    """Try again later: the peer did not answer, or not for this message."""


@dataclass(frozen=True)
class DestinationDelivery:
    destination: str
    sent: int = 0
    failed: int = 0  # refused by the peer (AE/AR) during this run
    retrying: int = 0  # a transport problem: tried again later
    waiting: int = 0  # pending and not due yet (in backoff, or behind one that is)
    error: str = ""  # the transport problem, if any

    def line(self) -> str:
        parts = [f"{self.sent} sent"]
        if self.failed:
            parts.append(f"{self.failed} refused")
        if self.waiting:
            parts.append(f"{self.waiting} waiting")
        text = f"{self.destination}: {', '.join(parts)}"
        return f"{text} (will retry: {self.error})" if self.error else text


@dataclass(frozen=True)
class DeliveryReport:
    destinations: tuple[DestinationDelivery, ...] = ()

    @property
    def sent(self) -> int:
        return sum(d.sent for d in self.destinations)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.destinations)

    @property
    def retrying(self) -> int:
        return sum(d.retrying for d in self.destinations)

    @property
    def waiting(self) -> int:
        return sum(d.waiting for d in self.destinations)

    @property
    def complete(self) -> bool:
        """Nothing was refused, and nothing is left waiting."""
        return not (self.failed or self.waiting)

    def lines(self) -> list[str]:
        if not self.destinations:
            return ["No active destinations."]
        return [d.line() for d in self.destinations]


@dataclass(frozen=True)
class _Target:
    id: int
    name: str
    kind: str
    folder: str
    host: str
    port: int | None
    use_tls: bool


@dataclass(frozen=True)
class _Claimed:
    id: int
    control_id: str
    payload: str
    attempts: int


@dataclass
class _Tally:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    error: str = ""


def deliver_pending(
    db: Database,
    *,
    destination_id: int | None = None,
    now: datetime | None = None,
    clock: Clock | None = None,
    connect_timeout: float = 10.0,
    ack_timeout: float = 30.0,
    tls_context: ssl.SSLContext | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Deliver what is due now, destination by destination (one, or every active one)."""
    if now is not None:
        clock = lambda: now  # noqa: E731
    clock = clock or utc_clock
    should_stop = should_stop or (lambda: False)
    outcomes: list[DestinationDelivery] = []
    for target in _targets(db, destination_id):
        if should_stop():
            break
        tally = _deliver_to(
            db, target, clock, connect_timeout, ack_timeout, tls_context, should_stop
        )
        outcomes.append(
            DestinationDelivery(
                target.name,
                tally.sent,
                tally.failed,
                tally.retrying,
                _pending_count(db, target.id),
                tally.error,
            )
        )
    return DeliveryReport(tuple(outcomes))


def _targets(db: Database, destination_id: int | None) -> list[_Target]:
    with db.read() as s:
        query = select(Destination).order_by(Destination.id)
        if destination_id is None:
            query = query.where(Destination.active.is_(True))
        else:
            query = query.where(Destination.id == destination_id)
        rows = list(s.scalars(query))
        if destination_id is not None and not rows:
            raise NotFound(f"There is no destination with id {destination_id}.")
        return [_Target(d.id, d.name, d.kind, d.folder, d.host, d.port, d.use_tls) for d in rows]


def _pending_count(db: Database, destination_id: int) -> int:
    with db.read() as s:
        return s.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.destination_id == destination_id, OutboxMessage.status == "pending"
            )
        )


def _deliver_to(
    db: Database,
    target: _Target,
    clock: Clock,
    connect_timeout: float,
    ack_timeout: float,
    tls_context: ssl.SSLContext | None,
    should_stop: Callable[[], bool],
) -> _Tally:
    from emr.interop.mllp import MllpClient

    tally = _Tally()
    client: MllpClient | None = None
    if target.kind == "mllp":
        client = MllpClient(
            target.host,
            target.port or 0,
            use_tls=target.use_tls,
            connect_timeout=connect_timeout,
            ack_timeout=ack_timeout,
            tls_context=tls_context,
        )
    try:
        while not should_stop():
            try:
                claimed = _claim_next(db, target.id, clock())
            except ConflictError:  # another sender took it just now
                break
            if claimed is None:
                break
            try:
                if client is None:
                    _write_file(target, claimed)
                    _record_sent(db, claimed.id, clock(), "", f"written to {target.folder}")
                    tally.sent += 1
                    continue
                ack = _send_and_wait(client, claimed)
            except TransientError as exc:
                _retry_later(db, claimed, clock(), str(exc))
                tally.retrying += 1
                tally.error = str(exc)
                log.info(
                    "Outbox: message %s to destination %s: try %s failed, will retry",
                    claimed.id,
                    target.id,
                    claimed.attempts,
                )
                break
            if ack.accepted:
                _record_sent(db, claimed.id, clock(), ack.code, ack.text)
                tally.sent += 1
            else:
                _record_refused(db, claimed.id, ack.code, ack.text)
                tally.failed += 1
                log.warning(
                    "Outbox: message %s refused by destination %s (%s)",
                    claimed.id,
                    target.id,
                    ack.code,
                )
    finally:
        if client is not None:
            client.close()
    return tally


def _claim_next(db: Database, destination_id: int, now: datetime) -> _Claimed | None:
    """The destination's first pending message when it is due, leased to this sender."""
    with db.write() as s:
        message = s.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.destination_id == destination_id,
                OutboxMessage.status == "pending",
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        ).first()
        if message is None:
            return None
        if message.next_attempt_at is not None and message.next_attempt_at > now:
            return None  # in backoff, or another sender holds it: the rest wait behind it
        message.attempts += 1
        message.next_attempt_at = now + CLAIM_LEASE
        s.flush()
        return _Claimed(message.id, message.control_id, message.payload, message.attempts)


def _write_file(target: _Target, claimed: _Claimed) -> None:
    from emr.printing import write_atomically

    folder = Path(target.folder)
    if not folder.is_dir():
        raise TransientError(f"The folder {folder} is not there (a share not connected?).")
    try:
        write_atomically(folder / file_name(claimed.control_id), claimed.payload.encode("utf-8"))
    except UserError as exc:
        raise TransientError(str(exc)) from None


def _send_and_wait(client, claimed: _Claimed):
    from emr.interop.hl7.ack import parse_ack
    from emr.interop.hl7.encoding import ParseError
    from emr.interop.mllp import MllpError

    try:
        answer = client.send(claimed.payload)
    except MllpError as exc:
        raise TransientError(str(exc)) from None
    try:
        ack = parse_ack(answer)
    except ParseError as exc:
        client.close()
        raise TransientError(f"The answer was not an acknowledgement: {exc}") from None
    if ack.acknowledged_control_id and ack.acknowledged_control_id != claimed.control_id:
        client.close()  # out of step with the peer: start again on a new connection
        raise TransientError(
            f"The acknowledgement was for message {ack.acknowledged_control_id}, "
            f"not {claimed.control_id}."
        )
    return ack


def _record_sent(db: Database, message_id: int, now: datetime, code: str, text: str) -> None:
    with db.write() as s:
        message = s.get(OutboxMessage, message_id)
        message.status = "sent"
        message.sent_at = now
        message.ack_code = code[:2]
        message.ack_text = text
        message.last_error = ""
        message.next_attempt_at = None


def _record_refused(db: Database, message_id: int, code: str, text: str) -> None:
    with db.write() as s:
        message = s.get(OutboxMessage, message_id)
        message.status = "failed"
        message.ack_code = code[:2]
        message.ack_text = text
        message.last_error = f"Refused by the receiver ({code}): {text or 'no reason given'}"
        message.next_attempt_at = None


def _retry_later(db: Database, claimed: _Claimed, now: datetime, error: str) -> None:
    with db.write() as s:
        message = s.get(OutboxMessage, claimed.id)
        if message.status != "pending":  # cancelled meanwhile
            return
        message.next_attempt_at = now + backoff(claimed.attempts)
        message.last_error = error


class BackgroundSender(threading.Thread):
    """Delivers the outbox every few seconds until stopped (a plain thread: no Qt).

    sender = BackgroundSender(db); sender.start() … sender.wake() after a save to deliver now …
    sender.stop() at exit (waits for the current message at most `timeout` seconds; the thread
    is a daemon, so a peer that never answers cannot keep the application open).
    """

    def __init__(
        self,
        db: Database,
        *,
        interval: float = POLL_SECONDS,
        clock: Clock | None = None,
        connect_timeout: float = 10.0,
        ack_timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(name="hl7-outbox-sender", daemon=True)
        self.db = db
        self.interval = interval
        self.clock = clock or utc_clock
        self.options = {
            "connect_timeout": connect_timeout,
            "ack_timeout": ack_timeout,
            "tls_context": tls_context,
        }
        self.passes = 0
        self.last_report: DeliveryReport | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.last_report = deliver_pending(
                    self.db,
                    clock=self.clock,
                    should_stop=self._stopping.is_set,
                    **self.options,
                )
            except Exception:  # a bug or the database gone: log it, keep the thread alive
                log.exception("Outbox: a delivery pass failed")
            self.passes += 1
            self._wake.wait(self.interval)
            self._wake.clear()

    def wake(self) -> None:
        """Deliver now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)
