"""A long run as an operator has it: does anything grow, and does every camera come back?

`yolotrack run --cameras` with 4 cameras: two RTSP servers (gst-rtsp-server, killed and started
again every `--rtsp-period` seconds, down `--rtsp-down` seconds each time, the two out of step)
and two looping files paced like cameras; MQTT (a real mosquitto, with a subscriber) and a webhook
(a real HTTP server here) on; `/metrics` on. Every `--interval` seconds one CSV row: the run's
RSS, open file descriptors, threads, CPU, every stage's queue depth, fps per camera, output backlog.
At the end: soak.csv, soak.png (the same, plotted) and summary.json in `--out`:

- RSS growth: the median of the last 2 minutes against the sample at 5 minutes (goal: < 5 %);
- fds and threads: their range after 5 minutes (goal: flat);
- reconnects: for each RTSP restart, seconds from the server listening again to the camera live,
  against the back-off's longest wait (`source.reconnect.max_delay`) plus the read timeout.

    nice -n 5 .venv/bin/python benchmarks/soak.py --minutes 30 --out runs/soak
    .venv/bin/python benchmarks/soak.py --minutes 3 --rtsp-period 60     # a quick look
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))

RTSP = ("cam-rtsp-a", "cam-rtsp-b")
FILES = ("cam-file-a", "cam-file-b")
WARMUP_S = 300.0  # growth is measured after the first 5 minutes (caches, model, buffers fill up first)


# ---------------------------------------------------------------------------------------------- parts

class Webhook:
    """A real HTTP receiver on 127.0.0.1 that acknowledges every POST (2xx) and counts them."""

    def __init__(self) -> None:
        self.posts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.posts += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class RtspServer:
    """tests/rtsp_server.py under the system Python (gst-rtsp-server), on a fixed port so it can come back."""

    def __init__(self, port: int, size: str, fps: int) -> None:
        from pipeline_media import SERVER_SCRIPT, SYSTEM_PYTHON

        self.cmd = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(port), "--mount", "/cam", "--size", size,
                    "--fps", str(fps)]
        self.url = f"rtsp://127.0.0.1:{port}/cam"
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"the RTSP server did not start: {line!r}")
        return time.monotonic()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


def make_clip(path: Path, seconds: float, fps: int) -> Path:
    """The bundled demo clip (people-like shapes the demo model knows), re-encoded at `fps`."""
    import av

    from yolotrack.core.assets import DEMO_VIDEO

    n = int(seconds * fps)
    with av.open(str(DEMO_VIDEO)) as src, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 384, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i, f in enumerate(src.decode(video=0)):
            if i == n:
                break
            for p in stream.encode(av.VideoFrame.from_ndarray(f.to_ndarray(format="bgr24"), format="bgr24")):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    return path


def _allow_core() -> None:
    """A crash of the run leaves `core` in `--out`, for `gdb python core`."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


# ---------------------------------------------------------------------------------------------- sampling

def proc_sample(pid: int) -> dict[str, float]:
    """RSS (MB), open fds, threads and CPU seconds of the run's process, from /proc."""
    base = Path(f"/proc/{pid}")
    status = dict(line.split(":", 1) for line in (base / "status").read_text().splitlines() if ":" in line)
    stat = (base / "stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return {"rss_mb": int(status["VmRSS"].split()[0]) / 1024, "fds": len(os.listdir(base / "fd")),
            "threads": int(status["Threads"]), "cpu_s": (int(stat[11]) + int(stat[12])) / tick}


