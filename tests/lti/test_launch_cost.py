"""What a launch costs (issue 17): SQL statements and commits per request, what it writes for
a returning person, and the per-process caches of registrations, tool keys and platforms'
JWKS, with their bounds and their invalidation. Counts, never times."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pylti1p3.contrib.flask import FlaskRequest

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.intake.models import Profile
from lti_tool.launches import views
from lti_tool.lti import caches, platform_keys
from lti_tool.lti.models import Platform
from lti_tool.lti.protocol import ToolMessageLaunch
from lti_tool.lti.storage import DatabaseLaunchDataStorage
from lti_tool.lti.tool_conf import DatabaseToolConf
from lti_tool.timeutil import as_utc, utcnow
from tests.support.admin import sign_in_admin
from tests.support.clients import csrf_token
from tests.support.launch_cost import FakeClock, signed_launch
from tests.support.platform import LTI, landed_at, new_rsa_key, public_jwk, start_login
from tests.support.racing import race
from tests.support.statements import StatementLog

# Upper bounds of the launch request's own statements: the id_token's single use (its nonce
# marked used; the state is signed, not stored, and a resource-link launch's claims are not
# kept), the course and the person (two reads), what
# is new (a new learner: the person, the enrolment, when they launched the link), the intake
# answered or not (a returning learner). A launch of someone yet to answer the intake answers
# with the intake, whose page reads INTAKE_PAGE more (is the person a program's mentor, the
# program's own questions; a new person is no one's mentor yet: NEW_PERSONS_INTAKE_PAGE).
# The session's own statements (web/sessions.py) come on top:
NEW_LEARNER_LAUNCH = 6
RETURNING_LAUNCH = 4
INTAKE_PAGE = 2
NEW_PERSONS_INTAKE_PAGE = 1
SESSION_STATEMENTS = 3
LTI_TABLES = ("lti_platform", "lti_deployment", "lti_tool_key")


@pytest.fixture
def client(app):
    """A browser in an LMS frame that keeps no cookies (the session travels in the URL)."""
    return app.test_client(use_cookies=False)


def _warm(client, platform) -> None:
    """Launches that fill this process's caches (the first one records the platform's
    product family, a registration change that empties them)."""
    for n in range(2):
        assert signed_launch(client, platform, sub=f"warm-{n}").response.status_code == 200


def _own(log: StatementLog) -> list[str]:
    return [s for s in log.statements if "web_session" not in s]


def test_a_new_learners_launch_is_bounded_and_commits_once(client, platform):
    _warm(client, platform)
    steps = signed_launch(client, platform, sub="new-1")

    # The intake is the launch's own answer (no redirect to follow), at the intake's address.
    assert steps.response.status_code == 200
    assert landed_at(steps.response).startswith("/intake?")
    page = NEW_PERSONS_INTAKE_PAGE
    assert len(_own(steps.launch)) <= NEW_LEARNER_LAUNCH + page, steps.launch.statements
    assert len(steps.launch.statements) <= NEW_LEARNER_LAUNCH + page + SESSION_STATEMENTS
    assert steps.launch.commits == 1
    for table in LTI_TABLES:  # the registration, deployments and keys come from the cache
        assert steps.launch.touching(table) == []
        assert steps.login.touching(table) == []
    # The login stores nothing: its state carries the nonce, signed.
    assert steps.login.statements == []
    assert steps.login.commits == 0


def test_a_launch_reads_before_it_writes(client, platform):
    """SQLite lets one writer at a time: from a launch's first write to its commit, others
    wait. What it reads comes first; only the intake's questions are read after (the page
    is known once the records are)."""
    _warm(client, platform)
    statements = signed_launch(client, platform, sub="order-1").launch.statements
    first_write = next(n for n, s in enumerate(statements) if not s.startswith("SELECT"))

    assert first_write >= 2  # the course with its activity, the person
    assert statements[first_write].startswith("INSERT INTO lti_launch_data")  # spent first
    reads_after = [s for s in statements[first_write:] if s.startswith("SELECT")]
    assert [s.split(" FROM ")[1].split()[0] for s in reads_after] == ["intake_question"]


def test_a_launch_whose_person_another_launch_created_meanwhile_lands(app, client, platform,
                                                                      monkeypatch):
    """The same person's two first launches at once (a double click, two tabs): both read
    that the person is new; the second to insert collides, reads again and lands too."""
    _warm(client, platform)
    read = views.existing_records

    def read_then_lose_the_race(ctx, registered):
        found = read(ctx, registered)
        if found.person is None and not results:  # the other launch reads as it should
            results.append(0)
            other = threading.Thread(target=lambda: results.append(
                signed_launch(app.test_client(use_cookies=False), platform,
                              sub="twice-1").response.status_code))
            other.start()
            other.join(timeout=30)
        return found

    results: list[int] = []
    monkeypatch.setattr(views, "existing_records", read_then_lose_the_race)
    steps = signed_launch(client, platform, sub="twice-1")

    assert results == [0, 200]  # the other launch landed first
    assert steps.response.status_code == 200
    assert landed_at(steps.response).startswith("/intake?")
    with app.app_context():
        person = db.session.scalars(sa.select(Person).filter_by(subject="twice-1")).one()
        assert db.session.scalars(sa.select(Enrolment).filter_by(person_id=person.id)).one()


def test_a_validated_launch_cannot_commit_before_it_is_spent(app, platform):
    """The state's used mark is written after the launch's reads (`spend`): a transaction
    that would commit the launch without it fails, and its token stays unused."""
    client = app.test_client(use_cookies=False)
    _, state, nonce = start_login(client, platform)
    token = platform.sign(platform.claims(nonce))
    with app.test_request_context("/lti/launch", method="POST",
                                  data={"id_token": token, "state": state}):
        message = ToolMessageLaunch(FlaskRequest(), DatabaseToolConf())
        message.get_launch_data()
        with pytest.raises(RuntimeError, match="spent"):
            db.session.commit()
        db.session.rollback()
    response = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert response.status_code == 200


def test_a_returning_learner_with_the_same_claims_writes_nothing_new(app, client, platform):
    _warm(client, platform)
    signed_launch(client, platform, sub="back-1")
    steps = signed_launch(client, platform, sub="back-1")

    assert steps.response.status_code == 200  # the intake is still to answer
    assert len(_own(steps.launch)) <= RETURNING_LAUNCH + INTAKE_PAGE, steps.launch.statements
    assert len(steps.launch.statements) <= RETURNING_LAUNCH + INTAKE_PAGE + SESSION_STATEMENTS
    assert steps.launch.commits == 1
    assert steps.launch.of_kind("UPDATE") == [], steps.launch.of_kind("UPDATE")
    inserted = {s.split()[2].strip('"') for s in steps.launch.of_kind("INSERT")}
    assert inserted <= {"lti_launch_data", "web_session"}, inserted
    # The course with its link and program; the person with the rest.
    assert len([s for s in steps.launch.of_kind("SELECT")
                if " FROM course" in s or " FROM person" in s]) == 2


def test_a_changed_claim_is_written(app, client, platform):
    signed_launch(client, platform, sub="back-2")
    steps = signed_launch(client, platform, sub="back-2", email="changed@example.com")
    assert [s for s in steps.launch.of_kind("UPDATE") if "person" in s]
    with app.app_context():
        person = db.session.scalars(sa.select(Person).filter_by(subject="back-2")).one()
        assert person.email == "changed@example.com"


def test_the_launch_time_is_written_again_after_the_stamp_interval(app, client, platform):
    signed_launch(client, platform, sub="back-3")
    long_ago = utcnow() - timedelta(seconds=app.config["LAUNCH_STAMP_SECONDS"] + 1)
    with app.app_context():
        db.session.execute(sa.update(Enrolment).values(last_launch_at=long_ago))
        db.session.commit()
    steps = signed_launch(client, platform, sub="back-3")
    assert [s for s in steps.launch.of_kind("UPDATE") if "enrolment" in s]
    with app.app_context():
        assert as_utc(db.session.scalars(sa.select(Enrolment)).one().last_launch_at) > long_ago


def test_a_learner_who_answered_the_intake_lands_on_home(app, client, platform):
    signed_launch(client, platform, sub="done-1")
    with app.app_context():
        enrolment = db.session.scalars(sa.select(Enrolment)).one()
        program_id = db.session.scalars(sa.select(Program.id)).one()
        db.session.add(Profile(program_id=program_id, person_id=enrolment.person_id))
        db.session.commit()
    steps = signed_launch(client, platform, sub="done-1")
    assert steps.response.headers["Location"].startswith("/?")


def test_staff_land_on_home(client, platform):
    steps = signed_launch(client, platform, sub="staff-1", **{
        LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]})
    assert steps.response.headers["Location"].startswith("/?")


def test_the_platforms_jwks_is_fetched_once_for_many_launches(client, platform):
    for n in range(6):
        assert signed_launch(client, platform, sub=f"many-{n}").response.status_code == 200
    assert platform.jwks_requests == 1


def test_the_jwks_is_fetched_again_once_it_expires(app, client, platform, monkeypatch):
    clock = FakeClock(monkeypatch)
    signed_launch(client, platform, sub="exp-1")
    clock.advance(app.config["LTI_JWKS_CACHE_SECONDS"] - 1)
    signed_launch(client, platform, sub="exp-2")
    assert platform.jwks_requests == 1
    clock.advance(2)
    signed_launch(client, platform, sub="exp-3")
    assert platform.jwks_requests == 2


def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval(app, client, platform,
                                                                monkeypatch):
    clock = FakeClock(monkeypatch)
    signed_launch(client, platform, sub="kid-0")
    for _ in range(5):  # a stranger's tokens with made-up kids
        _, state, nonce = start_login(client, platform)
        token = platform.sign(platform.claims(nonce), kid="made-up")
        response = client.post("/lti/launch", data={"id_token": token, "state": state})
        assert response.status_code == 401
    assert platform.jwks_requests == 2  # the first unknown kid refetched; the others did not
    # The platform rotates its key: followed once the interval has passed.
    platform.key, platform.kid = new_rsa_key(), "rotated"
    platform.jwks = {"keys": [public_jwk(platform.key, "rotated")]}
    clock.advance(app.config["LTI_JWKS_MIN_SECONDS"])
    assert signed_launch(client, platform, sub="kid-1").response.status_code == 200
    assert platform.jwks_requests == 3


def test_the_platforms_max_age_decides_when_the_jwks_is_fetched_again(client, platform,
                                                                      monkeypatch):
    clock = FakeClock(monkeypatch)
    served = platform._jwks

    def jwks_for_a_minute(request):
        response = served(request)
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    monkeypatch.setattr(platform, "_jwks", jwks_for_a_minute)
    signed_launch(client, platform, sub="age-1")
    clock.advance(59)
    signed_launch(client, platform, sub="age-2")
    assert platform.jwks_requests == 1
    clock.advance(2)
    signed_launch(client, platform, sub="age-3")
    assert platform.jwks_requests == 2


def test_cache_control_max_age_is_honoured_within_limits(app):
    with app.app_context():
        config = app.config
        assert platform_keys.lifetime("public, max-age=600") == 600
        assert platform_keys.lifetime("") == config["LTI_JWKS_CACHE_SECONDS"]
        assert platform_keys.lifetime("max-age=1") == config["LTI_JWKS_MIN_SECONDS"]
        assert platform_keys.lifetime("no-store") == config["LTI_JWKS_MIN_SECONDS"]
        assert platform_keys.lifetime("max-age=99999999") == config["LTI_JWKS_MAX_SECONDS"]


def test_an_admins_edit_of_a_platform_applies_to_the_next_launch(app, client, platform):
    _warm(client, platform)
    with app.app_context():
        platform_id = db.session.scalars(sa.select(Platform.id)).one()
    admin = app.test_client()
    sign_in_admin(admin)
    page = admin.get(f"/admin/platforms/{platform_id}/edit")
    saved = admin.post(f"/admin/platforms/{platform_id}/edit", data={
        "csrf_token": csrf_token(page.data), "name": "Moodle",
        "auth_login_url": platform.issuer + "/mod/lti/auth.php",
        "auth_token_url": platform.issuer + "/mod/lti/token.php",
        "key_set_url": platform.jwks_url, "deployment_ids": "2"})
    assert saved.status_code == 303, saved.text

    refused = signed_launch(client, platform, sub="after-edit")  # deployment 1 is gone
    assert refused.response.status_code == 403
    assert b"unknown_deployment" in refused.response.data
    allowed = signed_launch(client, platform, sub="after-edit", **{LTI + "deployment_id": "2"})
    assert allowed.response.status_code == 200


def test_a_removed_platform_is_refused_at_once(app, client, platform):
    _warm(client, platform)
    with app.app_context():
        db.session.delete(db.session.scalars(sa.select(Platform)).one())
        db.session.commit()
    response, _, _ = start_login(client, platform)
    assert response.status_code == 400


def test_another_process_change_is_seen_within_the_cache_lifetime(app, client, platform,
                                                                 monkeypatch):
    """A change this process did not commit (another worker's) reaches it when the entry
    expires: LTI_REGISTRATION_CACHE_SECONDS at most."""
    clock = FakeClock(monkeypatch)
    _warm(client, platform)
    assert start_login(client, platform)[0].status_code == 302  # cached from here
    with app.app_context(), db.engine.begin() as connection:  # not through the ORM session
        connection.execute(sa.delete(Platform.__table__))
    assert start_login(client, platform)[0].status_code == 302  # still cached here
    clock.advance(app.config["LTI_REGISTRATION_CACHE_SECONDS"] + 1)
    assert start_login(client, platform)[0].status_code == 400


def test_each_registration_of_an_issuer_has_its_own_entry(app, client, platform):
    """Two client ids of one issuer: each launch is validated against its own registration
    (its own deployments), whatever the cache holds for the other."""
    from tests.support.platform import PlatformDouble

    other = PlatformDouble(issuer=platform.issuer, client_id="second-client", deployment_id="9")
    try:
        with app.app_context():
            other.register()
        assert signed_launch(client, platform, sub="a").response.status_code == 200
        assert signed_launch(client, other, sub="b").response.status_code == 200
        crossed = signed_launch(client, other, sub="c", **{LTI + "deployment_id": "1"})
        assert crossed.response.status_code == 403
        with app.app_context():
            people = db.session.execute(sa.select(Person.subject, Platform.client_id)
                                        .join(Platform)).all()
        assert sorted(people) == [("a", platform.client_id), ("b", "second-client")]
    finally:
        other.close()


def test_process_caches_are_bounded_and_expire(monkeypatch):
    clock = FakeClock(monkeypatch)
    cache = caches.ProcessCache(ttl=10, size=3)
    for n in range(5):
        cache.put(n, str(n))
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) == "4"
    clock.advance(10)
    assert cache.get(4) is None


@pytest.mark.parametrize("follows", [True, False])
def test_a_committed_registration_change_empties_the_following_caches(follows):
    cache = caches.ProcessCache(ttl=60, size=3, follows_registrations=follows)
    cache.put("key", "value")
    caches.forget_all()
    assert (cache.get("key") is None) is follows


def test_a_state_is_marked_used_by_one_launch_only(app):
    """Launches racing with one state: exactly one marks it used (the others are replays)."""
    def claim() -> bool:
        won = DatabaseLaunchDataStorage().claim("used-state-raced", exp=300)
        db.session.commit()
        return won

    assert sorted(race(app, claim)) == [False, False, True]


def test_a_read_older_than_a_committed_change_is_not_kept():
    cache = caches.ProcessCache(ttl=60, size=3)
    read_at = caches.generation()
    caches.forget_all()  # another request of this process commits meanwhile
    cache.put("key", "read before the change", read_at=read_at)
    assert cache.get("key") is None
