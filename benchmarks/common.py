"""Pieces the benchmark scripts share: the config they run with and the synthetic-scene clips."""

from __future__ import annotations

from pathlib import Path

from yolotrack.core.config import Config, apply_override, set_values


def bench_config(weights: str, imgsz: int, overrides: list[str]) -> Config:
    """Defaults plus weights/imgsz, files read losslessly, no periodic stats; then KEY=VALUE overrides."""
    cfg = set_values(Config(), {"model.weights": weights, "model.imgsz": imgsz, "source.policy": "lossless",
                                "pipeline.stats_interval": 0.0})
    for item in overrides:
        cfg = apply_override(cfg, item)
    return cfg


def make_scenes(root: Path, n: int, seed: int, w: int, h: int, frames: int) -> list[tuple[Path, Path]]:
    """(video, gt.txt) of `n` synthetic scenes (moving, occluding objects; exact ground truth). The demo
    model never saw seeds >= 1000, so they give it real, held-out detections."""
    from yolotrack.train.synth_export import SynthPlan, run_plan, scene_config

    plan = SynthPlan(out=root, sequences=n, seed=seed, dataset=False, crf=23,
                     scene=scene_config(width=w, height=h, frames=frames))
    run_plan(plan)
    return scene_paths(root, n, seed)


def scene_paths(root: Path, n: int, seed: int) -> list[tuple[Path, Path]]:
    """(video, gt.txt) where `make_scenes` puts scene `seed + i`."""
    names = [f"seq{seed + i:04d}" for i in range(n)]
    return [(root / "videos" / f"{s}.mp4", root / "mot" / s / "gt" / "gt.txt") for s in names]


def scenes_once(root: Path, n: int, seed: int, w: int, h: int, frames: int) -> list[tuple[Path, Path]]:
    """`make_scenes`, kept in `root` for the next run: made again only when one of them is missing, so the
    replay scripts share one set of scenes and the detections cached beside them."""
    paths = scene_paths(root, n, seed)
    if all(v.is_file() and g.is_file() for v, g in paths):
        return paths
    return make_scenes(root, n, seed, w, h, frames)
