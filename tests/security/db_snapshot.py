"""The database's whole content, table by table, to check that a refused request wrote
nothing: every row of every table, all columns, ordered by primary key, read on the
test's own connection (so the app's uncommitted savepoints are seen). Unlike row counts,
an UPDATE, or a DELETE plus an INSERT, shows up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, MetaData, Select, Table, inspect, select

Rows = dict[tuple[Any, ...], tuple[Any, ...]]  # primary key -> the whole row


class Content:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        metadata = MetaData()
        self.queries: dict[str, tuple[Select[Any], list[int]]] = {}
        for name in sorted(inspect(connection).get_table_names()):
            table = Table(name, metadata, autoload_with=connection)
            columns = list(table.columns)
            keys = [c for c in columns if c.primary_key] or columns
            positions = [columns.index(c) for c in keys]
            self.queries[name] = (select(table).order_by(*keys), positions)

    def take(self) -> dict[str, Rows]:
        content: dict[str, Rows] = {}
        for name, (query, positions) in self.queries.items():
            rows: Rows = {}
            for row in self.connection.execute(query):
                values = tuple(row)
                rows[tuple(values[i] for i in positions)] = values
            content[name] = rows
        return content

    def changes(
        self, before: dict[str, Rows], ignore: frozenset[str] = frozenset()
    ) -> dict[str, str]:
        """What differs now from `before`, per table: rows added, removed or changed."""
        after = self.take()
        found = {}
        for name, old in before.items():
            new = after[name]
            if name in ignore or old == new:
                continue
            added = sorted(map(repr, new.keys() - old.keys()))
            removed = sorted(map(repr, old.keys() - new.keys()))
            changed = [
                f"{key!r}: {_short(old[key])} -> {_short(new[key])}"
                for key in sorted(old.keys() & new.keys(), key=repr)
                if old[key] != new[key]
            ]
            parts = [
                f"{label} {items}"
                for label, items in (("added", added), ("removed", removed), ("changed", changed))
                if items
            ]
            found[name] = "; ".join(parts)
        return found


def _short(row: tuple[Any, ...]) -> str:
    return repr(tuple(v[:40] if isinstance(v, str) else v for v in row))[:300]
