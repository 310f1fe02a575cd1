"""Issue-specific bench scenarios, registered with bench.pages.scenario. Each `prepare(at)` puts the
AppTest into the state to time (filters set, a drop pending...); the timed part is the rerun."""
from __future__ import annotations
