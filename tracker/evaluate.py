"""Tracking metrics on MOT Challenge data: HOTA, CLEAR (MOTA, ID switches) and IDF1 via TrackEval.

We build TrackEval's per-sequence data ourselves (the MOT15 path of its MotChallenge2DBox
loader: ground-truth rows flagged 0 are ignored, class is not used, no distractor
preprocessing) and call its metric classes directly, so no folder layout, seqinfo.ini or
seqmap is needed and results can be computed from in-memory arrays. `trackeval` is imported
lazily: it is installed without its heavy dependencies, which these metric classes never use.

All rates are fractions in [0, 1]; MOTP is TrackEval's (mean IoU of matches, higher is better).
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.errors import InvalidInputError, YolotrackError
from yolotrack.tracker.mot_io import read_mot

log = logging.getLogger(__name__)

COMBINED = "COMBINED"
# Output keys, in the order `yolotrack eval` prints them.
SUMMARY_KEYS = ("HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDP", "IDR", "recall", "precision",
                "IDSW", "FP", "FN", "Frag", "MT", "PT", "ML", "gt_dets", "pred_dets", "gt_ids", "pred_ids",
                "frames")


def _import_trackeval() -> None:
    """Import TrackEval quietly: it prints notes about optional parts to stdout, which is ours."""
    notes = io.StringIO()
    try:
        with contextlib.redirect_stdout(notes):
            import trackeval  # noqa: F401
    except ImportError:
        raise YolotrackError("tracking metrics need TrackEval: pip install --no-deps 'trackeval>=1.3'") from None
    if notes.getvalue().strip():
        log.debug("trackeval: %s", notes.getvalue().strip())


def _iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _import_trackeval()
    from trackeval.datasets._base_dataset import _BaseDataset

    return _BaseDataset._calculate_box_ious(a, b, box_format="xywh")


def _sequence_data(gt: np.ndarray, pred: np.ndarray, name: str) -> dict[str, Any]:
    """TrackEval's preprocessed data dict for one sequence (rows as returned by `read_mot`)."""
    gt = gt[gt[:, 6] != 0]  # flag 0 = ignore (MOT15 'zero_marked')
    frames = int(max(gt[:, 0].max(initial=0), pred[:, 0].max(initial=0)))
    gt_ids_all, gt_lab = np.unique(gt[:, 1].astype(np.int64), return_inverse=True)
    pr_ids_all, pr_lab = np.unique(pred[:, 1].astype(np.int64), return_inverse=True)
    gt_f = gt[:, 0].astype(np.int64)
    pr_f = pred[:, 0].astype(np.int64)
    gt_order = np.argsort(gt_f, kind="stable")
    pr_order = np.argsort(pr_f, kind="stable")
    gt_bounds = np.searchsorted(gt_f[gt_order], np.arange(1, frames + 2))
    pr_bounds = np.searchsorted(pr_f[pr_order], np.arange(1, frames + 2))
    data: dict[str, Any] = {"gt_ids": [], "tracker_ids": [], "gt_dets": [], "tracker_dets": [],
                            "tracker_confidences": [], "similarity_scores": []}
    for t in range(frames):
        gi = gt_order[gt_bounds[t]: gt_bounds[t + 1]]
        pi = pr_order[pr_bounds[t]: pr_bounds[t + 1]]
        for kind, lab, ids_all, idx in (("ground truth", gt_lab, gt_ids_all, gi),
                                        ("prediction", pr_lab, pr_ids_all, pi)):
            if len(np.unique(lab[idx])) != len(idx):
                ids, counts = np.unique(lab[idx], return_counts=True)
                dup = int(ids_all[ids[counts > 1][0]])
                hint = " (untracked detections? MOT results need track ids)" if dup < 0 else ""
                raise InvalidInputError(f"{name}: {kind} id {dup} appears more than once in frame {t + 1}{hint}")
        gd = gt[gi, 2:6]
        pd = pred[pi, 2:6]
        data["gt_ids"].append(gt_lab[gi])
        data["tracker_ids"].append(pr_lab[pi])
        data["gt_dets"].append(gd)
        data["tracker_dets"].append(pd)
        data["tracker_confidences"].append(pred[pi, 6])
        data["similarity_scores"].append(_iou_xywh(gd, pd) if len(gd) and len(pd) else np.zeros((len(gd), len(pd))))
    data.update(num_timesteps=frames, num_gt_ids=len(gt_ids_all), num_tracker_ids=len(pr_ids_all),
                num_gt_dets=len(gt), num_tracker_dets=len(pred), seq=name)
    return data