def scrape(url: str) -> dict[str, float]:
    """`/metrics` as {name{labels}: value} (the Prometheus text format, one sample a line)."""
    out = {}
    with urllib.request.urlopen(url, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                try:
                    out[key] = float(value)
                except ValueError:
                    continue
    return out


def pick(metrics: dict[str, float], name: str, **labels: str) -> float:
    want = [f'{k}="{v}"' for k, v in labels.items()]
    for key, value in metrics.items():
        if key.split("{")[0] == name and all(w in key for w in want):
            return value
    return float("nan")


def stages(metrics: dict[str, float]) -> list[str]:
    return sorted({k.split('stage="')[1].split('"')[0] for k in metrics if k.startswith("yolotrack_queue_depth{")})


# ---------------------------------------------------------------------------------------------- the soak

def soak(a: argparse.Namespace) -> dict:
    from mosquitto import Broker, Subscriber, broker_folder, free_port

    from yolotrack.core.cameras import Camera, save_cameras

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    clips = [make_clip(out / f"{name}.mp4", 20, a.fps) for name in FILES]
    servers = {name: RtspServer(free_port(), "320x240", a.fps) for name in RTSP}
    file_cam = {"source.loop": True, "source.realtime": True}
    save_cameras(out / "cams.yaml", [Camera(n, s.url) for n, s in servers.items()]
                 + [Camera(n, str(c), file_cam) for n, c in zip(FILES, clips, strict=True)])
    broker = Broker(broker_folder(out)).start()
    sub = Subscriber(broker.port, ["yolotrack/#"]).start()
    hook = Webhook()
    metrics_port = free_port()
    up_at = {name: s.start() for name, s in servers.items()}
    cmd = [sys.executable, "-m", "yolotrack", "run", "--cameras", str(out / "cams.yaml"), "--out", str(out / "run"),
           "--metrics", f"127.0.0.1:{metrics_port}", f"model.weights={a.weights}",
           f"model.imgsz={a.imgsz}", f"output.mqtt.url={broker.url}", f"output.webhook.url={hook.url}",
           f"pipeline.detect_every={a.detect_every}", "pipeline.stats_interval=10", *a.overrides]
    log = open(out / "run.log", "w")  # noqa: SIM115 - closed below
    env = dict(os.environ, OPENCV_LOG_LEVEL="ERROR", PYTHONFAULTHANDLER="1")
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=out,
                           preexec_fn=_allow_core if a.core else None)
    murl = f"http://127.0.0.1:{metrics_port}/metrics"
    t0 = time.monotonic()
    rows: list[dict] = []
    restarts: list[dict] = []  # one per RTSP server start after a kill
    offset = {name: i * a.rtsp_period / 2 for i, name in enumerate(RTSP)}  # the two servers out of step
    down_since: dict[str, float] = {}
    waiting_live: dict[str, dict] = {}
    next_row = t0 + a.interval
    try:
        while time.monotonic() - t0 < a.minutes * 60 and run.poll() is None:
            now = time.monotonic()
            for name, s in servers.items():  # kill / bring back on schedule
                phase = (now - t0 - offset[name]) % a.rtsp_period
                should_run = not (now - t0 > offset[name] + 30 and a.rtsp_period - a.rtsp_down <= phase)
                if s.proc is not None and not should_run:
                    s.kill()
                    down_since[name] = now
                elif s.proc is None and should_run:
                    up_at[name] = s.start()
                    rec = {"camera": name, "down_s": round(up_at[name] - down_since.pop(name, up_at[name]), 1),
                           "at_s": round(up_at[name] - t0, 1), "live_after_s": None}
                    restarts.append(rec)
                    waiting_live[name] = rec
            try:
                m = scrape(murl)
            except OSError:
                m = {}
            for name, rec in list(waiting_live.items()):  # the camera live again after its server came back
                if pick(m, "yolotrack_source_up", source=name) == 1.0:
                    rec["live_after_s"] = round(time.monotonic() - up_at[name], 1)
                    del waiting_live[name]
            if now >= next_row and m:
                p = proc_sample(run.pid)
                row = {"t_s": round(now - t0, 1), **{k: round(v, 2) for k, v in p.items()},
                       "fps": pick(m, "yolotrack_fps"), "mqtt_received": len(sub.messages),
                       "webhook_posts": hook.posts}
                for name in (*RTSP, *FILES):
                    row[f"fps_{name}"] = round(pick(m, "yolotrack_source_fps", source=name), 2)
                for st in stages(m):
                    row[f"queue_{st}"] = pick(m, "yolotrack_queue_depth", stage=st)
                for output in ("mqtt", "webhook"):
                    row[f"backlog_{output}"] = sum(v for k, v in m.items() if k.startswith("yolotrack_output_backlog{")
                                                   and f'output="{output}"' in k)
                rows.append(row)
                print(json.dumps(row), flush=True)
                while next_row <= now:
                    next_row += a.interval
            time.sleep(1.0)
    finally:
        alive = run.poll() is None
        if alive:
            run.terminate()
        try:
            rc = run.wait(60)
        except subprocess.TimeoutExpired:
            run.kill()
            rc = "killed"
        log.close()
        for s in servers.values():
            s.kill()
        sub.stop()
        broker.stop()
        hook.close()
    summary = summarize(a, rows, restarts, alive, rc, (out / "run.log").read_text()[-2000:])
    write_csv(out / "soak.csv", rows)
    plot(out / "soak.png", rows, restarts)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def summarize(a: argparse.Namespace, rows: list[dict], restarts: list[dict], alive: bool, rc: object,
              log_tail: str) -> dict:
    import av

    from yolotrack.core.config import Config

    cfg = Config()
    bound = cfg.source.reconnect.max_delay + cfg.source.timeout
    after = [r for r in rows if r["t_s"] >= min(WARMUP_S, a.minutes * 60 / 3)]
    last = [r for r in after if r["t_s"] >= rows[-1]["t_s"] - 120] if rows else []
    base = after[0]["rss_mb"] if after else float("nan")
    end = statistics.median(r["rss_mb"] for r in last) if last else float("nan")
    live = [r["live_after_s"] for r in restarts if r["live_after_s"] is not None]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "minutes": a.minutes,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(), "pyav": av.__version__, "run_alive_at_end": alive, "run_rc": rc,
        "rss_mb_at_5min": base, "rss_mb_end_median": end, "rss_growth_pct": round(100 * (end - base) / base, 2)
        if after else None,
        "fds_range_after_5min": [min(r["fds"] for r in after), max(r["fds"] for r in after)] if after else None,
        "threads_range_after_5min": [min(r["threads"] for r in after), max(r["threads"] for r in after)]
        if after else None,
        "cpu_s_per_s": round((rows[-1]["cpu_s"] - rows[0]["cpu_s"]) / (rows[-1]["t_s"] - rows[0]["t_s"]), 3)
        if len(rows) > 1 else None,
        "fps_median": {k: statistics.median(r[k] for r in after) for k in (after[0] if after else {})
                       if k.startswith("fps")},
        "rtsp_restarts": len(restarts), "reconnected": len(live), "reconnect_s_max": max(live) if live else None,
        "reconnect_bound_s": bound, "reconnects_within_bound": all(x <= bound for x in live) and len(live) == len(
            restarts),
        "mqtt_received": rows[-1]["mqtt_received"] if rows else 0, "webhook_posts": rows[-1]["webhook_posts"]
        if rows else 0,
        "restarts": restarts, "log_tail": log_tail,
    }


