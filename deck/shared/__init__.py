"""What several stages (and `figures/`) need: atomic file writes and paths, numbers and dates in the
deck's language, the deterministic SVG writer of matplotlib figures."""
