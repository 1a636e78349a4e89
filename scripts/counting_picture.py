"""Draw docs/counting.png, the README's picture of the line direction convention, with our renderer.

    .venv/bin/python scripts/counting_picture.py
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from yolotrack.analytics import LineView, Overlay, ZoneView
from yolotrack.core.config import RenderConfig
from yolotrack.core.detections import Detections
from yolotrack.core.files import atomic_write
from yolotrack.render import Renderer

W, H = 760, 330
P1, P2 = (90.0, 150.0), (520.0, 150.0)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def main() -> Path:
    img = np.full((H, W, 3), 52, np.uint8)
    # the hysteresis band around the line (drawn faintly: it is not part of the overlay)
    for dy in (-12, 12):
        cv2.line(img, (int(P1[0]), int(P1[1] + dy)), (int(P2[0]), int(P2[1] + dy)), (90, 90, 90), 1, cv2.LINE_AA)
    ys_in = np.linspace(40, 250, 12)
    ys_out = ys_in[::-1]
    dets = Detections(xyxy=[[190, 230, 230, 270], [380, 30, 420, 70]], scores=[0.91, 0.88], class_ids=[0, 0],
                      names={0: "person"}, track_ids=[7, 8])
    trails = {7: np.stack([np.full(12, 210.0), ys_in], 1).astype(np.float32),
              8: np.stack([np.full(12, 400.0), ys_out], 1).astype(np.float32)}
    zone = ZoneView("bay", ((570.0, 60.0), (740.0, 60.0), (740.0, 250.0), (570.0, 250.0)), 2, 5)
    overlay = Overlay("0", 0, (LineView("door", P1, P2, 1, 1),), (zone,))
    Renderer(RenderConfig(trail_length=12)).draw(img, dets, trails, out=img, analytics=overlay)
    cv2.putText(img, "in", (316, 196), FONT, 0.6, (255, 230, 0), 2, cv2.LINE_AA)  # beside the overlay's arrow
    notes = [((48, 180), "p1 = points[0]"), ((470, 180), "p2 = points[1]"),
             ((222, 100), "#7: in"), ((412, 215), "#8: out"),
             ((12, 312), "in = from the left of p1->p2 to its right (image y down); grey: the hysteresis band"),
             ((580, 280), "zone fill: occupancy")]
    for (x, y), text in notes:
        cv2.putText(img, text, (x, y), FONT, 0.45, (235, 235, 235), 1, cv2.LINE_AA)
    out = Path(__file__).resolve().parent.parent / "docs" / "counting.png"
    ok, png = cv2.imencode(".png", img)
    assert ok
    return atomic_write(out, lambda tmp: tmp.write_bytes(png.tobytes()))


if __name__ == "__main__":
    print(main())
