"""A seeded program for the load bench: a fresh schema, the tool's key, the sandbox set up and
`seed_cohort` (lti_tool/sandbox/seed.py, what `flask sandbox seed` runs) with a semester of
activity, then the sandbox's registration pointed at the platform double's JWKS, so that the
double's id_tokens launch the seeded people into the seeded program.

    python -m bench.program '{"database_url": ..., "base_url": ..., "key_set_url": ...,
                              "learners": 250, "mentors": 60, "weeks": 8}'

Run in its own process (bench/load.py does): the sandbox is development code, never loaded by
the production app the bench then serves. Prints one JSON object: the platform (issuer,
client_id, deployment_id), the course and resource link the launches name, the staff
member's subject, and each learner's subject with their pair's id (null if unpaired).
"""

import json
import sys

import sqlalchemy as sa

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London",
         "America/Sao_Paulo", "Asia/Kolkata", "Australia/Sydney")


def seed(options: dict) -> dict:
    from lti_tool import create_app
    from lti_tool.courses.models import Person, ResourceLink
    from lti_tool.extensions import db
    from lti_tool.lti import keys
    from lti_tool.pairs.models import Pair
    from lti_tool.sandbox.seed import STAFF_USER_ID, SeedOptions, seed_cohort
    from lti_tool.sandbox.setup import setup_sandbox

    app = create_app({"SQLALCHEMY_DATABASE_URI": options["database_url"],
                      "BASE_URL": options["base_url"],
                      "SANDBOX_URL": options["base_url"] + "/sandbox"}, env="testing")
    with app.app_context():
        db.drop_all()
        db.create_all()
        keys.ensure_key()
        setup_sandbox(options["base_url"])
        seeded = seed_cohort(SeedOptions(options["learners"], options["mentors"], ZONES,
                                         options["weeks"], seed=1))
        link = db.session.get_one(ResourceLink, seeded.resource_link_id)
        course, platform = link.course, link.course.platform
        platform.key_set_url = options["key_set_url"]
        pairs = dict(db.session.execute(sa.select(Pair.mentee_id, Pair.id).where(
            Pair.program_id == seeded.program_id, Pair.status == "active")).all())
        learners = [{"subject": subject, "pair": pairs.get(person_id)}
                    for subject, person_id in db.session.execute(
                        sa.select(Person.subject, Person.id).where(
                            Person.platform_id == platform.id,
                            Person.username.like("seed.learner%")).order_by(Person.id))]
        described = {"issuer": platform.issuer, "client_id": platform.client_id,
                     "deployment_id": link.deployment.deployment_id,
                     "context": {"id": course.context_id, "label": course.label,
                                 "title": course.title, "type": ["CourseSection"]},
                     "resource_link": {"id": link.link_id, "title": link.title},
                     "staff": STAFF_USER_ID, "learners": learners}
        db.session.commit()
        db.engine.dispose()
    return described


if __name__ == "__main__":
    print(json.dumps(seed(json.loads(sys.argv[1]))))
