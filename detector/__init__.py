"""Native PyTorch YOLOv12 (detect / segment / pose) that loads the official and Ultralytics weights.

Inference:
    model = load_model("yolo12n")                 # name, path (.pt / .safetensors / ours) or "demo"
    y = model(x)                                  # x (B,3,H,W) in [0,1]; raw head output, Ultralytics layout
    det = Detector("yolo12n", imgsz=640)          # letterbox + forward + NMS (+ masks / keypoints);
                                                  # keywords: `detector.inference.InferenceSpec` fields
    results = det([frame_bgr, ...])               # list[core.Detections], boxes in frame pixels

Training / fine-tuning:
    model = build_model(scale="n", task="detect", nc=80, family="turbo")   # fresh, unfused, BN eps 1e-3
    model.train(); feats = model(x)   # detect: [(B, 4*reg_max+nc, H_i, W_i)] per level (P3, P4, P5)
                                      # segment: (feats, mask_coeffs (B,32,A), protos (B,32,H/4,W/4))
                                      # pose: (feats, raw_keypoints (B,K*3,A))
    model = load_model(path, fuse=False)          # any checkpoint, unfused and trainable
    model = reset_head(model, nc=2, names={0: "a", 1: "b"})   # new head for another class set
    model, fresh = adapt_model(model, "segment", nc=2)        # another task and/or class count, keeping
                                                              # every tensor that still fits
    save_checkpoint(model, "out.safetensors", meta={"epochs": 10}, half=False)  # our format, no pickle

`model.names` (dict), `.task`, `.nc`, `.stride` (tensor [8,16,32]), `.kpt_shape` (pose), `.family`
("turbo" | "v1"), `.spec` (the architecture, a frozen `detector.spec.ModelSpec`) and
`.set_attention("flash"|"sdpa"|"eager")` are public.
"""

from importlib import import_module
from typing import Any

# Imported on first use, so that `from yolotrack.detector import Detector` does not import torch: a
# Detector whose model comes from the export cache runs without it (predictor.py).
_LAZY = {"Detector": "predictor", "YOLOv12": "model", "build_model": "model", "reset_head": "model",
         "adapt_model": "model",
         "load_model": "loader", "read_checkpoint": "checkpoint", "save_checkpoint": "checkpoint"}

__all__ = ["Detector", "YOLOv12", "adapt_model", "build_model", "load_model", "read_checkpoint", "reset_head",
           "save_checkpoint"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f"yolotrack.detector.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'yolotrack.detector' has no attribute {name!r}")
