"""The overlay renderer shared by the annotated-video export and the GUI.

    from yolotrack.render import Renderer, TrailHistory, color_for

    renderer = Renderer(cfg.render, names, task)
    trails = TrailHistory(cfg.render.trail_length)
    renderer.draw(frame.image, dets, trails.update(dets), out=frame.image)   # in place
"""

from yolotrack.render.colors import PALETTE_BGR, color_for, color_for_rgb, text_color_on
from yolotrack.render.renderer import Renderer
from yolotrack.render.skeleton import COCO17_LIMBS, limbs_for
from yolotrack.render.trails import TrailHistory

__all__ = ["COCO17_LIMBS", "PALETTE_BGR", "Renderer", "TrailHistory", "color_for", "color_for_rgb",
           "limbs_for", "text_color_on"]
