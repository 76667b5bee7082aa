"""Assignment and Grade Services with Moodle 5.1's rules: the Accept header on the
line-item container, its malformed Link header, line-item CRUD, and the score rules
(required fields, empty grade unless FullyGraded, 409 within a second, staff refused)."""

from datetime import UTC, datetime, timedelta

import pytest

from lti_tool.extensions import db
from lti_tool.sandbox import paging
from lti_tool.sandbox.models import Score
from tests.support.lms import AGS, NRPS_SCOPE, SANDBOX_URL, bearer, fresh_session

LINEITEMS = "/sandbox/api/2/lineitems?type_id=1"
CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"


def scores_url(activity) -> str:
    return f"/sandbox/api/2/lineitems/{activity.lineitem.id}/lineitem/scores?type_id=1"


def score(user_id="6", seconds=0, **overrides) -> dict:
    moment = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC) + timedelta(seconds=seconds)
    body = {"userId": user_id, "timestamp": moment.isoformat(timespec="milliseconds"),
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "scoreGiven": 8, "scoreMaximum": 10, "comment": "Great sessions"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def grader(client, access_token):
    token = access_token(AGS + "score")

    def post(activity, body, content_type=SCORE):
        return client.post(scores_url(activity), json=body,
                           headers=bearer(token, **{"Content-Type": content_type}))

    return post


def stored(activity, user_id="6") -> Score | None:
    fresh_session()
    return db.session.scalars(db.select(Score).filter_by(lineitem_id=activity.lineitem.id,
                                                         user_id=user_id)).first()


# --- line items -----------------------------------------------------------------------------

def test_lineitems_need_the_container_accept_header(client, access_token, activity):
    token = access_token(AGS + "lineitem.readonly")
    for accept in ("application/json", "*/*", LINEITEM, f"{CONTAINER}, application/json"):
        response = client.get(LINEITEMS, headers=bearer(token, Accept=accept))
        assert response.status_code == 400, accept
    response = client.get(LINEITEMS, headers=bearer(token, Accept=CONTAINER))
    assert response.status_code == 200
    assert response.mimetype == CONTAINER
    item = activity.lineitem
    assert response.json == [{
        "id": f"{SANDBOX_URL}/api/2/lineitems/{item.id}/lineitem?type_id=1",
        "label": "Participation", "scoreMaximum": 100.0, "resourceId": "prog-1",
        "tag": "pairwise-participation", "resourceLinkId": str(activity.id),
        "ltiLinkId": str(activity.id)}]


def test_create_then_page_lineitems_with_moodles_malformed_link(client, access_token,
                                                                activity):
    token = access_token(AGS + "lineitem")
    for n in range(4):
        created = client.post(LINEITEMS, json={"label": f"Week {n}", "scoreMaximum": 10,
                                               "tag": "week"},
                              headers=bearer(token, **{"Content-Type": LINEITEM}))
        assert created.status_code == 201
        assert created.json["id"].endswith("/lineitem?type_id=1")
    response = client.get(LINEITEMS + "&limit=2", headers=bearer(token, Accept=CONTAINER))
    assert [i["label"] for i in response.json] == ["Participation", "Week 0"]
    raw = response.headers["Link"]
    text = raw.encode("latin-1").decode("utf-8")  # PHP's UTF-8 bytes, read as HTTP does
    assert paging.MOODLE_MALFORMED_LINEITEMS_LINK
    assert f"<{SANDBOX_URL}/api/2/lineitems?type_id=1&amp;limit=2&amp;from=2>; rel=“next”" in text
    assert 'rel="next"' not in text
    page2 = client.get(LINEITEMS + "&limit=2&from=2", headers=bearer(token, Accept=CONTAINER))
    assert [i["label"] for i in page2.json] == ["Week 1", "Week 2"]
    by_page = client.get(LINEITEMS + "&limit=2&page=3", headers=bearer(token, Accept=CONTAINER))
    assert [i["label"] for i in by_page.json] == ["Week 3"]


def test_lineitem_filters(client, access_token, activity):
    token = access_token(AGS + "lineitem")
    client.post(LINEITEMS, json={"label": "Other", "scoreMaximum": 5, "tag": "other"},
                headers=bearer(token, **{"Content-Type": LINEITEM}))
    tagged = client.get(LINEITEMS + "&tag=pairwise-participation",
                        headers=bearer(token, Accept=CONTAINER))
    assert [i["label"] for i in tagged.json] == ["Participation"]
    linked = client.get(LINEITEMS + f"&resource_link_id={activity.id}",
                        headers=bearer(token, Accept=CONTAINER))
    assert [i["label"] for i in linked.json] == ["Participation"]


@pytest.mark.parametrize("query", ["&limit=x", "&limit=2&page=0", "&limit=2&from=y"])
def test_junk_paging_is_400(client, access_token, activity, query):
    response = client.get(LINEITEMS + query,
                          headers=bearer(access_token(AGS + "lineitem"), Accept=CONTAINER))
    assert response.status_code == 400


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ({"label": "No maximum"}, LINEITEM, 400),
    ({"scoreMaximum": 10}, LINEITEM, 400),
    ({"label": "Bad", "scoreMaximum": "ten"}, LINEITEM, 400),
    ({"label": "Wrong type", "scoreMaximum": 10}, "application/json", 400),
    ({"label": "Not our link", "scoreMaximum": 10, "resourceLinkId": "999"}, LINEITEM, 403),
])
def test_create_lineitem_refusals(client, access_token, activity, body, content_type, status):
    response = client.post(LINEITEMS, json=body, headers=bearer(
        access_token(AGS + "lineitem"), **{"Content-Type": content_type}))
    assert response.status_code == status
    assert "error" in response.json


