"""A writer killed mid-batch, and two writers at once: nothing committed is lost, nothing
uncommitted appears, the file stays sound."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from emr.config import load_settings
from emr.db import open_database
from emr.models.patients import Patient
from emr.services.maintenance import check_database

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from emr.config import load_settings
    from emr.db import open_database
    from emr.models.patients import Patient

    tag, batches, per_batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    db = open_database(load_settings())
    done = 0
    for b in range(batches):
        # One transaction per batch: all of its rows commit together, or none do.
        with db.write() as s:
            for i in range(per_batch):
                s.add(Patient(
                    mrn=f"{tag[:3]}{b:04d}{i:03d}", family_name=f"{tag}{b:04d}",
                    given_name=f"Row{i:03d}", date_of_birth=date(1970, 1, 1), sex="U",
                ))
        done += per_batch
        print(done, flush=True)
    """
)


def _start(tag: str, batches: int, per_batch: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, tag, str(batches), str(per_batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _count(db, family_prefix: str) -> int:
    with db.read() as s:
        return s.execute(
            select(func.count()).where(Patient.family_name.like(f"{family_prefix}%"))
        ).scalar_one()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")
def test_writer_killed_mid_batch_loses_nothing_committed(db):
    db.dispose()
    writer = _start("Killed", batches=1000, per_batch=50)
    committed = 0
    assert writer.stdout is not None
    while committed < 500:
        line = writer.stdout.readline()
        assert line, writer.stderr.read() if writer.stderr else "writer ended early"
        committed = int(line)
    time.sleep(0.05)  # let it get into the middle of the next batch
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    # Batches it reported after our last read were committed too: count what it printed.
    rest = writer.stdout.read().split()
    committed = int(rest[-1]) if rest else committed

    reopened = open_database(load_settings())
    try:
        assert check_database(reopened).integrity == "ok"
        total = _count(reopened, "Killed")
        # Every committed batch is there, whole; the batch being written at the kill is not.
        assert total == committed or total == committed + 50
        assert total % 50 == 0
    finally:
        reopened.dispose()


def test_two_writers_at_once_both_succeed(db):
    db.dispose()
    writers = [_start("Front", 40, 10), _start("Physician", 40, 10)]
    outputs = [w.communicate(timeout=300) for w in writers]
    for w, (out, err) in zip(writers, outputs, strict=True):
        assert w.returncode == 0, err
        assert out.split()[-1] == "400"
    reopened = open_database(load_settings())
    try:
        assert _count(reopened, "Front") == 400
        assert _count(reopened, "Physician") == 400
    finally:
        reopened.dispose()
