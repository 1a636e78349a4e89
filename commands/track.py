"""`yolotrack track DETS --out TRACKS`: tracking from a detection file (MOTChallenge public detections).

DETS is a `det.txt` (rows `frame,-1,left,top,width,height,score[,...]`, frames 1-based) or a
MOTChallenge sequence folder (`seqinfo.ini`, `det/det.txt`, `img1/`). From a folder the frame
rate, length and image size come from `seqinfo.ini`, and the images feed the tracker's
camera-motion compensation when it has one; from a bare file there are no images, so none.
Every frame from 1 to the last (or `seqLength`) is tracked, with or without detections. TRACKS
gets MOT rows `frame,id,left,top,width,height,score,-1,-1,-1`, written atomically.

Bad input stops with one line naming the file and line: a value that is not a number, NaN,
an empty or inverted box (width or height <= 0), frames out of order, an empty file, a frame
rate of 0, a missing or mis-sized image.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from yolotrack.core.errors import UsageError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("dets", metavar="DETS", help="det.txt, or a MOTChallenge sequence folder (seqinfo.ini, det/, img1/)")
    p.add_argument("--out", required=True, metavar="TRACKS", help="MOT tracks file to write")
    p.add_argument("--frame-rate", type=float, default=None,
                   help="frames per second (default: seqinfo.ini's frameRate, else 30)")
    p.add_argument("--tracker", default=None, help="tracker type: bytetrack, botsort or ocsort (default: config)")
    p.add_argument("-c", "--config", help="YAML config file or preset name; its tracker section is used")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides such as tracker.track_buffer=60")


def _inputs(dets: Path) -> tuple[Path, Path | None]:
    """(det.txt, sequence folder or None)."""
    if dets.is_dir():
        det = dets / "det" / "det.txt"
        if not det.is_file():
            raise UsageError(f"{dets} is a folder without det/det.txt (expected a MOTChallenge sequence: "
                             "seqinfo.ini, det/det.txt, img1/)")
        return det, dets
    if not dets.is_file():
        raise UsageError(f"detections {dets} do not exist")
    return dets, None


def run(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from yolotrack.commands.common import config_from_args
    from yolotrack.core.config import set_value
    from yolotrack.core.detections import Detections
    from yolotrack.core.files import atomic_write
    from yolotrack.sinks.mot import mot_lines
    from yolotrack.tracker import build_tracker, wants_images
    from yolotrack.tracker.mot_io import read_detections, read_seqinfo

    cfg, _ = config_from_args(args)
    if args.tracker is not None:
        cfg = set_value(cfg, ["tracker", "type"], args.tracker)
    cfg = set_value(cfg, ["tracker", "enabled"], True)
    det_path, seq = _inputs(Path(args.dets))
    info = read_seqinfo(seq / "seqinfo.ini") if seq is not None and (seq / "seqinfo.ini").is_file() else None
    fps = args.frame_rate if args.frame_rate is not None else (info.frame_rate if info and info.frame_rate else 30.0)
    if not np.isfinite(fps) or fps <= 0:
        raise UsageError(f"--frame-rate must be a positive number of frames per second, got {fps:g}")
    detections = read_detections(det_path)
    last = int(detections.frames[-1])
    n_frames = max(last, info.length or 0) if info else last
    images = seq is not None and info is not None and (seq / info.image_dir).is_dir() and wants_images(cfg.tracker)
    tracker = build_tracker(cfg.tracker, fps)

    lines: list[str] = []
    ids: set[int] = set()
    t0 = time.perf_counter()
    for f in range(1, n_frames + 1):
        image = None
        if images:
            assert seq is not None and info is not None
            path = info.image_path(seq, f)
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise UsageError(f"image {path} is missing or unreadable (frame {f} of {n_frames})")
            if info.width and info.height and image.shape[:2] != (info.height, info.width):
                raise UsageError(f"image {path} is {image.shape[1]}x{image.shape[0]}, seqinfo.ini says "
                                 f"{info.width}x{info.height}")
        xyxy, scores = detections.frame(f)
        tracked = tracker.update_detections(Detections(xyxy, scores, np.zeros(len(scores), np.int64)), f - 1,
                                            image=image)
        lines.extend(mot_lines(f - 1, tracked))
        ids.update([] if tracked.track_ids is None else tracked.track_ids.tolist())
    seconds = time.perf_counter() - t0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda tmp: tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8"))
    how = f"{cfg.tracker.type} at {fps:g} fps" + (", camera motion from the images" if images else "")
    print(f"{n_frames} frames, {len(detections.frames)} detections -> {len(ids)} tracks, {len(lines)} rows "
          f"({how}; {n_frames / max(seconds, 1e-9):.0f} frames/s): {out}")
    return 0
