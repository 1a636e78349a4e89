"""Lines, zones and counts on tracked detections: pure numpy, between the tracker and the sinks.

- `Analytics` (engine.py): the `analytics` config section applied to every source of a pipeline;
  live `counts()`, `set_config()` for editing lines and zones while it runs.
- `SourceAnalytics` (source.py): one source's lines and zones, fed frame by frame.
- `LineCounter` (lines.py), `ZoneCounter` (zones.py): the vectorized counting rules.
- `Overlay` (overlay.py): what the renderer draws, frozen per frame.
- `HeatmapAccumulator` (heatmap.py): where tracks spent time.
- `load_analytics` / `save_analytics` (config_file.py): the section as a YAML file.
"""

from yolotrack.analytics.config_file import analytics_to_dict, load_analytics, save_analytics
from yolotrack.analytics.engine import Analytics
from yolotrack.analytics.heatmap import HeatmapAccumulator
from yolotrack.analytics.overlay import LineView, Overlay, ZoneView
from yolotrack.analytics.source import SourceAnalytics, Tally

__all__ = ["Analytics", "HeatmapAccumulator", "LineView", "Overlay", "SourceAnalytics", "Tally", "ZoneView",
           "analytics_to_dict", "load_analytics", "save_analytics"]
