"""A forged session cookie (odd characters, NUL bytes, huge) is an anonymous visitor, never
a crash: the id is checked for the shape Pairwise gives ids before the database sees it."""

import pytest


@pytest.mark.parametrize("value", ["abc\x00def", "x" * 3000, "'; DROP TABLE web_session;--",
                                   "é" * 43])
def test_forged_session_cookies_are_anonymous(app, client, value):
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    response = client.get("/")
    assert response.status_code == 401
