"""Demo data: three villages of people and staff (app.demo.village) and, for one of
them, a whole year of elections, meetings, a compact and surveys, planned up front
(planning) and carried out through the services (year, with a runner per area)."""

from __future__ import annotations

from app.demo.village import (
    DemoSignin,
    build_demo,
    database_is_empty,
    format_signins,
    read_signins,
    write_signins,
)

__all__ = [
    "DemoSignin",
    "build_demo",
    "database_is_empty",
    "format_signins",
    "read_signins",
    "write_signins",
]