def _metrics(iou_threshold: float) -> list[Any]:
    _import_trackeval()
    from trackeval.metrics import CLEAR, HOTA, Identity

    cfg = {"THRESHOLD": float(iou_threshold), "PRINT_CONFIG": False}
    return [HOTA(), CLEAR(cfg), Identity(cfg)]


def _summary(res: Mapping[str, Mapping[str, Any]], extra: Mapping[str, int]) -> dict[str, float | int]:
    h, c, i = res["HOTA"], res["CLEAR"], res["Identity"]
    out: dict[str, float | int] = {
        "HOTA": float(np.mean(h["HOTA"])), "DetA": float(np.mean(h["DetA"])),
        "AssA": float(np.mean(h["AssA"])), "LocA": float(np.mean(h["LocA"])),
        "MOTA": float(c["MOTA"]), "MOTP": float(c["MOTP"]),
        "IDF1": float(i["IDF1"]), "IDP": float(i["IDP"]), "IDR": float(i["IDR"]),
        "recall": float(c["CLR_Re"]), "precision": float(c["CLR_Pr"]),
        "IDSW": int(c["IDSW"]), "FP": int(c["CLR_FP"]), "FN": int(c["CLR_FN"]), "Frag": int(c["Frag"]),
        "MT": int(c["MT"]), "PT": int(c["PT"]), "ML": int(c["ML"]),
    }
    out.update(extra)
    return out


def evaluate_sequences(
    sequences: Mapping[str, tuple[np.ndarray, np.ndarray]], iou_threshold: float = 0.5
) -> dict[str, dict[str, float | int]]:
    """Metrics per sequence plus a `COMBINED` entry, from (gt rows, prediction rows) pairs.

    Rows are (K, >=6): frame (1-based), id, left, top, width, height[, conf/flag]; a gt row with
    flag 0 is ignored. Several sequences are combined the TrackEval way (sums of counts,
    HOTA from the combined association scores), not by averaging.
    """
    if not sequences:
        raise InvalidInputError("no sequences to evaluate")
    if not 0.0 < iou_threshold < 1.0:
        raise InvalidInputError(f"IoU threshold must be in (0, 1), got {iou_threshold}")
    metrics = _metrics(iou_threshold)
    per_seq: dict[str, dict[str, Any]] = {}
    out: dict[str, dict[str, float | int]] = {}
    totals = dict.fromkeys(("gt_dets", "pred_dets", "gt_ids", "pred_ids", "frames"), 0)
    for name, (gt, pred) in sequences.items():
        gt, pred = _as_rows(gt, f"{name} ground truth"), _as_rows(pred, f"{name} prediction")
        data = _sequence_data(gt, pred, name)
        per_seq[name] = {m.get_name(): m.eval_sequence(data) for m in metrics}
        extra = {"gt_dets": data["num_gt_dets"], "pred_dets": data["num_tracker_dets"],
                 "gt_ids": data["num_gt_ids"], "pred_ids": data["num_tracker_ids"], "frames": data["num_timesteps"]}
        for k, v in extra.items():
            totals[k] += v
        out[name] = _summary(per_seq[name], extra)
    combined = {m.get_name(): m.combine_sequences({k: v[m.get_name()] for k, v in per_seq.items()})
                for m in metrics}
    out[COMBINED] = _summary(combined, totals)
    return out


def _as_rows(rows: np.ndarray, what: str) -> np.ndarray:
    a = np.asarray(rows, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, 7))
    if a.ndim != 2 or a.shape[1] < 6:
        raise InvalidInputError(f"{what}: expected MOT rows (K, >=6), got shape {a.shape}")
    if a.shape[1] == 6:
        a = np.concatenate([a, np.ones((len(a), 1))], axis=1)
    return a[:, :7]


def evaluate_arrays(gt: np.ndarray, pred: np.ndarray, iou_threshold: float = 0.5,
                    name: str = "seq") -> dict[str, float | int]:
    """Metrics of one in-memory sequence (see `evaluate_sequences` for the row format)."""
    return evaluate_sequences({name: (gt, pred)}, iou_threshold)[name]


def evaluate_mot(gt_path: str | Path, pred_path: str | Path, iou_threshold: float = 0.5) -> dict[str, float | int]:
    """Metrics of one MOT Challenge result file against its ground-truth file.

    Keys: HOTA, DetA, AssA, LocA, MOTA, MOTP, IDF1, IDP, IDR, recall, precision, IDSW, FP, FN,
    Frag, MT, PT, ML, gt_dets, pred_dets, gt_ids, pred_ids, frames.
    """
    return evaluate_arrays(read_mot(gt_path), read_mot(pred_path), iou_threshold, Path(pred_path).stem)


