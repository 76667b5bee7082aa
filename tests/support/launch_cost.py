"""For tests of what a launch costs: `signed_launch` runs the platform's login and the
launch with the statements of each step kept apart; `FakeClock` moves the launch caches'
clock (lti/caches.py) without sleeping."""

from dataclasses import dataclass, field

import pytest

from lti_tool.lti import caches
from tests.support.platform import PlatformDouble, start_login
from tests.support.statements import StatementLog


@dataclass
class LaunchSteps:
    """The responses of a login and a launch, and the SQL of each."""

    login: StatementLog = field(default_factory=StatementLog)
    launch: StatementLog = field(default_factory=StatementLog)
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
