"""What one score post costs the sandbox LMS, so that it is not what limits grade sync: the
access token verified once (not again by the library's handler), one commit."""

from datetime import UTC, datetime

import sqlalchemy as sa

from lti_tool.sandbox import adapter
from tests.support.lms import AGS, bearer

SCORE = "application/vnd.ims.lis.v1.score+json"


class Commits:
    def __init__(self):
        self.count = 0

    def __call__(self, *_args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(sa.engine.Engine, "commit", self)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(sa.engine.Engine, "commit", self)


def test_a_score_post_verifies_its_token_once_and_commits_once(client, access_token, activity,
                                                               monkeypatch):
    token = access_token(AGS + "score")
    url = f"/sandbox/api/2/lineitems/{activity.lineitem.id}/lineitem/scores?type_id=1"
    body = {"userId": "6", "timestamp": datetime(2030, 5, 1, tzinfo=UTC).isoformat(),
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "scoreGiven": 8, "scoreMaximum": 10}
    verified = []
    original = adapter.SandboxPlatformConf.access_token_claims

    def counted(self, given):
        verified.append(given)
        return original(self, given)

    monkeypatch.setattr(adapter.SandboxPlatformConf, "access_token_claims", counted)
    with Commits() as commits:
        response = client.post(url, json=body, headers=bearer(token, **{"Content-Type": SCORE}))
    assert response.status_code == 200
    assert verified == [token]
    assert commits.count == 1


def test_a_refused_token_is_still_refused(client, access_token, activity):
    token = access_token(AGS + "score")
    url = f"/sandbox/api/2/lineitems/{activity.lineitem.id}/lineitem/scores?type_id=1"
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.post(url, json={}, headers=bearer(tampered, **{"Content-Type": SCORE}))
    assert response.status_code == 401
