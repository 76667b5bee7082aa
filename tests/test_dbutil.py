"""dbutil.read_once: a list a request asks for several times is read once, and read again as
soon as the session writes, commits or rolls back (the rows may have changed or expired)."""

import sqlalchemy as sa

from lti_tool.dbutil import read_once
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from tests.support.rows import platform_row
from tests.support.statements import StatementLog


def _issuers() -> list[str]:
    return list(read_once("issuers", lambda: list(db.session.scalars(
        sa.select(Platform.issuer).order_by(Platform.issuer)))))


def test_a_second_ask_reads_nothing_and_gets_its_own_list(app):
    with app.app_context():
        db.session.add(platform_row(issuer="https://a.example"))
        db.session.commit()
        with StatementLog() as log:
            first = _issuers()
            first.append("changed by a caller")
            second = _issuers()
        assert len(log.reads_of("lti_platform")) == 1
        assert second == ["https://a.example"]


def test_a_flush_commit_or_rollback_forgets_what_was_read(app):
    with app.app_context():
        db.session.add(platform_row(issuer="https://a.example"))
        db.session.commit()
        assert _issuers() == ["https://a.example"]
        db.session.add(platform_row("client-2", issuer="https://b.example"))
        db.session.flush()
        assert _issuers() == ["https://a.example", "https://b.example"]
        db.session.rollback()
        assert _issuers() == ["https://a.example"]
        db.session.add(platform_row("client-3", issuer="https://c.example"))
        db.session.commit()
        with StatementLog() as log:
            assert _issuers() == ["https://a.example", "https://c.example"]
        assert len(log.reads_of("lti_platform")) == 1


def test_a_pending_change_is_flushed_before_reading(app):
    with app.app_context():
        db.session.add(platform_row(issuer="https://a.example"))
        db.session.commit()
        assert _issuers() == ["https://a.example"]
        platform = db.session.scalars(sa.select(Platform)).one()
        platform.issuer = "https://renamed.example"  # not flushed yet
        assert _issuers() == ["https://renamed.example"]
        db.session.add(Platform(issuer="https://b.example", client_id="client-2",
                                auth_login_url="x", auth_token_url="x", key_set_url="x"))
        assert _issuers() == ["https://b.example", "https://renamed.example"]


def test_without_autoflush_it_reads_every_time(app):
    with app.app_context(), db.session.no_autoflush:
        with StatementLog() as log:
            _issuers()
            _issuers()
        assert len(log.reads_of("lti_platform")) == 2


def test_each_request_reads_afresh(app):
    with app.app_context():
        db.session.add(platform_row(issuer="https://a.example"))
        db.session.commit()
        _issuers()
    with app.app_context(), StatementLog() as log:
        assert _issuers() == ["https://a.example"]
    assert len(log.reads_of("lti_platform")) == 1
