"""`emr-admin hl7 send` and `emr-admin hl7 listen`, each as its own process."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

from emr.interop.sender import deliver_pending
from emr.services.destinations import DestinationInput, create_destination
from emr.services.patients import PatientInput, register_patient
from tests.cli.conftest import emr_admin


def env() -> dict[str, str]:
    """This test's database (EMR_HOME and EMR_DB_KEY are set by the `db` fixture)."""
    return os.environ | {"PYTHONIOENCODING": "utf-8"}


def register(operator, count: int = 1) -> None:
    for i in range(count):
        register_patient(
            operator,
            PatientInput(
                family_name=f"Okafor{i}", given_name="Ada", date_of_birth=date(1950, 1, 1), sex="F"
            ),
            allow_duplicate=True,
        )


def folder(operator, path: Path, name: str = "Engine"):
    return create_destination(
        operator,
        DestinationInput(name=name, kind="folder", folder=str(path), message_types=("ADT^A04",)),
    )


def mllp(operator, port: int, name: str = "Hospital"):
    return create_destination(
        operator,
        DestinationInput(
            name=name, kind="mllp", host="127.0.0.1", port=port, message_types=("ADT^A04",)
        ),
    )


def test_help_lists_send_and_listen():
    result = emr_admin("hl7", "--help", env=env())
    assert result.returncode == 0
    assert "send" in result.stdout and "listen" in result.stdout


def test_send_delivers_the_queue_and_reports(db, operator, tmp_path):
    folder(operator, tmp_path / "engine")
    folder(operator, tmp_path / "registry", name="Registry")
    register(operator, 2)

    result = emr_admin("hl7", "send", "--destination", "engine", env=env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Engine: 2 sent"]
    assert len(list((tmp_path / "engine").glob("*.hl7"))) == 2
    assert list((tmp_path / "registry").glob("*.hl7")) == []

    result = emr_admin("hl7", "send", env=env())
    assert result.stdout.splitlines() == ["Engine: 0 sent", "Registry: 2 sent"]


def test_send_to_an_unknown_destination_is_one_line(db, operator, tmp_path):
    folder(operator, tmp_path)
    result = emr_admin("hl7", "send", "--destination", "Nowhere", env=env())
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Nowhere" in result.stderr and "Engine" in result.stderr


def test_send_to_a_peer_that_is_down_says_it_will_retry(db, operator):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mllp(operator, port)
    register(operator, 2)
    result = emr_admin("hl7", "send", env=env())
    assert result.returncode == 1
    assert re.fullmatch(
        r"Hospital: 0 sent, 2 waiting \(will retry: Cannot connect to 127\.0\.0\.1:\d+: .*\)\n",
        result.stdout,
    )


def _lines(process: subprocess.Popen) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_listen_stores_and_acknowledges_what_the_outbox_sends(db, operator, tmp_path):
    out = tmp_path / "received"
    out.mkdir()
    listener = subprocess.Popen(
        [sys.executable, "-m", "emr.cli", "hl7", "listen", "--port", "0", "--out", str(out)],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        lines = _lines(listener)
        first = lines.get(timeout=60)
        port = int(re.match(r"Listening on 127\.0\.0\.1:(\d+), writing to ", first).group(1))
        mllp(operator, port)
        register(operator, 2)
        report = deliver_pending(db, connect_timeout=5, ack_timeout=10)
        assert report.sent == 2
        received = [lines.get(timeout=10), lines.get(timeout=10)]
        assert all(re.fullmatch(r"ADT\^A04 [0-9a-f]{20}: AA", line) for line in received)
        listener.send_signal(signal.SIGINT)
        assert listener.wait(30) == 0
        assert lines.get(timeout=10) == "Stopped after 2 message(s)."
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait(10)
        listener.stdout.close()
        listener.stderr.close()
    stored = sorted(p.stem for p in out.glob("*.hl7"))
    assert stored == sorted(line.split()[1].rstrip(":") for line in received)


def test_listen_needs_an_existing_folder(tmp_path):
    result = emr_admin(
        "hl7", "listen", "--port", "0", "--out", str(tmp_path / "missing"), env=env()
    )
    assert result.returncode == 2
    assert "is not a folder" in result.stderr
