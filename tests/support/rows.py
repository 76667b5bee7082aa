"""Row factories for tests that build the database directly instead of launching."""

from lti_tool.extensions import db
from lti_tool.lti.models import Platform

LMS = "https://lms.example.edu"


def platform_row(client_id: str = "client-1", issuer: str = LMS) -> Platform:
    """A registered platform, flushed so that its id can be used."""
    platform = Platform(issuer=issuer, client_id=client_id, auth_login_url=f"{issuer}/auth",
                        auth_token_url=f"{issuer}/token", key_set_url=f"{issuer}/jwks")
    db.session.add(platform)
    db.session.flush()
    return platform
