"""Where outbound HL7 messages go (administrators): a folder an interface engine picks files up
from, or an MLLP peer over TCP (optionally TLS), each with the message types it wants."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emr.errors import ConflictError, NotFound, ValidationError
from emr.interop.hl7.build import MESSAGE_TYPES
from emr.interop.outbox import parse_message_types
from emr.models.outbox import Destination, OutboxMessage
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor

ENTITY = Destination.__tablename__
KINDS = {"folder": "Folder (one file per message)", "mllp": "MLLP over TCP"}
MESSAGE_TYPE_LABELS = {
    "ADT^A04": "ADT^A04 patient registered",
    "ADT^A08": "ADT^A08 patient information updated",
    "ADT^A28": "ADT^A28 person added",
    "ADT^A31": "ADT^A31 person updated",
    "ORU^R01": "ORU^R01 vital signs and lab results",
    "VXU^V04": "VXU^V04 immunizations",
    "MDM^T02": "MDM^T02 signed note",
    "MDM^T08": "MDM^T08 addendum to a note",
    "REF^I12": "REF^I12 referral sent",
    "RDE^O11": "RDE^O11 prescription signed",
}
assert set(MESSAGE_TYPE_LABELS) == set(MESSAGE_TYPES)


@dataclass(frozen=True)
class DestinationInput:
    name: str
    kind: str  # folder, mllp
    message_types: tuple[str, ...]
    folder: str = ""
    host: str = ""
    port: int | None = None
    use_tls: bool = False
    receiving_application: str = ""
    receiving_facility: str = ""
    active: bool = True


@dataclass(frozen=True)
class DestinationRecord:
    id: int
    version: int
    name: str
    kind: str
    message_types: tuple[str, ...]
    folder: str
    host: str
    port: int | None
    use_tls: bool
    receiving_application: str
    receiving_facility: str
    active: bool
    pending: int = 0
    failed: int = 0
    types_text: str = field(default="", compare=False)

    @property
    def address(self) -> str:
        if self.kind == "folder":
            return self.folder
        return f"{self.host}:{self.port}" + (" (TLS)" if self.use_tls else "")


def _record(d: Destination, pending: int = 0, failed: int = 0) -> DestinationRecord:
    types = parse_message_types(d.message_types)
    return DestinationRecord(
        d.id,
        d.version,
        d.name,
        d.kind,
        types,
        d.folder,
        d.host,
        d.port,
        d.use_tls,
        d.receiving_application,
        d.receiving_facility,
        d.active,
        pending,
        failed,
        ", ".join(types),
    )


def _folder_problem(folder: str) -> str | None:
    if not folder:
        return "Give the folder the messages are written to."
    path = Path(folder).expanduser()
    if not path.is_absolute():
        return "Give the whole path of the folder (e.g. C:\\Interfaces\\Out or /srv/hl7/out)."
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".emr-write-test-"):
            pass
    except OSError as exc:
        return f"This folder cannot be created or written to: {exc.strerror or exc}."
    return None


def _cleaned(data: DestinationInput) -> DestinationInput:
    kind = data.kind.strip().lower()
    folder = str(Path(data.folder.strip()).expanduser()) if data.folder.strip() else ""
    types = tuple(dict.fromkeys(t.strip().upper() for t in data.message_types if t.strip()))
    return DestinationInput(
        name=data.name.strip(),
        kind=kind,
        message_types=types,
        folder=folder if kind == "folder" else "",
        host=data.host.strip() if kind == "mllp" else "",
        port=data.port if kind == "mllp" else None,
        use_tls=bool(data.use_tls) if kind == "mllp" else False,
        receiving_application=data.receiving_application.strip(),
        receiving_facility=data.receiving_facility.strip(),
        active=data.active,
    )


def validate_destination(data: DestinationInput) -> None:
    problems: dict[str, str] = {}
    if not data.name:
        problems["name"] = "Give the destination a name."
    elif len(data.name) > 100:
        problems["name"] = "At most 100 characters."
    if data.kind not in KINDS:
        problems["kind"] = "Choose a folder or an MLLP peer."
    elif data.kind == "folder":
        if problem := _folder_problem(data.folder):
            problems["folder"] = problem
    else:
        if not data.host:
            problems["host"] = "Give the host name or IP address of the receiver."
        elif len(data.host) > 200 or any(c.isspace() for c in data.host):
            problems["host"] = "This is not a host name or IP address."
        if data.port is None or not 1 <= data.port <= 65535:
            problems["port"] = "The port is a number from 1 to 65535."
    unknown = [t for t in data.message_types if t not in MESSAGE_TYPES]
    if unknown:
        problems["message_types"] = f"Not a message we send: {', '.join(unknown)}."
    elif not data.message_types:
        problems["message_types"] = "Choose the messages this destination wants."
    for key in ("receiving_application", "receiving_facility"):
        if len(getattr(data, key)) > 60:
            problems[key] = "At most 60 characters."
    if problems:
        raise ValidationError(problems)


def _check_name_free(s: Session, name: str, exclude_id: int | None = None) -> None:
    query = select(Destination.id).where(func.lower(Destination.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Destination.id != exclude_id)
    if s.scalar(query) is not None:
        raise ValidationError({"name": "Another destination has this name."})


def _apply(row: Destination, data: DestinationInput) -> None:
    row.name = data.name
    row.kind = data.kind
    row.folder = data.folder
    row.host = data.host
    row.port = data.port
    row.use_tls = data.use_tls
    row.message_types = ",".join(data.message_types)
    row.receiving_application = data.receiving_application
    row.receiving_facility = data.receiving_facility
    row.active = data.active


def _audit(s: Session, actor: Actor, action: str, row: Destination, detail: str) -> None:
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=ENTITY,
        entity_id=row.id,
        detail=detail[:500],
    )


def _describe(data: DestinationInput) -> str:
    where = data.folder if data.kind == "folder" else f"{data.host}:{data.port}"
    tls = " TLS" if data.use_tls else ""
    state = "" if data.active else ", inactive"
    return f"{data.name} ({data.kind} {where}{tls}): {', '.join(data.message_types)}{state}"


def create_destination(actor: Actor, data: DestinationInput) -> DestinationRecord:
    actor.require(Permission.OUTBOX_MANAGE)
    data = _cleaned(data)
    validate_destination(data)
    with actor.write() as s:
        _check_name_free(s, data.name)
        row = Destination()
        _apply(row, data)
        s.add(row)
        s.flush()
        _audit(s, actor, "create", row, _describe(data))
        return _record(row)


def update_destination(
    actor: Actor, destination_id: int, expected_version: int, data: DestinationInput
) -> DestinationRecord:
    """Change a destination; messages queued already keep the receiver names they were built
    with, later ones get the new names and go by the new address."""
    actor.require(Permission.OUTBOX_MANAGE)
    data = _cleaned(data)
    validate_destination(data)
    with actor.write() as s:
        row = _load(s, destination_id)
        if row.version != expected_version:
            raise ConflictError(
                f"The destination {row.name} was changed by someone else since you opened it. "
                "Nothing was saved: reload it and make your change again."
            )
        _check_name_free(s, data.name, exclude_id=row.id)
        _apply(row, data)
        s.flush()
        _audit(s, actor, "update", row, _describe(data))
        return _record(row)


def set_destination_active(
    actor: Actor, destination_id: int, expected_version: int, active: bool
) -> DestinationRecord:
    """An inactive destination gets no new messages, and its queue is not delivered."""
    actor.require(Permission.OUTBOX_MANAGE)
    with actor.write() as s:
        row = _load(s, destination_id)
        if row.version != expected_version:
            raise ConflictError("The destination was changed by someone else: reload it.")
        row.active = active
        s.flush()
        _audit(s, actor, "update", row, f"{row.name}: {'active' if active else 'inactive'}")
        return _record(row)


def _load(s: Session, destination_id: int) -> Destination:
    row = s.get(Destination, destination_id)
    if row is None:
        raise NotFound(f"There is no destination with id {destination_id}.")
    return row


def _counts(s: Session) -> dict[tuple[int, str], int]:
    rows = s.execute(
        select(OutboxMessage.destination_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(("pending", "failed")))
        .group_by(OutboxMessage.destination_id, OutboxMessage.status)
    )
    return {(d, status): n for d, status, n in rows}


def list_destinations(actor: Actor, *, include_inactive: bool = True) -> list[DestinationRecord]:
    """Every destination with its pending and failed message counts, by name."""
    actor.require(Permission.OUTBOX_MANAGE)
    with actor.read() as s:
        query = select(Destination).order_by(func.lower(Destination.name))
        if not include_inactive:
            query = query.where(Destination.active.is_(True))
        counts = _counts(s)
        return [
            _record(d, counts.get((d.id, "pending"), 0), counts.get((d.id, "failed"), 0))
            for d in s.scalars(query)
        ]


def get_destination(actor: Actor, destination_id: int) -> DestinationRecord:
    actor.require(Permission.OUTBOX_MANAGE)
    with actor.read() as s:
        return _record(_load(s, destination_id))


def find_destination(actor: Actor, name: str) -> DestinationRecord:
    """A destination by its name (any case)."""
    actor.require(Permission.OUTBOX_MANAGE)
    with actor.read() as s:
        row = s.scalar(select(Destination).where(func.lower(Destination.name) == name.lower()))
        if row is None:
            names = ", ".join(s.scalars(select(Destination.name).order_by(Destination.name)))
            raise NotFound(
                f"There is no destination named {name!r}"
                + (f" (there are: {names})." if names else " (none is set up yet).")
            )
        return _record(row)