def test_lineitem_get_put_delete(client, access_token, activity):
    token = access_token(AGS + "lineitem")
    created = client.post(LINEITEMS, json={"label": "Extra", "scoreMaximum": 10},
                          headers=bearer(token, **{"Content-Type": LINEITEM})).json
    path = created["id"].removeprefix(SANDBOX_URL)
    assert client.get("/sandbox" + path, headers=bearer(token)).json["label"] == "Extra"
    updated = client.put("/sandbox" + path, json={"label": "Renamed", "scoreMaximum": 20},
                         headers=bearer(token, **{"Content-Type": LINEITEM}))
    assert updated.status_code == 200 and updated.json["scoreMaximum"] == 20.0
    assert client.delete("/sandbox" + path, headers=bearer(token)).status_code == 204
    assert client.get("/sandbox" + path, headers=bearer(token)).status_code == 404
    own = f"/sandbox/api/2/lineitems/{activity.lineitem.id}/lineitem?type_id=1"
    assert client.delete(own, headers=bearer(token)).status_code == 403


def test_scopes_are_checked_per_operation(client, access_token, activity):
    readonly = access_token(AGS + "lineitem.readonly")
    assert client.get(LINEITEMS, headers=bearer(readonly, Accept=CONTAINER)).status_code == 200
    create = client.post(LINEITEMS, json={"label": "X", "scoreMaximum": 1},
                         headers=bearer(readonly, **{"Content-Type": LINEITEM}))
    assert create.status_code == 403
    nrps_only = access_token(NRPS_SCOPE)
    response = client.post(scores_url(activity), json=score(),
                           headers=bearer(nrps_only, **{"Content-Type": SCORE}))
    assert response.status_code == 403
    results = scores_url(activity).replace("/scores", "/results")
    assert client.get(results, headers=bearer(nrps_only)).status_code == 403
    assert client.get(LINEITEMS, headers={"Accept": CONTAINER}).status_code == 401


# --- scores ---------------------------------------------------------------------------------

def test_fully_graded_score_is_rescaled_with_feedback(grader, activity):
    response = grader(activity, score())
    assert response.status_code == 200 and response.get_data() == b""
    row = stored(activity)
    assert row.grade == 80.0 and row.score_given == 8 and row.comment == "Great sessions"
    assert row.grading_progress == "FullyGraded"
    assert row.timestamp.replace(tzinfo=UTC) == datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("missing", ["userId", "timestamp", "activityProgress",
                                     "gradingProgress", "scoreMaximum"])
