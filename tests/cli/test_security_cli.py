from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.conftest import ADMIN_PASSWORD


def _one_line_error(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_init_creates_the_first_admin_and_refuses_to_run_twice(initialised):
    users = json.loads(initialised.as_admin("user", "list", "--json").stdout)
    assert [(u["username"], u["role"]) for u in users] == [("admin", "admin")]
    assert "exists already" in _one_line_error(initialised("init", EMR_PASSWORD=ADMIN_PASSWORD))


def test_init_takes_the_password_from_stdin_and_checks_it(cli):
    assert "at least 10" in _one_line_error(
        cli("init", "--admin-password-stdin", "--admin-username", "boss", stdin="short\n")
    )
    assert not (Path(cli.env["EMR_HOME"]) / "emr.db").exists()
    ok = cli("init", "--admin-password-stdin", "--admin-username", "boss", stdin="long enough pw\n")
    assert ok.returncode == 0, ok.stderr
    listed = cli("user", "list", "--json", EMR_USER="boss", EMR_PASSWORD="long enough pw")
    assert json.loads(listed.stdout)[0]["username"] == "boss"


def test_user_commands(initialised):
    cli = initialised
    added = cli.as_admin(
        "user",
        "add",
        "drjones",
        "--role",
        "physician",
        "--full-name",
        "Dr. Ann Jones",
        "--npi",
        "1234567893",
        "--dea",
        "AB1234563",
        EMR_NEW_PASSWORD="physician pw 1",
    )
    assert added.returncode == 0, added.stderr
    # The new user logs in with their own password.
    mine = cli("user", "list", EMR_USER="drjones", EMR_PASSWORD="physician pw 1")
    assert "may not" in _one_line_error(mine)  # a physician does not manage users
    assert (
        cli.as_admin(
            "user", "reset-password", "drjones", "--password-stdin", stdin="brand new pw 2\n"
        ).returncode
        == 0
    )
    assert cli.as_admin("user", "disable", "drjones").returncode == 0
    users = {u["username"]: u for u in json.loads(cli.as_admin("user", "list", "--json").stdout)}
    assert users["drjones"]["active"] is False and users["drjones"]["npi"] == "1234567893"
    assert "NPI" in _one_line_error(
        cli.as_admin(
            "user",
            "add",
            "x",
            "--role",
            "nurse",
            "--full-name",
            "X",
            "--npi",
            "1234567890",
            EMR_NEW_PASSWORD="some password",
        )
    )


def test_commands_on_data_need_a_user(initialised):
    assert "EMR_USER" in _one_line_error(initialised("user", "list"))
    wrong = initialised("user", "list", EMR_USER="admin", EMR_PASSWORD="not it at all")
    assert "not right" in _one_line_error(wrong)


def test_audit_show_and_verify_catch_tampering(initialised):
    cli = initialised
    shown = json.loads(cli.as_admin("audit", "show", "--json").stdout)
    assert {"login", "create"} <= {e["action"] for e in shown}
    assert cli("audit", "verify").returncode == 0
    db_path = f"{cli.env['EMR_HOME']}/emr.db"
    # Edit an event behind the app's back, with the key.
    import sqlcipher3.dbapi2 as sqlcipher

    conn = sqlcipher.connect(db_path)
    conn.execute(f"PRAGMA key = \"x'{cli.env['EMR_DB_KEY']}'\"")
    conn.execute("UPDATE audit_events SET username = 'someone' WHERE id = 1")
    conn.commit()
    conn.close()
    broken = cli("audit", "verify")
    assert broken.returncode == 1 and "event 1 was altered" in broken.stdout


def test_key_export_and_import_round_trip(initialised, tmp_path):
    out = tmp_path / "key.json"
    env = {"EMR_KEY_PASSPHRASE": "a long passphrase"}
    assert initialised("key", "export", "--out", str(out), **env).returncode == 0
    assert "wrong" in _one_line_error(
        initialised("key", "import", str(out), EMR_KEY_PASSPHRASE="not the passphrase")
    )
    assert "exists already" in _one_line_error(
        initialised("key", "export", "--out", str(out), **env)
    )
    # The file holds the key only sealed: its hex digits appear nowhere in it.
    assert initialised.env["EMR_DB_KEY"] not in out.read_text()


def test_database_file_is_not_readable_without_the_key(initialised):
    path = f"{initialised.env['EMR_HOME']}/emr.db"
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT * FROM users")
        raise AssertionError("a plain SQLite reader opened the encrypted database")
    except sqlite3.DatabaseError:
        pass
    finally:
        conn.close()
    wrong_key = initialised("db", "check", EMR_DB_KEY="cd" * 32)
    assert "key is wrong" in _one_line_error(wrong_key)


def test_backup_verify_and_restore_commands(initialised, tmp_path):
    cli = initialised
    backup = tmp_path / "backups" / "monday.db"
    made = cli("backup", "--out", str(backup))
    assert made.returncode == 0, made.stderr
    verified = cli("backup", "verify", str(backup))
    assert verified.returncode == 0 and "Backup OK" in verified.stdout
    cli.as_admin(
        "user",
        "add",
        "later",
        "--role",
        "nurse",
        "--full-name",
        "Added Later",
        EMR_NEW_PASSWORD="nurse password",
    )
    assert "--force" in _one_line_error(cli("restore", str(backup)))
    restored = cli("restore", str(backup), "--force")
    assert restored.returncode == 0 and "kept at" in restored.stdout
    users = json.loads(cli.as_admin("user", "list", "--json").stdout)
    assert [u["username"] for u in users] == ["admin"]
    assert "--out" in _one_line_error(cli("backup"))
    missing = cli("backup", "verify", str(tmp_path / "nope.db"))
    assert missing.returncode == 1 and "no backup file" in missing.stdout
