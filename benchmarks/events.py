"""The service outputs under outages: events lost, latency to the broker, fps cost, RSS.

Real parts only: Debian's mosquitto (tests/mosquitto.py: own port, own folder, SIGTERM), a
persistent-session subscriber, a local HTTP webhook receiver, the real pipeline with the demo model.

    .venv/bin/python benchmarks/events.py restart            # broker SIGTERM + restart mid-run (3 s)
    .venv/bin/python benchmarks/events.py outage --down 60   # broker away for 60 s mid-run
    .venv/bin/python benchmarks/events.py fps --rounds 4     # pipeline fps with MQTT + webhook vs without
    .venv/bin/python benchmarks/events.py rss --down 600     # RSS through a 10-minute outage, events at --rate/s

`restart`/`outage` print: events in the JSON Lines, received by MQTT and webhook (sets compared),
and the output latency (sink write -> subscriber, p50/p95) and end-to-end latency (capture ->
subscriber). `fps` alternates pairs of rounds without/with outputs on the demo clip (lossless, unpaced;
the order flips every pair; the webhook receiver in its own process, no subscriber) and reports median,
best and per-pair fps ratios, the process's CPU per frame, and the CPU of the sender threads per frame.
`rss` publishes synthetic events through the real sinks while both receivers are away, sampling RSS and
the overflow counters.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from common import bench_config  # noqa: E402
from mosquitto import Broker, Subscriber  # noqa: E402

from yolotrack.core.config import set_values
from yolotrack.core.detections import Detections  # noqa: E402
from yolotrack.core.events import EventKind, TrackEvent  # noqa: E402
from yolotrack.core.frame import Frame  # noqa: E402
from yolotrack.sinks.base import StreamInfo  # noqa: E402
from yolotrack.sinks.jsonl import JsonlSink  # noqa: E402
from yolotrack.sinks.service import ServiceOutputs  # noqa: E402

log = logging.getLogger("bench")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Receiver:
    """A local webhook endpoint: 200 to every POST, keeps the bodies."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                rec.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_port, flush=True)
srv.serve_forever()
"""


class ReceiverProcess:
    """The webhook endpoint in its own process, so its CPU is not counted as the pipeline process's."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}/hook"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Stamp:
    """A sink placed just before the MQTT sink: when each event was handed to the outputs."""

    name = "stamp"

    def __init__(self) -> None:
        self.t: dict[tuple, float] = {}
        self.capture: dict[tuple, float] = {}

    def open(self, info):
        pass

    def write(self, frame, dets, events):
        now = time.monotonic()
        for ev in events:
            self.t[(ev.source_id, ev.frame_index, ev.track_id, ev.kind)] = now

    def close(self):
        return []

    def abort(self):
        pass


def synthetic_feed(service: ServiceOutputs) -> tuple[list, np.ndarray, Detections]:
    """The service's sinks opened for one 640x480 camera, and a frame image and one tracked person
    to write to them (for the runs that measure the outputs rather than the model)."""
    sinks = service.sinks()
    names = {0: "person"}
    for s in sinks:
        s.open(StreamInfo("0", "bench", 640, 480, 30.0, names))
    image = np.zeros((480, 640, 3), np.uint8)
    dets = Detections(np.array([[10, 10, 50, 90]], np.float32), np.array([0.9], np.float32), np.array([0]),
                      names, track_ids=np.array([1]))
    return sinks, image, dets


