import pytest

from tests.platform_double import PlatformDouble


@pytest.fixture
def platform(app):
    double = PlatformDouble()
    with app.app_context():
        double.register()
    yield double
    double.close()
