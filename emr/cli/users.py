"""`emr-admin user …`: accounts, managed by an administrator acting as themself."""

from __future__ import annotations

import argparse
import os

from emr.cli.common import acting_user, open_db, print_json, print_table, read_secret

ROLES = ["admin", "physician", "nurse", "front_desk"]


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="user accounts (acting user must be an admin)")
    usub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    add = usub.add_parser(
        "add",
        help="create a user; the new password comes from $EMR_NEW_PASSWORD, "
        "--password-stdin, or the terminal",
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--full-name", required=True)
    add.add_argument("--npi")
    add.add_argument("--dea")
    add.add_argument("--licence", help="state licence number")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_add)

    lst = usub.add_parser("list", help="list users")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)

    dis = usub.add_parser("disable", help="disable a user (kept for the audit trail)")
    dis.add_argument("username")
    dis.set_defaults(func=cmd_disable)

    reset = usub.add_parser(
        "reset-password",
        help="set a new password (from $EMR_NEW_PASSWORD, --password-stdin or the terminal) "
        "and lift a lock",
    )
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    reset.set_defaults(func=cmd_reset)


def new_password(args: argparse.Namespace, whose: str) -> str:
    """A new account's password: never EMR_PASSWORD, which is the acting user's."""
    if not args.password_stdin and os.environ.get("EMR_NEW_PASSWORD"):
        return os.environ["EMR_NEW_PASSWORD"]
    first = read_secret(f"New password for {whose}: ", env_var=None, stdin=args.password_stdin)
    if not args.password_stdin:
        again = read_secret("Once more: ", env_var=None)
        if again != first:
            from emr.errors import ValidationError

            raise ValidationError("The two passwords differ; nothing was changed.")
    return first


def cmd_add(args: argparse.Namespace) -> None:
    from emr.services.users import create_user

    db = open_db()
    actor = acting_user(args, db)
    record = create_user(
        actor,
        username=args.username,
        full_name=args.full_name,
        role=args.role,
        password=new_password(args, args.username),
        npi=args.npi,
        dea_number=args.dea,
        state_licence=args.licence,
    )
    print(f"Created {record.username} ({record.role}).")


def cmd_list(args: argparse.Namespace) -> None:
    from emr.services.users import list_users

    db = open_db()
    rows = [
        {
            "username": u.username,
            "full_name": u.full_name,
            "role": u.role,
            "active": u.active,
            "npi": u.npi or "",
            "dea": u.dea_number or "",
            "locked_until": u.locked_until.isoformat() if u.locked_until else "",
        }
        for u in list_users(acting_user(args, db))
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["username", "full_name", "role", "active", "npi", "locked_until"])


def cmd_disable(args: argparse.Namespace) -> None:
    from emr.services.users import disable_user

    db = open_db()
    disable_user(acting_user(args, db), args.username)
    print(f"Disabled {args.username}.")


def cmd_reset(args: argparse.Namespace) -> None:
    from emr.services.users import reset_password

    db = open_db()
    actor = acting_user(args, db)
    reset_password(actor, args.username, new_password(args, args.username))
    print(f"New password set for {args.username}; they must change it at the next login.")
