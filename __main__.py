"""`python -m yolotrack`: the same entry as the `yolotrack` console script."""

import sys

from yolotrack.main import main

sys.exit(main())
