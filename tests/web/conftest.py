from tests.meetings.test_pair_meetings import pair  # noqa: F401 (a published pair fixture)
