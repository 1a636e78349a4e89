"""Status texts: what a camera is (file, lossless or live), its state in one word, and the pipeline numbers.

The words are what a person watching a wall of cameras needs: `live` (frames from a camera or
stream), `file` (a recording playing), `reconnecting in 3s`, `no camera` (the device would not
open), `ended`. Texts are joined with single spaces and ` | `, never padded.
"""

from __future__ import annotations

from yolotrack.pipeline.stats import PipelineStats, SourceKind, SourceState, SourceStatus

KIND_NAMES = {SourceKind.WEBCAM: "camera", SourceKind.STREAM: "stream", SourceKind.FILE: "file",
              SourceKind.IMAGES: "images", SourceKind.SYNTHETIC: "synthetic"}


def kind_text(kind: SourceKind, live: bool) -> str:
    """`file, lossless`, `camera, live`, `file, live` (a file paced like a camera)..."""
    return f"{KIND_NAMES.get(kind, kind)}, {'live' if live else 'lossless'}"


def camera_state(kind: SourceKind, status: SourceStatus | None, failed: str | None = None,
                 waiting: bool = False) -> str:
    """One word or two for a tile's header and the camera list."""
    if failed is not None:
        return "no camera" if kind is SourceKind.WEBCAM else "error"
    if status is None:
        return "waiting for the model" if waiting else "connecting"
    state = status.state
    if state is SourceState.RECONNECTING:
        return f"reconnecting in {status.retry_in:.0f}s" if status.retry_in is not None else "reconnecting"
    if state is SourceState.LIVE:
        return "file" if kind is SourceKind.FILE else "images" if kind is SourceKind.IMAGES else "live"
    return state.value  # connecting, ended, error, stopped


def stats_text(s: PipelineStats, cameras: int = 1) -> str:
    """The status bar's numbers: output fps, detector time per batch (one frame per camera), tracks, drops."""
    per = f" per batch of {cameras}" if cameras > 1 else ""
    parts = [f"{s.fps:.1f} fps", f"inference {s.inference_ms:.1f} ms{per}", f"tracks {s.track_count}",
             f"dropped {s.dropped}"]
    if s.paused:
        parts.append("paused")
    return " | ".join(parts)
