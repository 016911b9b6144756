"""Compacts: drafting, versions and diffs, group-by-group deliberation, adoption, filing."""
