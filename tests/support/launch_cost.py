"""For tests of what a launch costs: `SqlLog` keeps the SQL statements every engine sends and
counts the commits while it listens, and `signed_launch` runs the platform's login and the
launch with the statements of each step kept apart; `FakeClock` moves the launch caches'
clock (lti/caches.py) without sleeping."""

import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from lti_tool.lti import caches
from tests.support.platform import PlatformDouble, start_login


class SqlLog:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(" ".join(statement.split()))

    def _commit(self, _conn) -> None:
        self.commits += 1

    def of_kind(self, kind: str) -> list[str]:
        """The statements that start with `kind` (SELECT, INSERT, UPDATE, DELETE)."""
        return [s for s in self.statements if s.upper().startswith(kind)]

    def touching(self, table: str) -> list[str]:
        pattern = re.compile(rf"(FROM|INTO|UPDATE) \"?{table}\"?\b", re.I)
        return [s for s in self.statements if pattern.search(s)]

    def __enter__(self) -> "SqlLog":
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._statement)
        sa.event.listen(sa.engine.Engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._statement)
        sa.event.remove(sa.engine.Engine, "commit", self._commit)


@dataclass
class LaunchSteps:
    """The responses of a login and a launch, and the SQL of each."""

    login: SqlLog = field(default_factory=SqlLog)
    launch: SqlLog = field(default_factory=SqlLog)
    response: object = None


def signed_launch(client, platform: PlatformDouble, **claim_overrides) -> LaunchSteps:
    steps = LaunchSteps()
    with steps.login:
        _, state, nonce = start_login(client, platform)
    token = platform.sign(platform.claims(nonce, **claim_overrides))
    with steps.launch:
        steps.response = client.post("/lti/launch", data={"id_token": token, "state": state})
    return steps


class FakeClock:
    """The launch caches' clock, moved by hand: `clock.advance(61)`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: float = 1000.0):
        self.now = start
        monkeypatch.setattr(caches, "now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds
