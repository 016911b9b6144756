"""The annual assessment: participation figures, standards against thresholds, reports."""
