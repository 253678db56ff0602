"""Starting the app: database, login, main window; and the smoke run for support and packaging."""

from __future__ import annotations

import logging
import os
import sys
import traceback

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QMessageBox

from emr.config import load_settings
from emr.db import Database, open_database
from emr.errors import UserError
from emr.logs import configure_logging
from emr.services.context import Actor

log = logging.getLogger(__name__)


def _install_excepthook() -> None:
    def hook(kind, value, tb) -> None:
        log.error("Unhandled error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        if isinstance(value, UserError):
            QMessageBox.warning(QApplication.activeWindow(), "EMR", str(value))
            return
        QMessageBox.critical(
            QApplication.activeWindow(),
            "EMR",
            "Something went wrong and was written to the log file. Your saved work is safe.",
        )

    sys.excepthook = hook


def run(*, smoke: bool = False) -> int:
    settings = load_settings()
    configure_logging(settings.log_dir)
    if smoke and not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Small-practice EMR")
    try:
        db = open_database(settings)
    except UserError as exc:
        if smoke:
            print(f"emr --smoke: {exc}", file=sys.stderr)
        else:
            QMessageBox.critical(None, "EMR", str(exc))
        return 2
    try:
        if smoke:
            return smoke_run(db)
        _install_excepthook()
        from emr.interop.sender import BackgroundSender

        # Delivers the outbox (HL7 to folders and MLLP peers) while the app runs; several
        # workstations may run one each (messages are leased before sending).
        sender = BackgroundSender(db)
        sender.start()
        try:
            return _interactive(app, db)
        finally:
            sender.stop(timeout=2)
    finally:
        QThreadPool.globalInstance().waitForDone()
        db.dispose()


def _interactive(app: QApplication, db: Database) -> int:
    from ui.login import LoginDialog
    from ui.main_window import MainWindow
    from ui.workers import run_in_background

    def automatic_backup() -> None:
        from emr.services.backups import run_automatic_backup
        from emr.services.context import Actor
        from emr.services.practice import backup_dir

        settings = db.settings
        run_automatic_backup(
            db,
            backup_dir(Actor.operator(db, "automatic backup")),  # the practice's, else this PC's
            keep_daily=settings.backups_keep_daily,
            keep_monthly=settings.backups_keep_monthly,
        )

    if db.is_sqlite:
        run_in_background(automatic_backup, on_error=lambda exc: log.warning("backup: %s", exc))
    dialog = LoginDialog(db)
    if not dialog.exec() or dialog.actor is None:
        return 0
    holder: dict[str, MainWindow] = {}

    def show_for(actor: Actor) -> None:
        old = holder.get("window")
        window = MainWindow(actor)
        window.user_switched.connect(show_for)
        holder["window"] = window
        window.show()
        if old is not None:
            old.close_without_asking()

    show_for(dialog.actor)
    return app.exec()


def smoke_run(db: Database) -> int:
    """Log in from the environment and open every workspace the role allows, with data."""
    from emr.services.auth import login, logout
    from ui.main_window import MainWindow

    username, password = os.environ.get("EMR_USER"), os.environ.get("EMR_PASSWORD")
    if not username or not password:
        print("emr --smoke: set EMR_USER and EMR_PASSWORD", file=sys.stderr)
        return 2
    try:
        actor = login(db, username, password, workstation="emr --smoke")
        window = MainWindow(actor)
        window.show()
        opened = window.smoke_test()
        window.close_without_asking()
        logout(actor)
    except UserError as exc:
        print(f"emr --smoke: {exc}", file=sys.stderr)
        return 1
    print(f"emr --smoke: OK as {actor.username} ({actor.role}); opened: {', '.join(opened)}")
    return 0
