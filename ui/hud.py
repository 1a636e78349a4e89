"""Status texts for the HUD: pipeline numbers and the source's state in one glance."""

from __future__ import annotations

from yolotrack.pipeline import PipelineStats, SourceState, SourceStatus


def source_text(src: SourceStatus | None) -> str:
    """connecting / live / reconnecting in Ns / ended / error: message."""
    if src is None:
        return "no source"
    state = src.state
    if state is SourceState.RECONNECTING:
        wait = f" in {src.retry_in:.0f}s" if src.retry_in is not None else ""
        return f"reconnecting{wait} (attempt {src.attempts})"
    if state is SourceState.ERROR:
        return f"error: {src.message}" if src.message else "error"
    return state.value


def stats_text(s: PipelineStats) -> str:
    return (f"{s.fps:5.1f} fps | inference {s.inference_ms:5.1f} ms | tracks {s.track_count} | "
            f"dropped {s.dropped}" + (" | paused" if s.paused else ""))


def first_source(s: PipelineStats) -> SourceStatus | None:
    return next(iter(s.sources.values()), None)
