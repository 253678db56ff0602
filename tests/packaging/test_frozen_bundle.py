"""The PyInstaller bundle runs: a missing hidden import, data file or Qt plugin is caught here,
on Linux, before it reaches a clinic's Windows PC.

Slow (the build takes a few minutes), so it runs only when asked:
  EMR_TEST_PACKAGE=1         build dist/SmallPracticeEMR afresh with packaging/emr.spec, then test it
  EMR_TEST_PACKAGE=existing  test the bundle already in dist/ (after `make package`)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import emr
from emr.db import head_revision
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "SmallPracticeEMR"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
ADMIN_PASSWORD = "admin password 1"
DOCTOR_PASSWORD = "doctor password 1"

MODE = os.environ.get("EMR_TEST_PACKAGE", "").strip()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        MODE not in ("1", "existing"),
        reason="builds and runs the frozen app: set EMR_TEST_PACKAGE=1 (or =existing for dist/)",
    ),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    if MODE == "1":
        try:
            import PyInstaller  # noqa: F401
        except ImportError:
            pytest.fail("PyInstaller is not installed: pip install -e '.[package]'")
        build = subprocess.run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--distpath",
                str(ROOT / "dist"),
                "--workpath",
                str(ROOT / "build" / "pyinstaller"),
                str(ROOT / "packaging" / "emr.spec"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1500,
        )
        assert build.returncode == 0, build.stderr[-5000:]
    if not (BUNDLE / f"emr-admin{EXE_SUFFIX}").is_file():
        pytest.fail(f"There is no bundle in {BUNDLE}: run `make package` first.")
    return BUNDLE


class Frozen:
    """Runs the bundle's programs with exactly this environment (no EMR_* of the caller's)."""

    def __init__(self, bundle: Path, home: Path, **env: str) -> None:
        self.bundle = bundle
        base = {k: v for k, v in os.environ.items() if not k.startswith("EMR_")}
        self.env = base | {
            "EMR_HOME": str(home),
            "EMR_CACHE_DIR": str(home / "cache"),
            "QT_QPA_PLATFORM": "offscreen",
        }
        self.env |= env

    def __call__(self, program: str, *args: str, **env: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.bundle / f"{program}{EXE_SUFFIX}"), *args],
            env=self.env | env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def ok(self, program: str, *args: str, **env: str) -> str:
        result = self(program, *args, **env)
        assert result.returncode == 0, f"{program} {' '.join(args)}:\n{result.stderr}"
        return result.stdout

    def as_admin(self, *args: str) -> str:
        return self.ok("emr-admin", *args, EMR_USER="admin", EMR_PASSWORD=ADMIN_PASSWORD)


def test_both_programs_give_the_project_version(bundle: Path, tmp_path: Path) -> None:
    frozen = Frozen(bundle, tmp_path / "home")
    assert frozen.ok("emr-admin", "--version").strip() == f"emr-admin {emr.__version__}"
    started = time.perf_counter()
    assert frozen.ok("emr", "--version").strip() == f"emr {emr.__version__}"
    print(f"frozen emr --version: {time.perf_counter() - started:.2f} s")


def test_a_new_encrypted_practice_works_frozen(bundle: Path, tmp_path: Path) -> None:
    frozen = Frozen(bundle, tmp_path / "home", EMR_DB_KEY=TEST_KEY)

    out = frozen.ok("emr-admin", "init", EMR_PASSWORD=ADMIN_PASSWORD)
    assert "administrator: admin" in out and "NOT encrypted" not in out

    # The migrations were found and run from the bundle, up to the newest in the source tree.
    check = frozen.ok("emr-admin", "db", "check")
    assert "encrypted:       yes" in check
    assert f"schema revision: {head_revision()} " in check
    assert "integrity:       ok" in check

    counts = frozen.ok("emr-admin", "demo", "--patients", "20", "--json")
    assert '"patients": 20' in counts

    out = frozen.ok(
        "emr-admin",
        "user",
        "add",
        "drwho",
        "--role",
        "physician",
        "--full-name",
        "Doc Who",
        EMR_USER="admin",
        EMR_PASSWORD=ADMIN_PASSWORD,
        EMR_NEW_PASSWORD=DOCTOR_PASSWORD,
    )
    assert "Created drwho (physician)" in out
    assert "drwho" in frozen.as_admin("user", "list")

    started = time.perf_counter()
    smoke = frozen.ok("emr", "--smoke", EMR_USER="drwho", EMR_PASSWORD=DOCTOR_PASSWORD)
    print(f"frozen emr --smoke: {time.perf_counter() - started:.2f} s")
    assert "emr --smoke: OK as drwho (physician)" in smoke
    assert "Chart (" in smoke and "MRN" in smoke

    # Printing: reportlab and its fonts; the prescription printer (python-barcode) imports.
    doctor = {"EMR_USER": "drwho", "EMR_PASSWORD": DOCTOR_PASSWORD}
    summary = tmp_path / "visit.pdf"
    frozen.ok("emr-admin", "print", "visit-summary", "1", "--out", str(summary), **doctor)
    assert summary.read_bytes().startswith(b"%PDF")
    missing = frozen("emr-admin", "print", "prescription", "999999", "--out", "rx.pdf", **doctor)
    assert missing.returncode == 2 and "no prescription with id 999999" in missing.stderr

    admin = frozen.ok("emr", "--smoke", EMR_USER="admin", EMR_PASSWORD=ADMIN_PASSWORD)
    assert "Admin (" in admin and "audit chain OK" in admin

    assert "Audit trail intact" in frozen.ok("emr-admin", "audit", "verify")
    key_file = tmp_path / "emr-key.json"
    frozen.ok(
        "emr-admin", "key", "export", "--out", str(key_file), EMR_KEY_PASSPHRASE="a long passphrase"
    )
    assert key_file.is_file() and TEST_KEY not in key_file.read_text(encoding="utf-8")

    backup = tmp_path / "copy.db"
    frozen.ok("emr-admin", "backup", "--out", str(backup))
    assert backup.is_file()
    frozen.ok("emr-admin", "backup", "verify", str(backup))


def test_an_unencrypted_practice_says_so_frozen(bundle: Path, tmp_path: Path) -> None:
    frozen = Frozen(bundle, tmp_path / "home")
    out = frozen.ok("emr-admin", "init", "--unencrypted", EMR_PASSWORD=ADMIN_PASSWORD)
    assert "NOT encrypted" in out
    assert "encrypted:       NO" in frozen.ok("emr-admin", "db", "check")


def test_without_a_key_the_keyring_is_asked_and_refuses_clearly(bundle: Path, tmp_path: Path):
    """The keyring and its backends are bundled: with no EMR_DB_KEY the frozen app asks the
    keyring (none usable here, or no key in it) and says what to do, in one line."""
    home = tmp_path / "home"
    Frozen(bundle, home, EMR_DB_KEY=TEST_KEY).ok("emr-admin", "init", EMR_PASSWORD=ADMIN_PASSWORD)
    result = Frozen(bundle, home)("emr-admin", "db", "check")
    assert result.returncode == 2
    assert "keyring" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_bundle_leaves_out_the_qt_it_does_not_use(bundle: Path) -> None:
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    names = " ".join(files)
    for unused in ("QtWebEngine", "Qt3D", "QtMultimedia", "QtQuick", "QtQml", "QtBluetooth"):
        assert unused not in names, unused
    assert not [f for f in files if "/translations/" in f]
    platforms = {Path(f).stem.removeprefix("lib") for f in files if "/plugins/platforms/" in f}
    wanted = {"qwindows", "qoffscreen"} if sys.platform == "win32" else {"qxcb", "qoffscreen"}
    assert wanted <= platforms
    assert not any("wayland" in f or "platformthemes" in f for f in files)


def test_postgresql_driver_is_bundled_when_installed(bundle: Path, tmp_path: Path) -> None:
    """With psycopg in the build environment the frozen app reaches PostgreSQL: a closed port
    gives the one-line 'could not be opened', not a missing module."""
    pytest.importorskip("psycopg", reason="psycopg is not installed, so it is not bundled")
    frozen = Frozen(bundle, tmp_path / "home")
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = frozen("emr-admin", "db", "check", EMR_DATABASE_URL=url)
    assert result.returncode == 2
    assert "could not be opened" in result.stderr and "No module" not in result.stderr
