"""Starting the Qt application for `yolotrack gui` (and its unattended screenshot mode)."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from PyQt6.QtCore import QPoint, QSocketNotifier, QTimer
from PyQt6.QtWidgets import QApplication, QWidget

from yolotrack.core.cameras import Camera, Link
from yolotrack.core.config import Config
from yolotrack.core.errors import YolotrackError
from yolotrack.ui.window import MainWindow

log = logging.getLogger(__name__)


def _app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setOrganizationName("yolotrack")
        app.setApplicationName("yolotrack-gui")
    assert isinstance(app, QApplication)
    return app


def run_gui(cfg: Config, explicit: frozenset[str] = frozenset(), screenshot: Path | None = None,
            frames: int = 10, timeout: float = 60.0, cameras: Sequence[Camera] | None = None,
            links: Sequence[Link] | None = None) -> int:
    """Open the window and run the event loop; returns the exit code.

    With `screenshot`, wait until every visible tile has shown `frames` frames, save the whole
    window (what the X server shows) as PNG and quit: used by the Xvfb test and for the README
    picture. `cameras`, `links`: from `--cameras FILE`.
    """
    app = _app()
    win = MainWindow(cfg, explicit=explicit, cameras=cameras, links=links)
    win.show()
    result: dict[str, int] = {"code": 0}
    if screenshot is not None:
        _arm_screenshot(app, win, screenshot, frames, timeout, result)
    with close_on_signals(win):
        app.exec()
    # A detector call in flight can outlast the window's 2 s close budget on a busy CPU; Python must
    # not exit under a running native thread.
    win.controller.shutdown(10.0)
    return result["code"]


@contextmanager
def close_on_signals(win: QWidget, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM close `win` like its close button (pipeline stopped, settings saved).

    While Qt's event loop runs, Python code runs only inside slots. Python's own SIGINT handler would
    raise KeyboardInterrupt in whichever slot runs next, and an exception escaping a slot aborts the
    process; an idle window might not run one at all. So the Python handlers do nothing, and the
    signal number travels through the wakeup fd to a socket notifier, which wakes the event loop and
    closes the window from an ordinary slot. A signal that comes again while closing is ignored; the
    previous handlers are back once the block ends.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read, win)  # pyright: ignore[reportArgumentType]

    def woken() -> None:
        try:
            got = [n for n in rsock.recv(64) if n in signals]
        except BlockingIOError:
            return
        if got:
            log.info("%s: closing the window", signal.Signals(got[0]).name)
            win.close()

    notifier.activated.connect(woken)
    previous_fd = signal.set_wakeup_fd(wsock.fileno(), warn_on_full_buffer=False)
    previous = {s: signal.signal(s, lambda *_: None) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        rsock.close()
        wsock.close()


def _arm_screenshot(app: QApplication, win: MainWindow, path: Path, frames: int, timeout: float,
                    result: dict[str, int]) -> None:
    elapsed = {"ms": 0}
    timer = QTimer(win)
    timer.setInterval(100)

    def check() -> None:
        elapsed["ms"] += 100
        tiles = win.grid.visible()
        if tiles and all(t.frames_shown >= frames for t in tiles):
            timer.stop()
            win.update_hud()
            app.processEvents()
            try:
                save_window(win, path)
                origin = win.geometry().topLeft() - win.frameGeometry().topLeft()
                for t in tiles:  # where each tile is in the picture (the Xvfb test checks each one)
                    p = t.mapTo(win, QPoint(0, 0)) + origin
                    log.info("tile %s at %d,%d size %dx%d", t.name, p.x(), p.y(), t.width(), t.height())
            except YolotrackError as e:
                log.error("%s", e)
                result["code"] = 1
            win.close()
        elif elapsed["ms"] > timeout * 1000:
            timer.stop()
            log.error("no frames shown within %.0f s (%s)", timeout, win.last_error or "no error reported")
            result["code"] = 1
            win.close()

    timer.timeout.connect(check)
    timer.start()


def save_window(win: MainWindow, path: Path) -> None:
    """The screen's pixels under the window when a real display exists, else the widget grab."""
    path.parent.mkdir(parents=True, exist_ok=True)
    screen = win.screen()
    pix = None
    if screen is not None and QApplication.platformName() not in ("offscreen", "minimal"):
        g = win.frameGeometry()
        pix = screen.grabWindow(0, g.x(), g.y(), g.width(), g.height())  # pyright: ignore[reportArgumentType]
    if pix is None or pix.isNull():
        pix = win.grab()
    if not pix.save(str(path), "PNG"):
        raise YolotrackError(f"cannot write screenshot {path}")
    log.info("screenshot saved: %s", path)
