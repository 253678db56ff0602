"""MLLP framing and the client, over real sockets on 127.0.0.1 (plain and TLS)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emr.interop.hl7.ack import parse_ack
from emr.interop.listener import MllpListener, server_tls_context
from emr.interop.mllp import (
    END_BLOCK,
    START_BLOCK,
    FrameReader,
    MllpClient,
    MllpError,
    client_tls_context,
    frame,
)

MESSAGE = (
    "MSH|^~\\&|EMR|CLINIC|ENGINE|HIE|20261126120000+0000||ADT^A04^ADT_A01|C1|P|2.5.1\rPID|1||42\r"
)


def test_a_frame_is_vt_message_fs_cr():
    assert frame("MSH|x\r") == b"\x0bMSH|x\r\x1c\x0d"
    assert frame("Zoë") == START_BLOCK + "Zoë".encode() + END_BLOCK


def test_frames_are_found_across_chunks_and_noise():
    reader = FrameReader()
    stream = b"\r\n" + frame("one") + frame("twö") + b"\n" + frame("three")
    found: list[bytes] = []
    for i in range(0, len(stream), 3):  # three bytes at a time
        found += reader.feed(stream[i : i + 3])
    assert found == [b"one", "twö".encode(), b"three"]
    assert not reader.partial
    assert reader.feed(b"\x0bhalf") == [] and reader.partial


def test_a_frame_too_long_is_an_error():
    reader = FrameReader(max_frame=10)
    with pytest.raises(MllpError):
        reader.feed(b"\x0b" + b"x" * 20)


def test_the_client_gets_the_ack_over_one_connection(tmp_path):
    with MllpListener(tmp_path) as listener, MllpClient("127.0.0.1", listener.port) as client:
        first = parse_ack(client.send(MESSAGE))
        second = parse_ack(client.send(MESSAGE.replace("|C1|", "|C2|")))
        assert (first.code, first.acknowledged_control_id) == ("AA", "C1")
        assert (second.code, second.acknowledged_control_id) == ("AA", "C2")
        assert client.connected


def test_nobody_listening_is_an_mllp_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MllpError, match="Cannot connect"):
        MllpClient("127.0.0.1", port, connect_timeout=2).send(MESSAGE)


def _serve_once(behaviour) -> tuple[socket.socket, threading.Thread]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def run() -> None:
        conn, _ = server.accept()
        with conn:
            behaviour(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server, thread


def test_a_peer_closing_before_the_ack_is_an_mllp_error():
    server, thread = _serve_once(lambda conn: conn.recv(5))  # part of the message, then close
    with server, pytest.raises(MllpError, match="closed the connection|reset"):
        MllpClient("127.0.0.1", server.getsockname()[1]).send(MESSAGE)
    thread.join(5)


def test_a_silent_peer_times_out():
    release = threading.Event()

    def silent(conn: socket.socket) -> None:
        conn.recv(65536)
        release.wait(10)

    server, thread = _serve_once(silent)
    try:
        client = MllpClient("127.0.0.1", server.getsockname()[1], ack_timeout=0.2)
        with pytest.raises(MllpError, match="No acknowledgement"):
            client.send(MESSAGE)
        assert not client.connected  # a late answer must not be taken for the next message's
    finally:
        release.set()
        server.close()
        thread.join(5)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost and 127.0.0.1 (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def test_tls_with_a_trusted_certificate(tmp_path, certificate):
    cert, key = certificate
    tls = server_tls_context(cert, key)
    with MllpListener(tmp_path, tls_context=tls) as listener:
        client = MllpClient(
            "127.0.0.1",
            listener.port,
            use_tls=True,
            tls_context=client_tls_context(cafile=str(cert)),
        )
        with client:
            assert parse_ack(client.send(MESSAGE)).code == "AA"
        assert (tmp_path / "C1.hl7").exists()


def test_tls_refuses_a_certificate_it_does_not_trust(tmp_path, certificate):
    cert, key = certificate
    with MllpListener(tmp_path, tls_context=server_tls_context(cert, key)) as listener:
        client = MllpClient("127.0.0.1", listener.port, use_tls=True, connect_timeout=2)
        with pytest.raises(MllpError, match="TLS"):
            client.send(MESSAGE)
    assert not (tmp_path / "C1.hl7").exists()
