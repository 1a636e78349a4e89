"""A tiny RTSP test server (H.264 over RTSP, TCP or UDP) for the reconnect tests.

Runs under Debian's /usr/bin/python3 with python3-gi and gir1.2-gst-rtsp-server-1.0 (not the venv:
gi is not pip-installable here). Prints READY once it listens; SIGTERM or SIGINT stop it cleanly.

    /usr/bin/python3 tests/rtsp_server.py --port 8554 --mount /test --size 160x120 --fps 15
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def pipeline_description(width: int, height: int, fps: int, gop: int, pattern: str) -> str:
    return (f"( videotestsrc is-live=true pattern={pattern} ! video/x-raw,width={width},height={height},"
            f"framerate={fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} "
            f"bitrate=300 ! rtph264pay name=pay0 pt=96 config-interval=1 )")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--mount", default="/test")
    ap.add_argument("--size", default="160x120")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--gop", type=int, default=0, help="frames between key frames (default: fps, one per second)")
    ap.add_argument("--pattern", default="ball")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline_description(width, height, args.fps, args.gop or args.fps, args.pattern))
    factory.set_shared(True)
    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://{args.host}:{args.port}{args.mount}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
