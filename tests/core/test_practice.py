from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.services.practice import (
    PracticeInput,
    backup_dir,
    get_practice,
    idle_lock_minutes,
    update_practice,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
CLINIC = PracticeInput(
    name="  Lakeside Family Practice ",
    address_line1="12 Harbour Road",
    address_line2="Suite 3",
    city="Portland",
    state="ME",
    postal_code="04101",
    phone="(207) 555-0142",
    fax="207 555 0143",
    npi="1234567893",
    logo_png=PNG,
    idle_lock_minutes=20,
    backup_dir="/srv/emr-backups",
    slot_minutes=10,
)


def test_empty_profile_is_version_0(operator):
    profile = get_practice(operator)
    assert profile.version == 0
    assert (profile.name, profile.npi, profile.logo_png) == ("", "", None)
    assert (profile.idle_lock_minutes, profile.backup_dir, profile.slot_minutes) == (None, None, 15)
    assert profile.address_lines == []


def test_update_and_read_back(staff):
    boss, fran = staff["boss"], staff["fran"]
    saved = update_practice(boss, 0, CLINIC)
    assert saved.version == 1
    again = get_practice(fran)  # everyone reads it: printing needs the letterhead
    assert again == saved
    assert again.name == "Lakeside Family Practice"  # trimmed
    assert again.to_input() == replace(CLINIC, name="Lakeside Family Practice")
    assert again.address_lines == ["12 Harbour Road", "Suite 3", "Portland, ME 04101"]

    jpeg = update_practice(boss, 1, replace(again.to_input(), logo_png=JPEG, backup_dir="  "))
    assert jpeg.version == 2
    assert get_practice(boss).logo_png == JPEG
    assert get_practice(boss).backup_dir is None  # blank: this computer's setting


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"npi": "1234567890"}, "npi", "check digit"),
        ({"phone": "call the desk"}, "phone", "Not a phone number"),
        ({"fax": "12"}, "fax", "digits"),
        ({"logo_png": b"GIF89a" + b"\x00" * 20}, "logo_png", "PNG or JPEG"),
        ({"logo_png": PNG + b"\x00" * 1_000_000}, "logo_png", "larger than 1 MB"),
        ({"idle_lock_minutes": 0}, "idle_lock_minutes", "1 to 240"),
        ({"idle_lock_minutes": 241}, "idle_lock_minutes", "1 to 240"),
        ({"backup_dir": "backups/here"}, "backup_dir", "full path"),
        ({"slot_minutes": 7}, "slot_minutes", "5, 10 or 15"),
        ({"name": "x" * 201}, "name", "200 characters"),
        ({"postal_code": "9" * 21}, "postal_code", "20 characters"),
    ],
)
def test_validation_errors_name_the_field(staff, change, field, words):
    with pytest.raises(ValidationError) as exc:
        update_practice(staff["boss"], 0, replace(CLINIC, **change))
    assert set(exc.value.field_errors) == {field}
    assert words in exc.value.field_errors[field]
    assert get_practice(staff["boss"]).version == 0  # nothing saved


def test_several_errors_at_once(staff):
    bad = replace(CLINIC, npi="12", phone="abc", idle_lock_minutes=0, slot_minutes=30)
    with pytest.raises(ValidationError) as exc:
        update_practice(staff["boss"], 0, bad)
    assert set(exc.value.field_errors) == {"npi", "phone", "idle_lock_minutes", "slot_minutes"}


def test_stale_version_is_a_conflict(staff):
    boss = staff["boss"]
    first = update_practice(boss, 0, CLINIC)
    update_practice(boss, first.version, replace(CLINIC, name="Renamed"))
    with pytest.raises(ConflictError, match="someone else"):
        update_practice(boss, first.version, replace(CLINIC, name="Lost update"))
    with pytest.raises(ConflictError):
        update_practice(boss, 0, CLINIC)  # "create" when it already exists
    assert get_practice(boss).name == "Renamed"


def test_a_record_given_back_as_input_does_not_rewind_the_version(staff):
    boss = staff["boss"]
    first = update_practice(boss, 0, CLINIC)
    second = update_practice(boss, first.version, replace(CLINIC, name="Second"))
    third = update_practice(boss, second.version, replace(first, name="Third"))
    assert third.version > second.version
    with pytest.raises(ConflictError):
        update_practice(boss, first.version, replace(CLINIC, name="From a stale screen"))


@pytest.mark.parametrize("who", ["doc", "fran"])
def test_only_an_administrator_may_change_it(staff, who):
    with pytest.raises(PermissionDenied):
        update_practice(staff[who], 0, CLINIC)
    assert get_practice(staff["boss"]).version == 0


def test_the_change_is_audited(staff, db):
    boss = staff["boss"]
    update_practice(boss, 0, CLINIC)
    update_practice(boss, 1, replace(CLINIC, name="Lakeside Family Practice", fax=""))
    with db.read() as s:
        events = (
            s.execute(
                select(AuditEvent).where(AuditEvent.entity == "practice").order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
        seen = [(e.action, e.username, e.user_id, e.entity_id, e.detail) for e in events]
    assert len(seen) == 2
    assert seen[0][:4] == ("update", "boss", boss.user_id, 1)
    assert "name" in seen[0][4] and "npi" in seen[0][4] and "logo_png" in seen[0][4]
    assert seen[1][4] == "changed: fax"


def test_idle_lock_and_backup_folder_fall_back_to_this_computer(staff, db, tmp_path):
    boss = staff["boss"]
    assert idle_lock_minutes(boss) == db.settings.idle_lock_minutes
    assert backup_dir(boss) == db.settings.backup_dir

    folder = tmp_path / "practice backups"
    update_practice(boss, 0, replace(CLINIC, idle_lock_minutes=25, backup_dir=str(folder) + "  "))
    assert idle_lock_minutes(staff["fran"]) == 25
    assert backup_dir(staff["fran"]) == folder

    update_practice(boss, 1, replace(CLINIC, idle_lock_minutes=None, backup_dir=None))
    assert idle_lock_minutes(boss) == db.settings.idle_lock_minutes
    assert backup_dir(boss) == db.settings.backup_dir
