"""The mentoring agreement over HTTP: one member proposes, the other edits (a new
version the first must accept), both accept the same version, every version is kept; stale
versions are refused; the program's template fills in the first draft; the other member is
told through the outbox; bad input comes back with what was typed."""

from lti_tool.notify.models import Notification
from lti_tool.workspace import services
from lti_tool.workspace.models import AgreementTemplate, AgreementVersion
from tests.support.pairs import followed, person_id
from tests.support.workspace import (
    SCRIPT,
    TERMS,
    accept,
    count,
    page,
    propose,
    rows,
    with_pair,
)


def test_propose_edit_accept_keeps_every_version(app, pair):
    _, mona, lena, pair_id = pair
    first = page(lena, f"/pairs/{pair_id}/agreement")
    assert b"Propose your agreement" in first
    assert b"What we talk about stays between the two of us" in first  # the default draft
    assert b"What Lena Learner wants from the relationship" in first

    proposed = followed(lena, propose(lena, pair_id, mentee_hopes="Feedback on my CV"))
    assert b"Version 1 is proposed" in proposed and b"Waiting for Mona Mentor" in proposed
    [told] = rows(app, Notification, kind="agreement_proposed")
    assert told.recipient_id == person_id(app, "2")
    assert "Feedback on my CV" not in told.body  # what they wrote stays in Pairwise
    assert told.dedupe_key == f"agreement:{pair_id}:1:{told.recipient_id}"

    mona_view = page(mona, f"/pairs/{pair_id}/agreement")
    assert b"I accept version 1" in mona_view and b"Feedback on my CV" in mona_view
    edited = followed(mona, propose(mona, pair_id, base="1", frequency="weekly",
                                    mentee_hopes="Feedback on my CV",
                                    mentor_hopes="Learn how juniors see our field"))
    assert b"Version 2 is proposed" in edited
    told = rows(app, Notification, kind="agreement_proposed")[-1]
    assert told.recipient_id == person_id(app, "10")
    assert ("What changed: How often you meet; What the mentor wants from the relationship"
            in told.body)

    stale = followed(lena, accept(lena, pair_id, 1))
    assert b"Version 1 is no longer the latest" in stale
    own = followed(mona, accept(mona, pair_id, 2))
    assert b"You accepted this version already" in own
    assert with_pair(app, pair_id, services.agreement_signed) is None

    signed = followed(lena, accept(lena, pair_id, 2))
    assert b"Accepted: your agreement is signed." in signed
    assert b"Your agreement (version 2)" in signed and b"Every week" in signed
    assert b"Accepted by you on" in signed and b"and by Mona Mentor on" in signed
    assert b"replaced by a later version" in signed  # version 1 is still there to read
    assert with_pair(app, pair_id, services.agreement_signed) is not None
    [thanks] = rows(app, Notification, kind="agreement_signed")
    assert thanks.recipient_id == person_id(app, "2")
    versions = rows(app, AgreementVersion)
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].mentor_accepted_at is None and versions[0].frequency == "biweekly"
    again = followed(lena, accept(lena, pair_id, 2))
    assert b"You have both accepted this version already" in again


def test_a_change_after_signing_leaves_the_signed_version_in_force(app, pair):
    _, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id))
    followed(mona, accept(mona, pair_id, 1))
    signed_at = with_pair(app, pair_id, services.agreement_signed)
    followed(mona, propose(mona, pair_id, base="1", minutes="60"))
    view = page(lena, f"/pairs/{pair_id}/agreement")
    assert b"Your agreement (version 1)" in view and b"I accept version 2" in view
    assert b"Changed from version 1: How long (minutes)" in view
    assert with_pair(app, pair_id, services.agreement_signed) == signed_at
    summary = with_pair(app, pair_id, services.pair_summary)["agreement"]
    assert summary["signed"] and summary["version"] == 1 and summary["awaiting_acceptance"]
    with app.app_context():  # the dashboard's bulk read agrees
        assert services.agreement_and_goals([pair_id, 999]) == {
            pair_id: (signed_at.date(), 0), 999: (None, 0)}


def test_an_edit_on_a_stale_version_is_refused_and_kept(app, pair):
    _, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id))
    followed(mona, propose(mona, pair_id, base="1", response_time="week"))
    late = propose(lena, pair_id, base="1", mentee_hopes="My carefully typed hopes")
    assert late.status_code == 400
    assert b"The agreement changed while you were editing" in late.data
    assert b"My carefully typed hopes" in late.data
    assert b'name="base" type="hidden" value="2"' in late.data  # sent again, it builds on v2
    same = propose(lena, pair_id, base="2", response_time="week")
    assert same.status_code == 400 and b"already says" in same.data
    assert count(app, AgreementVersion) == 2
    assert len(rows(app, Notification, kind="agreement_proposed")) == 2


def test_bad_terms_are_refused_with_the_draft_kept(app, pair):
    _, _, lena, pair_id = pair
    cases = [
        ({"confidentiality": "   "}, b"Confidentiality: write something here"),
        ({"boundaries": "x" * 2001}, b"keep it under 2,000 characters"),
        ({"fallback_channel": "video"}, b"Choose a fallback other than your first choice"),
        ({"minutes": "500"}, b"From 15 to 120 minutes"),
        ({"frequency": "hourly"}, b"Not a valid choice"),
    ]
    for changes, message in cases:
        refused = propose(lena, pair_id, mentee_hopes="Typed before the mistake", **changes)
        assert refused.status_code == 400, changes
        assert message in refused.data, changes
        assert b"Typed before the mistake" in refused.data
    assert count(app, AgreementVersion) == 0
    assert [n for n in rows(app, Notification) if n.kind.startswith("agreement")] == []


def test_text_is_escaped(app, pair):
    _, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id, mentee_hopes=f"Grow {SCRIPT}"))
    view = page(mona, f"/pairs/{pair_id}/agreement")
    assert SCRIPT.encode() not in view and b"Grow &lt;script&gt;" in view


def test_staff_template_prefills_the_first_draft(app, pair):
    staff, mona, lena, pair_id = pair
    assert lena.get("/agreement-template").status_code == 403
    assert b"fills in a pair" in page(staff, "/agreement-template")
    empty = staff.post("/agreement-template", {**TERMS, "boundaries": ""},
                       page="/agreement-template")
    assert empty.status_code == 400 and b"Boundaries" in empty.data
    saved = followed(staff, staff.post("/agreement-template", {
        **TERMS, "frequency": "monthly", "minutes": "60",
        "confidentiality": "Program rule: nothing leaves the pair."},
        page="/agreement-template"))
    assert b"Template saved" in saved and b"Program rule" in saved
    [template] = rows(app, AgreementTemplate)
    assert template.frequency == "monthly" and template.updated_by_id == person_id(app, "1")
    draft = page(lena, f"/pairs/{pair_id}/agreement")
    assert b"Program rule: nothing leaves the pair." in draft
    assert b"filled in a starting point" in draft
    assert b'<option selected value="monthly">' in draft
    followed(mona, propose(mona, pair_id, frequency="monthly", minutes="60",
                           confidentiality="Program rule: nothing leaves the pair."))
    [version] = rows(app, AgreementVersion)
    assert version.frequency == "monthly" and version.mentor_accepted_at is not None
