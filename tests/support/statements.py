"""For tests of what a request writes: `StatementLog` keeps the SQL statements every engine sends
and counts the commits while it listens (`with StatementLog() as log`), so a test can say "this
page view wrote no session row" or "these 40 requests committed 8 times"."""

import re

import sqlalchemy as sa


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(" ".join(statement.split()))

    def _commit(self, _conn) -> None:
        self.commits += 1

    def writes_to(self, table: str) -> list[str]:
        """The INSERT, UPDATE and DELETE statements on `table`."""
        pattern = re.compile(rf"^(INSERT INTO|UPDATE|DELETE FROM) \"?{table}\"?\b", re.I)
        return [s for s in self.statements if pattern.match(s)]

    def reads_of(self, table: str) -> list[str]:
        pattern = re.compile(rf"^SELECT .* FROM \"?{table}\"?\b", re.I)  # noqa: S608 - a regex
        return [s for s in self.statements if pattern.match(s)]

    def of_kind(self, kind: str) -> list[str]:
        """The statements that start with `kind` (SELECT, INSERT, UPDATE, DELETE)."""
        return [s for s in self.statements if s.upper().startswith(kind)]

    def touching(self, table: str) -> list[str]:
        pattern = re.compile(rf"(FROM|INTO|UPDATE) \"?{table}\"?\b", re.I)
        return [s for s in self.statements if pattern.search(s)]

    def clear(self) -> None:
        self.statements.clear()
        self.commits = 0

    def __enter__(self) -> "StatementLog":
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._statement)
        sa.event.listen(sa.engine.Engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._statement)
        sa.event.remove(sa.engine.Engine, "commit", self._commit)
