"""Meetings: notices, agenda, attendance and quorum, in-meeting votes, projector."""