def write_csv(path: Path, rows: list[dict]) -> None:
    keys = sorted({k for r in rows for k in r}, key=lambda k: (k != "t_s", k))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)


def plot(path: Path, rows: list[dict], restarts: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        return
    t = [r["t_s"] / 60 for r in rows]
    fig, axes = plt.subplots(4, 1, figsize=(10, 11), sharex=True)
    axes[0].plot(t, [r["rss_mb"] for r in rows])
    axes[0].set_ylabel("RSS (MB)")
    axes[1].plot(t, [r["fds"] for r in rows], label="open fds")
    axes[1].plot(t, [r["threads"] for r in rows], label="threads")
    axes[1].legend(loc="upper left")
    for k in sorted(k for k in rows[0] if k.startswith(("queue_", "backlog_"))):
        axes[2].plot(t, [r.get(k, float("nan")) for r in rows], label=k)
    axes[2].set_ylabel("queue depth")
    axes[2].legend(loc="upper left", fontsize=7)
    for k in sorted(k for k in rows[0] if k.startswith("fps_")):
        axes[3].plot(t, [r[k] for r in rows], label=k[4:])
    axes[3].set_ylabel("frames/s read")
    axes[3].legend(loc="upper left", fontsize=7)
    for r in restarts:
        for ax in axes:
            ax.axvline(r["at_s"] / 60, color="grey", lw=0.5, ls=":")
    axes[3].set_xlabel("minutes (dotted: an RTSP server came back)")
    fig.suptitle("yolotrack soak: 2 RTSP cameras killed and restarted, 2 looping files, MQTT + webhook")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--out", default="runs/soak")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between CSV rows")
    ap.add_argument("--rtsp-period", type=float, default=240.0, help="seconds between kills of one RTSP server")
    ap.add_argument("--rtsp-down", type=float, default=20.0, help="seconds a killed server stays down")
    ap.add_argument("--fps", type=int, default=10, help="frame rate of every camera")
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--detect-every", type=int, default=2)
    ap.add_argument("--core", action="store_true", help="let a crash of the run write a core file into --out")
    ap.add_argument("overrides", nargs="*", help="KEY=VALUE config overrides for the run")
    a = ap.parse_args()
    s = soak(a)
    print(json.dumps({k: v for k, v in s.items() if k != "log_tail"}, indent=1))
    ok = (s["run_alive_at_end"] and s["rss_growth_pct"] is not None and s["rss_growth_pct"] < 5
          and s["reconnects_within_bound"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
