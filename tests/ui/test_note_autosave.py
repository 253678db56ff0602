"""Nothing typed is lost when the app is killed: a real process opens the note editor, types,
waits for one autosave and is killed with SIGKILL before it can close; the text is in the
database afterwards."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from emr.services.auth import login
from emr.services.encounters import get_encounter, start_encounter
from tests.ui.conftest import PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
TYPED = "Typed before the crash"

# The child: the real editor, offscreen; it says AUTOSAVED once the autosave is done, then
# types more and keeps running until it is killed (it never closes the editor, which would save).
CHILD = r"""
import sys
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from emr.config import load_settings
from emr.db import open_database
from emr.services.auth import login

app = QApplication([])
from ui.chart.note_editor import NoteEditor

db = open_database(load_settings())
actor = login(db, "doc", sys.argv[1])
editor = NoteEditor(actor, int(sys.argv[2]))
editor.autosave_ms = 200
editor.show()
section = editor.sections["subjective"]
section.setFocus()
QTest.keyClicks(section, sys.argv[3])
while not editor.status.text().startswith("Saved "):
    app.processEvents()
    QTest.qWait(20)
print("AUTOSAVED", flush=True)
editor.autosave_ms = 3_600_000
QTest.keyClicks(section, " and this is lost")
while True:
    QTest.qWait(100)
"""


def read_line(proc: subprocess.Popen, timeout: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            return proc.stdout.readline()
        if proc.poll() is not None:
            break
    return ""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_note_survives_a_killed_process(db, users, patients):
    doc = login(db, "doc", PASSWORDS["doc"])
    encounter = start_encounter(
        doc,
        patients[0].id,
        provider_id=doc.user_id,
        occurred_at=datetime(2024, 3, 5, 9, 30),
        encounter_type="Follow-up",
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, PASSWORDS["doc"], str(encounter.id), TYPED],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = read_line(proc, timeout=90)
        if line.strip() != "AUTOSAVED":
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"the editor process did not autosave: {line!r} {err[-2000:]}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    note = get_encounter(doc, encounter.id).note
    assert note.subjective == TYPED
    assert note.status == "draft" and note.last_editor_name == "Doc Tester"
