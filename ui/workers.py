"""Running slow service calls off the UI thread, so that the window never freezes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the UI thread, which shows or logs it
            log.exception("background task failed")
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


_running: set[_Task] = set()


def run_in_background(
    fn: Callable[[], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> None:
    """Call `fn` on a worker thread; the callbacks run on the UI thread afterwards."""
    task = _Task(fn)
    task.setAutoDelete(False)
    _running.add(task)

    def done(result: Any) -> None:
        _running.discard(task)
        if on_done:
            on_done(result)

    def failed(exc: Exception) -> None:
        _running.discard(task)
        if on_error:
            on_error(exc)

    task.signals.finished.connect(done)
    task.signals.failed.connect(failed)
    QThreadPool.globalInstance().start(task)
