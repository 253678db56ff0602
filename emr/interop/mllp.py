"""MLLP, the Minimal Lower Layer Protocol HL7 v2 travels on over TCP: each message framed as
<VT> message <FS><CR> (0x0B … 0x1C 0x0D), the peer answering each with an ACK in the same frame.

The client opens one connection (optionally TLS), sends a message and waits for its ACK, with
separate connect and read timeouts. Any transport problem (refused, reset, closed before the
ACK, timeout, TLS failure) is an MllpError: the message may or may not have arrived, so the
sender tries again later (the receiver ignores a control id it has acknowledged already).
"""

from __future__ import annotations

import os
import socket
import ssl
from types import TracebackType

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
ENCODING = "utf-8"  # MSH-18 UNICODE UTF-8
MAX_FRAME = 16 * 1024 * 1024
# Extra certificates (PEM) trusted for TLS peers, e.g. a partner's own certificate authority.
CA_FILE_VARIABLE = "EMR_HL7_TLS_CA_FILE"


class MllpError(Exception):
    """The connection failed before an acknowledgement was read."""


def frame(message: str | bytes) -> bytes:
    data = message.encode(ENCODING) if isinstance(message, str) else message
    return START_BLOCK + data + END_BLOCK


class FrameReader:
    """Collects received bytes and hands out each complete frame's content."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buffer = bytearray()
        self._max_frame = max_frame

    @property
    def partial(self) -> bool:
        """Bytes of an unfinished frame are waiting."""
        return bool(self._buffer.strip(b"\r\n \t"))

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames: list[bytes] = []
        while True:
            start = self._buffer.find(START_BLOCK)
            if start < 0:
                self._buffer.clear()  # noise between frames
                return frames
            end = self._buffer.find(END_BLOCK, start + 1)
            if end < 0:
                del self._buffer[:start]
                if len(self._buffer) > self._max_frame:
                    raise MllpError(f"A frame longer than {self._max_frame} bytes.")
                return frames
            frames.append(bytes(self._buffer[start + 1 : end]))
            del self._buffer[: end + len(END_BLOCK)]


def client_tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """Certificate-checking TLS: the system's authorities, plus EMR_HL7_TLS_CA_FILE if set."""
    context = ssl.create_default_context()
    extra = cafile or os.environ.get(CA_FILE_VARIABLE)
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


class MllpClient:
    """One connection to an MLLP peer; `send` returns the peer's answer (the ACK's text)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        use_tls: bool = False,
        connect_timeout: float = 10.0,
        ack_timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self.tls_context = tls_context
        self._socket: socket.socket | None = None
        self._reader = FrameReader()

    @property
    def connected(self) -> bool:
        return self._socket is not None

    def connect(self) -> None:
        if self._socket is not None:
            return
        where = f"{self.host}:{self.port}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError:
            raise MllpError(f"No answer from {where} within {self.connect_timeout:g} s.") from None
        except OSError as exc:
            raise MllpError(f"Cannot connect to {where}: {exc.strerror or exc}.") from None
        if self.use_tls:
            context = self.tls_context or client_tls_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=self.host)
            except (OSError, ssl.SSLError) as exc:
                sock.close()
                raise MllpError(f"TLS with {where} failed: {exc}.") from None
        sock.settimeout(self.ack_timeout)
        self._socket = sock
        self._reader = FrameReader()

    def send(self, message: str) -> str:
        """Send one message and wait for the answer; MllpError if none comes back whole."""
        self.connect()
        assert self._socket is not None
        try:
            self._socket.sendall(frame(message))
            while True:
                data = self._socket.recv(65536)
                if not data:
                    raise MllpError(
                        f"{self.host}:{self.port} closed the connection before acknowledging."
                    )
                answers = self._reader.feed(data)
                if answers:
                    return answers[0].decode(ENCODING, errors="replace")
        except TimeoutError:
            self.close()
            raise MllpError(
                f"No acknowledgement from {self.host}:{self.port} within {self.ack_timeout:g} s."
            ) from None
        except MllpError:
            self.close()
            raise
        except OSError as exc:
            self.close()
            raise MllpError(
                f"The connection to {self.host}:{self.port} failed: {exc.strerror or exc}."
            ) from None

    def close(self) -> None:
        if self._socket is not None:
            try:
                self._socket.close()
            finally:
                self._socket = None

    def __enter__(self) -> MllpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
