"""A real local `http.server` standing in for the release server: it serves a fixture checkpoint
under every release name, and can cut a download short. `YOLOTRACK_RELEASE_URL` points the hub at it."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(SimpleHTTPRequestHandler):
    """Files from the served folder; `/short/NAME` sends half of NAME and hangs up early, with
    (`/short/`) or without (`/short-nolength/`) a Content-Length that promises all of it;
    `/slow/NAME` sends NAME in 64 KB pieces 0.1 s apart (time to press Cancel)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/slow/"):
            data = (Path(self.directory) / self.path[len("/slow/"):]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for i in range(0, len(data), 1 << 16):  # a client that cancels ends this (`_Server.handle_error`)
                self.wfile.write(data[i: i + (1 << 16)])
                self.wfile.flush()
                time.sleep(0.1)
            return
        for prefix, promise in (("/short/", True), ("/short-nolength/", False)):
            if self.path.startswith(prefix):
                data = (Path(self.directory) / self.path[len(prefix):]).read_bytes()
                self.send_response(200)
                if promise:
                    self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.close_connection = True
                return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    """Clients hang up mid-download on purpose here (a cancelled or refused download): that is not an error
    to print. Anything else still goes to `handle_error`'s traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class WeightsServer:
    """`with WeightsServer(folder, {"yolov12n.pt": fixture}) as srv:` ... `srv.url` is the base URL."""

    def __init__(self, folder: Path, files: dict[str, Path]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, src in files.items():
            shutil.copyfile(src, folder / name)
        self.httpd = _Server(("127.0.0.1", 0), partial(_Handler, directory=str(folder)))
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests  # type: ignore[attr-defined]

    def __enter__(self) -> WeightsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def files_in(folder: Path) -> list[str]:
    """Every file, hidden temp files included."""
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