def thread_cpu(names: tuple[str, ...]) -> float:
    """CPU seconds (user + system) so far of this process's live threads with these names (Linux /proc)."""
    total = 0.0
    for t in threading.enumerate():
        if t.name in names and t.native_id is not None:
            try:
                fields = Path(f"/proc/self/task/{t.native_id}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def outage(args: argparse.Namespace, down: float) -> None:
    from yolotrack.pipeline import Pipeline

    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    broker = Broker(work / "broker").start()
    sub = Subscriber(broker.port, ["yolotrack/#"], client_id="bench-sub").start()
    hook = Receiver()
    cfg = bench_config(args.weights, args.imgsz, ["source.uri=demo", "source.loop=true", "source.policy=live",
                                                  f"output.mqtt.url={broker.url}", f"output.webhook.url={hook.url}",
                                                  "output.mqtt.drain_timeout=30", "output.webhook.drain_timeout=30"])
    service = ServiceOutputs(cfg).start()
    stamp = Stamp()
    jsonl = work / "events.jsonl"
    captured: dict[tuple, float] = {}

    def on_result(r):
        captured[(r.frame.source_id, r.frame.index)] = r.t_capture

    pipe = Pipeline(cfg, sinks=[JsonlSink(jsonl, stats=False), stamp, *service.sinks()], on_result=on_result)
    pipe.start()
    t0 = time.monotonic()
    time.sleep(args.before)
    broker.stop()
    t_down = time.monotonic()
    log.info("broker stopped (SIGTERM) at %.1f s; down for %.0f s", t_down - t0, down)
    peak = 0
    while time.monotonic() - t_down < down:
        time.sleep(0.5)
        peak = max(peak, service.mqtt.stats().pending)
    broker.start()
    log.info("broker back at %.1f s; %d message(s) were queued at the peak", time.monotonic() - t0, peak)
    time.sleep(args.after)
    pipe.stop()
    pipe.wait(60)
    service.close()
    time.sleep(2)
    lines = [s for s in jsonl.read_text().splitlines() if s.startswith('{"type":"event"')]
    got_mqtt = {p.decode() for p in sub.on("yolotrack/0/events")}
    got_hook = {b.decode() for b in hook.bodies}
    lat_out, lat_e2e = [], []
    recv_first: dict[str, float] = {}
    for topic, payload, _r, ts in sub.messages:
        if topic.endswith("/events"):
            recv_first.setdefault(payload.decode(), ts)
    for line, ts in recv_first.items():
        e = json.loads(line)
        key = (e["source"], e["frame"], e["id"], e["event"])
        if key in stamp.t and stamp.t[key] > t_down + down + 5:  # delivered live, not from the outage queue
            lat_out.append((ts - stamp.t[key]) * 1000)
            if (e["source"], e["frame"]) in captured:
                lat_e2e.append((ts - captured[(e["source"], e["frame"])]) * 1000)
    s = service.mqtt.stats()
    print(json.dumps({
        "scenario": f"broker down {down:g} s", "events_jsonl": len(lines), "unique": len(set(lines)),
        "mqtt_received": len(got_mqtt & set(lines)), "mqtt_lost": len(set(lines) - got_mqtt),
        "mqtt_extra": len(got_mqtt - set(lines)), "mqtt_duplicates": sum(1 for t, *_ in sub.messages
                                                                          if t.endswith("/events")) - len(got_mqtt),
        "webhook_lost": len(set(lines) - got_hook), "queued_peak": peak, "dropped": s.dropped,
        "output_latency_ms_p50_p95": [round(pct(lat_out, 50), 1), round(pct(lat_out, 95), 1), len(lat_out)],
        "capture_to_subscriber_ms_p50_p95": [round(pct(lat_e2e, 50), 1), round(pct(lat_e2e, 95), 1)],
        "frames": pipe.stats().frames, "pipeline_fps": round(pipe.stats().frames / max(1e-9, pipe.stats().elapsed), 2),
    }))
    sub.stop()
    broker.stop()
    hook.close()


def fps(args: argparse.Namespace) -> None:
    from yolotrack.pipeline import Pipeline

    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    broker = Broker(work / "broker").start()
    hook = ReceiverProcess()  # no subscriber: QoS 1 is acknowledged by the broker; receivers stay out of this process
    results: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    loads: dict[bool, list[float]] = {False: [], True: []}
    events: dict[bool, int] = {False: 0, True: 0}
    sink_ms: dict[bool, list[float]] = {False: [], True: []}
    sender_ms: list[float] = []  # CPU of the MQTT and webhook sender threads per frame (they exist only when on)
    from yolotrack.detector import Detector

    detector = Detector.from_config(bench_config(args.weights, args.imgsz, []).model)  # one model for all rounds
    for r in range(-2, args.rounds * 2):  # rounds -2, -1 warm up (runtime export, caches) and are not counted
        # alternate in pairs whose order flips (off on, on off, off on, ...), so a load trend falls on both sides
        on = bool(r % 2) != bool((r // 2) % 2) if r >= 0 else bool(r % 2)
        extra = [f"output.mqtt.url={broker.url}", f"output.webhook.url={hook.url}"] if on else []
        cfg = bench_config(args.weights, args.imgsz, ["source.uri=demo", *extra])
        service = ServiceOutputs(cfg).start()
        pipe = Pipeline(cfg, sinks=[JsonlSink(os.devnull, stats=False), *service.sinks()], detector=detector)
        c0 = time.process_time()
        st = pipe.run()
        c1 = time.process_time()
        senders = thread_cpu(("yolotrack-mqtt", "yolotrack-webhook"))  # before close() ends them
        service.close()
        f = st.frames / st.elapsed
        if r < 0:
            log.info("warm-up round, outputs %s: %.2f fps", "on" if on else "off", f)
            continue
        sink_ms[on].append(st.stages["sinks"].p50_ms)
        results[on].append(f)
        cpu[on].append((c1 - c0) / st.frames * 1000)
        loads[on].append(os.getloadavg()[0])
        if on:
            events[on] = service.mqtt.stats().sent
            sender_ms.append(senders / st.frames * 1000)
        log.info("round %d outputs %s: %.2f fps, %.1f ms CPU/frame, load %.1f", r, "on" if on else "off", f,
                 cpu[on][-1], loads[on][-1])
    off, on_ = statistics.median(results[False]), statistics.median(results[True])
    pairs = [b / a for a, b in zip(results[False], results[True], strict=True)]  # on/off within each pair
    print(json.dumps({"scenario": "fps with MQTT + webhook vs without (demo clip, lossless)",
                      "fps_off": [round(x, 2) for x in results[False]], "fps_on": [round(x, 2) for x in results[True]],
                      "median_off_on": [round(off, 2), round(on_, 2)],
                      "best_off_on": [round(max(results[False]), 2), round(max(results[True]), 2)],
                      "median_ratio_on_off": round(on_ / off, 4),
                      "best_ratio_on_off": round(max(results[True]) / max(results[False]), 4),
                      "pair_ratios_on_off": [round(x, 4) for x in pairs],
                      "pair_ratio_median_min_max": [round(statistics.median(pairs), 4), round(min(pairs), 4),
                                                    round(max(pairs), 4)],
                      "load_off_on": [[round(x, 1) for x in loads[False]], [round(x, 1) for x in loads[True]]],
                      "cpu_ms_per_frame_off_on": [round(statistics.median(cpu[False]), 2),
                                                  round(statistics.median(cpu[True]), 2)],
                      "sink_stage_ms_p50_off_on": [round(statistics.median(sink_ms[False]), 3),
                                                   round(statistics.median(sink_ms[True]), 3)],
                      "sender_threads_cpu_ms_per_frame": round(statistics.median(sender_ms), 3),
                      "messages_per_round": events[True]}))
    cpu_pairs = [b - a for a, b in zip(cpu[False], cpu[True], strict=True)]
    print(json.dumps({"scenario": "process CPU per frame, on minus off within each pair (ms)",
                      "pairs": [round(x, 2) for x in cpu_pairs], "median": round(statistics.median(cpu_pairs), 3),
                      "median_pct_of_off": round(100 * statistics.median(cpu_pairs) / statistics.median(cpu[False]),
                                                 2)}))
    # What an event costs the frame path: the MQTT and webhook sinks' write() (serialize + queue),
    # with both receivers up and delivering meanwhile.
    cfg = bench_config(args.weights, args.imgsz, [f"output.mqtt.url={broker.url}", f"output.webhook.url={hook.url}"])
    service = ServiceOutputs(cfg).start()
    sinks, image, dets = synthetic_feed(service)
    per = []
    for i in range(args.events):
        frame = Frame(image, i, i / 30, "0", 30.0)
        ev = TrackEvent(EventKind.NEW, i, i, 0, (10.0, 10.0, 50.0, 90.0), 0.9, "0", i / 30, "person")
        t = time.perf_counter()
        for sk in sinks:
            sk.write(frame, dets, [ev])
        per.append((time.perf_counter() - t) * 1e6)
        if i % 100 == 99:
            time.sleep(0.05)  # let the senders work, as between frames
    service.close()
    print(json.dumps({"scenario": "MQTT + webhook sink write() per event (frame-path cost)",
                      "events": args.events, "us_p50_p95_p99": [round(pct(per, q), 1) for q in (50, 95, 99)],
                      "mqtt_sent": service.mqtt.stats().sent, "webhook_sent": service.webhook.stats().sent}))
    broker.stop()
    hook.close()


def rss(args: argparse.Namespace) -> None:
    """Both receivers away for `--down` s while `--rate` events/s go through the real sinks."""
    from yolotrack.core.config import Config

    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    broker = Broker(work / "broker")  # configured, never started: the broker is away all along
    hook = Receiver()
    dead_hook = hook.url
    hook.close()
    cfg = set_values(Config(), {"output.mqtt.url": broker.url, "output.webhook.url": dead_hook,
                                "output.mqtt.drain_timeout": 0.0, "output.webhook.drain_timeout": 0.0,
                                "output.mqtt.counts_interval": 1.0})
    service = ServiceOutputs(cfg).start()
    sinks, image, dets = synthetic_feed(service)
    samples = []
    t0 = time.monotonic()
    n = 0
    next_sample = t0
    while time.monotonic() - t0 < args.down:
        now = time.monotonic()
        frame = Frame(image, n, now - t0, "0", 30.0)
        ev = TrackEvent(EventKind.NEW, n, n, 0, (10.0, 10.0, 50.0, 90.0), 0.9, "0", now - t0, "person")
        for s in sinks:
            s.write(frame, dets, [ev])
        n += 1
        if now >= next_sample:
            m, w = service.mqtt.stats(), service.webhook.stats()
            samples.append((round(now - t0), round(rss_mb(), 1), m.pending, m.dropped, w.pending, w.dropped))
            log.info("t=%4d s rss %.1f MB mqtt pending %d dropped %d webhook pending %d dropped %d", *samples[-1])
            next_sample += args.sample
        time.sleep(max(0.0, t0 + n / args.rate - time.monotonic()))
    m, w = service.mqtt.stats(), service.webhook.stats()
    service.close(drain=False)
    full = [s for s in samples if s[2] >= cfg.output.mqtt.queue_size]
    print(json.dumps({"scenario": f"receivers away {args.down:g} s, {args.rate:g} events/s",
                      "events": n, "mqtt_pending": m.pending, "mqtt_dropped": m.dropped,
                      "webhook_pending": w.pending, "webhook_dropped": w.dropped,
                      "rss_mb_start_full_peak_end": [samples[0][1], full[0][1] if full else None,
                                                     max(s[1] for s in samples), samples[-1][1]],
                      "samples": samples[:: max(1, len(samples) // 12)]}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("restart", "outage", "fps", "rss"))
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--down", type=float, default=None, help="seconds the broker is away (restart: 3, outage: 60)")
    ap.add_argument("--before", type=float, default=10.0, help="seconds of normal operation before the outage")
    ap.add_argument("--after", type=float, default=20.0, help="seconds after the broker is back")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=float, default=200.0, help="rss: synthetic events per second")
    ap.add_argument("--events", type=int, default=5000, help="fps: events for the per-event write cost")
    ap.add_argument("--sample", type=float, default=10.0, help="rss: seconds between samples")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    from importlib.metadata import version

    import torch

    print(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
                      "cpus": os.cpu_count(), "load": os.getloadavg()[0], "python": platform.python_version(),
                      "torch": torch.__version__, "paho-mqtt": version("paho-mqtt"),
                      "mosquitto": "Debian 2.0.11"}))
    if args.mode == "restart":
        outage(args, args.down if args.down is not None else 3.0)
    elif args.mode == "outage":
        outage(args, args.down if args.down is not None else 60.0)
    elif args.mode == "fps":
        fps(args)
    else:
        args.down = args.down if args.down is not None else 600.0
        rss(args)


if __name__ == "__main__":
    main()