def test_missing_required_fields_are_400(grader, activity, missing):
    response = grader(activity, score(**{missing: None}))
    assert response.status_code == 400
    assert stored(activity) is None


@pytest.mark.parametrize("progress", ["Pending", "PendingManual", "NotReady", "Failed"])
def test_not_fully_graded_leaves_the_grade_empty(grader, activity, progress):
    response = grader(activity, score(gradingProgress=progress, scoreGiven=9))
    assert response.status_code == 200
    row = stored(activity)
    assert row.grade is None and row.score_given is None
    assert row.grading_progress == progress and row.comment == "Great sessions"


def test_a_score_in_the_same_second_is_409(grader, activity):
    assert grader(activity, score(seconds=0)).status_code == 200
    same_second = score(seconds=0.4, scoreGiven=9)
    assert grader(activity, same_second).status_code == 409
    assert grader(activity, score(seconds=-5)).status_code == 409
    assert stored(activity).score_given == 8
    assert grader(activity, score(seconds=1, scoreGiven=10)).status_code == 200
    assert stored(activity).grade == 100.0


@pytest.mark.parametrize("user_id", ["3", "10"])
def test_staff_cannot_be_graded(grader, activity, user_id):
    assert grader(activity, score(user_id=user_id)).status_code == 400


def test_mentors_are_gradable_and_strangers_are_not(grader, activity):
    assert grader(activity, score(user_id="4")).status_code == 200
    assert grader(activity, score(user_id="99")).status_code == 400


@pytest.mark.parametrize("overrides", [
    {"timestamp": "yesterday"}, {"scoreGiven": "8"}, {"activityProgress": "Done"},
    {"scoreMaximum": 0},
])
def test_malformed_scores_are_400(grader, activity, overrides):
    assert grader(activity, score(**overrides)).status_code == 400


def test_scores_need_the_score_media_type(grader, activity):
    assert grader(activity, score(), content_type="application/json").status_code == 400


def test_score_for_an_unknown_lineitem_is_404(client, access_token, activity):
    response = client.post("/sandbox/api/2/lineitems/999/lineitem/scores?type_id=1",
                           json=score(), headers=bearer(access_token(AGS + "score"),
                                                        **{"Content-Type": SCORE}))
    assert response.status_code == 404


def test_results(client, access_token, grader, activity):
    grader(activity, score(user_id="6"))
    grader(activity, score(user_id="7", gradingProgress="Pending"))
    url = scores_url(activity).replace("/scores", "/results")
    token = access_token(AGS + "result.readonly")
    response = client.get(url, headers=bearer(token, Accept=RESULTS))
    assert response.status_code == 200 and response.mimetype == RESULTS
    by_user = {r["userId"]: r for r in response.json}
    assert by_user["6"]["resultScore"] == 80.0 and by_user["6"]["resultMaximum"] == 100.0
    assert by_user["6"]["comment"] == "Great sessions"
    assert by_user["6"]["scoreOf"].endswith(f"/lineitems/{activity.lineitem.id}/lineitem?type_id=1")
    assert "resultScore" not in by_user["7"]
    one = client.get(url + "&user_id=7", headers=bearer(token))
    assert [r["userId"] for r in one.json] == ["7"]
    paged = client.get(url + "&limit=1", headers=bearer(token))
    assert paged.headers["Link"].endswith('&limit=1&from=1>; rel="next"')


def test_gradebook_page_shows_grades(client, grader, activity):
    grader(activity, score(user_id="6"))
    grader(activity, score(user_id="7", gradingProgress="Pending", comment="Waiting"))
    html = client.get("/sandbox/gradebook").get_data(as_text=True)
    assert "Participation" in html and "80.00" in html and "Great sessions" in html
    assert "Pending" in html and "Waiting" in html and "2030-05-01 12:00:00" in html
    assert "Iris Instructor" not in html  # staff have no gradebook row
