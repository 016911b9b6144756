"""Cunyi (村议): a platform for village self-governance."""