def find_sequences(gt_dir: str | Path, pred_dir: str | Path) -> dict[str, tuple[Path, Path]]:
    """Pair `GT/<seq>/gt/gt.txt` (or `GT/<seq>.txt`) with `PRED/<seq>.txt` (or `PRED/data/<seq>.txt`)."""
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    gts = {p.parent.parent.name: p for p in sorted(gt_dir.glob("*/gt/gt.txt"))}
    if not gts:
        gts = {p.stem: p for p in sorted(gt_dir.glob("*.txt"))}
    if not gts:
        raise InvalidInputError(f"no ground truth in {gt_dir} (expected <seq>/gt/gt.txt or <seq>.txt)")
    pairs: dict[str, tuple[Path, Path]] = {}
    for seq, g in gts.items():
        for cand in (pred_dir / f"{seq}.txt", pred_dir / "data" / f"{seq}.txt"):
            if cand.is_file():
                pairs[seq] = (g, cand)
                break
        else:
            raise InvalidInputError(f"no prediction for sequence {seq!r} in {pred_dir} (expected {seq}.txt)")
    return pairs


def evaluate_paths(gt: str | Path, pred: str | Path, iou_threshold: float = 0.5) -> dict[str, dict[str, float | int]]:
    """Files (one sequence) or folders (many, matched by name); always includes `COMBINED`."""
    gt, pred = Path(gt), Path(pred)
    if gt.is_dir() != pred.is_dir():
        raise InvalidInputError("ground truth and prediction must both be files or both be folders")
    if gt.is_dir():
        pairs = find_sequences(gt, pred)
        seqs = {name: (read_mot(g), read_mot(p)) for name, (g, p) in pairs.items()}
    else:
        seqs = {pred.stem: (read_mot(gt), read_mot(pred))}
    return evaluate_sequences(seqs, iou_threshold)


ALL_CAMERAS = "ALL CAMERAS"


def evaluate_cameras(cameras: Mapping[str, tuple[np.ndarray, np.ndarray]],
                     iou_threshold: float = 0.5) -> dict[str, dict[str, float | int]]:
    """Cross-camera scores: each camera alone plus `ALL CAMERAS`, where ids are global ids.

    `ALL CAMERAS` is the multi-camera score of the MTMC literature (Ristani et al., 2016): every
    camera's frames are laid end to end as one sequence, so an object must keep one id in all
    of them; its IDF1 is the multi-camera IDF1. A tracker that gives each camera's tracks their
    own ids scores as well per camera but loses every handover in `ALL CAMERAS`.
    """
    if not cameras:
        raise InvalidInputError("no cameras to evaluate")
    out = {name: evaluate_arrays(gt, pred, iou_threshold, name) for name, (gt, pred) in cameras.items()}
    offset = 0
    gts, preds = [], []
    for name, (gt, pred) in cameras.items():
        g, p = _as_rows(gt, f"{name} ground truth"), _as_rows(pred, f"{name} prediction")
        gts.append(g + np.r_[offset, np.zeros(g.shape[1] - 1)])
        preds.append(p + np.r_[offset, np.zeros(p.shape[1] - 1)])
        last = max([0.0, *(a[:, 0].max() for a in (g, p) if len(a))])
        offset += int(last)
    out[ALL_CAMERAS] = evaluate_arrays(np.concatenate(gts), np.concatenate(preds), iou_threshold, ALL_CAMERAS)
    return out


def find_cameras(gt_dir: str | Path, pred_dir: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """`GT/<cam>/gt/gt.txt` (as `yolotrack synth --cameras` writes) paired with `PRED/<cam>.txt`
    (MOT, ids global) or `PRED/<cam>.jsonl` (`run --cameras` output: its `global_id`s)."""
    from yolotrack.tracker.mot_io import read_jsonl_tracks

    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    gts = {p.parent.parent.name: p for p in sorted(gt_dir.glob("*/gt/gt.txt"))}
    if not gts:
        raise InvalidInputError(f"no cameras in {gt_dir} (expected <camera>/gt/gt.txt per camera)")
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for cam, g in gts.items():
        if (pred_dir / f"{cam}.txt").is_file():
            pred = read_mot(pred_dir / f"{cam}.txt")
        elif (pred_dir / f"{cam}.jsonl").is_file():
            pred = read_jsonl_tracks(pred_dir / f"{cam}.jsonl", "global_id")
        else:
            raise InvalidInputError(f"no prediction for camera {cam!r} in {pred_dir} (expected {cam}.txt or "
                                    f"{cam}.jsonl)")
        out[cam] = (read_mot(g), pred)
    return out
