"""A small MLLP receiver (`emr-admin hl7 listen`): for testing this EMR's interfaces, or a
partner's, without an interface engine.

Each message received is written to the folder as <control id>.hl7 (atomically: a reader never
sees half a file) and answered AA. An unreadable message is answered AE with the reason, and a
message that cannot be stored AR. A message whose control id (MSH-10) was received already is
answered AA again but not stored again: a sender that lost our ACK (a dropped connection, a
crash before it recorded the ACK) sends the same message again, and it must count once. The
folder itself is the memory of what was received, so this holds across restarts too.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from emr.errors import UserError
from emr.interop.mllp import ENCODING, FrameReader, MllpError, frame

log = logging.getLogger(__name__)

IDLE_SECONDS = 300.0


@dataclass(frozen=True)
class Receipt:
    control_id: str
    message_type: str
    code: str  # the answer: AA, AE, AR
    duplicate: bool
    path: Path | None


def server_tls_context(certfile: str | Path, keyfile: str | Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return context


class MllpListener:
    """Listens on host:port (port 0: any free port, see `.port`) until `stop()`."""

    def __init__(
        self,
        out_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls_context: ssl.SSLContext | None = None,
        on_receipt: Callable[[Receipt], None] | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.out_dir = Path(out_dir)
        if not self.out_dir.is_dir():
            raise UserError(f"{self.out_dir} is not a folder.")
        self.tls_context = tls_context
        self.on_receipt = on_receipt
        self.idle_seconds = idle_seconds
        self.receipts: list[Receipt] = []  # every message, duplicates included, in order
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def stored(self) -> list[str]:
        """The control ids written to the folder, in order of arrival."""
        with self._lock:
            return [r.control_id for r in self.receipts if r.path and not r.duplicate]

    def start(self) -> MllpListener:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"mllp-listener-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # wake the handlers blocked in recv
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> MllpListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, data: bytes) -> str:
        """Store one received message (unless it is a duplicate) and return the ACK."""
        from emr.interop.hl7.ack import build_ack
        from emr.interop.hl7.encoding import ParseError, parse
        from emr.interop.sender import file_name
        from emr.printing import write_atomically

        try:
            text = data.decode(ENCODING)
            parsed = parse(text)
            control_id = parsed.control_id
            if not control_id:
                raise ParseError("MSH-10, the message control id, is empty.")
        except (UnicodeDecodeError, ParseError) as exc:
            self._note(Receipt("", "", "AE", False, None))
            return _unreadable_ack(data, str(exc))
        path = self.out_dir / file_name(control_id)
        with self._lock:
            duplicate = path.exists()
            code, reason = "AA", ""
            if not duplicate:
                try:
                    write_atomically(path, data)
                except UserError as exc:
                    code, reason = "AR", f"The message could not be stored: {exc}"
        self._note(
            Receipt(
                control_id, parsed.message_type, code, duplicate, path if code == "AA" else None
            )
        )
        try:
            return build_ack(text, code, reason)
        except Exception as exc:  # a header too odd to answer properly
            return _unreadable_ack(data, f"Cannot answer this message: {exc}")

    def _note(self, receipt: Receipt) -> None:
        with self._lock:
            self.receipts.append(receipt)
        log.info(
            "MLLP listener: %s %s answered %s%s",
            receipt.message_type or "message",
            receipt.control_id or "(unreadable)",
            receipt.code,
            " (duplicate, not stored again)" if receipt.duplicate else "",
        )
        if self.on_receipt is not None:
            self.on_receipt(receipt)


def _unreadable_ack(data: bytes, reason: str) -> str:
    """An AE for a message we cannot read (its MSH-10 given back if it can be found)."""
    from emr.interop.hl7.encoding import (
        ENCODING_CHARACTERS,
        message,
        new_control_id,
        segment,
        timestamp,
    )

    control_id = ""
    header = data.split(b"\r", 1)[0].decode(ENCODING, errors="replace")
    fields = header.split("|")
    if header.startswith("MSH") and len(fields) > 9:
        control_id = fields[9]
    return message(
        [
            "MSH|"
            + ENCODING_CHARACTERS
            + segment(
                "",
                None,
                None,
                None,
                None,
                timestamp(datetime.now(UTC)),
                None,
                ("ACK", "", "ACK"),
                new_control_id(),
                ("P",),
                ("2.5.1",),
            ),
            segment("MSA", "AE", control_id, reason[:199]),
        ]
    )


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, listener: MllpListener) -> None:
        self.listener = listener
        super().__init__(address, handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        listener = self.server.listener
        conn: socket.socket = self.request
        conn.settimeout(listener.idle_seconds)
        if listener.tls_context is not None:
            try:
                conn = listener.tls_context.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError) as exc:
                log.info("MLLP listener: TLS handshake failed: %s", exc)
                return
        with listener._lock:
            listener._connections.add(conn)
        reader = FrameReader()
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for message in reader.feed(data):
                    conn.sendall(frame(listener.answer(message)))
        except (OSError, MllpError):
            return
        finally:
            with listener._lock:
                listener._connections.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()
