"""Minutes: filled in from the meeting, signed, locked, corrected only by addenda."""
