"""Meetings: notices, agenda, attendance and quorum, in-meeting votes, projector.

Rooms, bottom up: `presence` (who is eligible, who is present, quorum figures) and
`broadcast` (the after-commit announcement to open screens) import no other meetings
service; `agenda`, `attendance`, `votes` and `votes_rounds`, `projector` build on them;
`services` (the meeting's life) on those; `forms`, `paths` and the `views` package
(one module per area, exporting `routes`) on top.

Note: the votes family (votes.py, votes_rounds.py, the vote forms in forms.py and
views/votes.py) is to become a meetings/votes/ subpackage once the QR casting in
votes.py has moved to app.secret_choice.
"""
