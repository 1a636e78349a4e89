"""Lines, zones and counts on tracked detections: pure numpy, between the tracker and the sinks.

- `Analytics` (engine.py): the `analytics` config section applied to every source of a pipeline;
  live `counts()`, `set_config()` for editing lines and zones while it runs.
- `SourceAnalytics` (source.py): one source's lines and zones, fed frame by frame.
- `LineCounter` (lines.py), `ZoneCounter` (zones.py): the vectorized crossing and inside rules.
- `CountTally` (tally.py): the counts, from the analytics events alone; `CountSnapshot` and its
  `LineCount`s and `ZoneCount`s are what every output reads.
- `Overlay` (overlay.py): what the renderer draws, frozen per frame.
- `HeatmapAccumulator` (heatmap.py): where tracks spent time.
- `load_analytics` / `save_analytics` (config_file.py): the section as a YAML file.
"""

from yolotrack.analytics.config_file import analytics_to_dict, load_analytics, save_analytics
from yolotrack.analytics.engine import Analytics
from yolotrack.analytics.heatmap import HeatmapAccumulator
from yolotrack.analytics.overlay import LineView, Overlay, ZoneView
from yolotrack.analytics.source import SourceAnalytics
from yolotrack.analytics.tally import CountSnapshot, CountTally, LineCount, ZoneCount

__all__ = ["Analytics", "CountSnapshot", "CountTally", "HeatmapAccumulator", "LineCount", "LineView", "Overlay",
           "SourceAnalytics", "ZoneCount", "ZoneView", "analytics_to_dict", "load_analytics", "save_analytics"]
