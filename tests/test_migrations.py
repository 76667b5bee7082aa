"""`flask db upgrade` builds exactly the schema the models describe, on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from lti_tool import _not_sandbox
from lti_tool.extensions import db
from tests.support import database


def test_migrations_match_models(app):
    with app.app_context():
        database.forget(app.config["SQLALCHEMY_DATABASE_URI"])  # made again after this test
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": _not_sandbox, "compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"lti_platform", "lti_launch_data", "web_session", "enrolment"} <= tables
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE alembic_version"))
        # Leave the schema the other tests expect (the sandbox's tables included).
        db.drop_all()
        db.create_all()
