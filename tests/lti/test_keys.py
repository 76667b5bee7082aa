"""The tool's keys: the JWKS publishes the signing key's kid (never the private part), and a
rotation keeps the old key published for a week."""

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import ToolKey
from lti_tool.timeutil import utcnow


def test_jwks_publishes_kid_and_rotation_keeps_old_key(app, client, runner):
    first = client.get("/lti/jwks").get_json()["keys"]
    assert len(first) == 1 and first[0]["kid"] and first[0]["alg"] == "RS256"
    assert "d" not in first[0]  # never the private part
    result = runner.invoke(args=["lti", "rotate-keys"])
    assert "stay in the JWKS for 7 days" in result.output
    after = client.get("/lti/jwks").get_json()["keys"]
    assert [k["kid"] for k in after][1:] == [first[0]["kid"]]
    with app.app_context():
        assert keys.signing_key().kid == after[0]["kid"]
        old = db.session.scalars(sa.select(ToolKey).where(ToolKey.kid == first[0]["kid"])).one()
        old.retired_at = utcnow() - timedelta(days=8)
        db.session.commit()
    assert [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]] == [after[0]["kid"]]
