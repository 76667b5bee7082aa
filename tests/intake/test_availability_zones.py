"""The zone list (lti_tool/intake/zones.py): current canonical names grouped by region, no
backward-compatible aliases, and every alias mapped to its current name."""

from datetime import UTC, datetime

import pytest

from lti_tool.intake import zones

WINTER_NOON = datetime(2027, 1, 4, 12, tzinfo=UTC)
SUMMER_NOON = datetime(2027, 7, 5, 12, tzinfo=UTC)


def test_the_list_has_no_aliases():
    assert "UTC" in zones.ZONES and zones.ZONES[0] == "UTC"
    assert all(zones.canonical(name) == name for name in zones.ZONES)
    assert "Europe/Oslo" in zones.ZONE_SET  # a country's own zone, though tzdata links it
    for alias in ("Africa/Asmera", "Asia/Calcutta", "Europe/Kiev", "America/Buenos_Aires",
                  "US/Eastern", "Etc/GMT+5", "Etc/UTC", "Japan", "GB", "EST5EDT"):
        assert alias not in zones.ZONE_SET, alias
    assert not [name for name in zones.ZONES if name.startswith(("Etc/", "US/", "SystemV/"))]
    assert 400 < len(zones.ZONES) < 450


def test_the_list_is_grouped_by_region_in_order():
    groups = zones.zone_groups("en", WINTER_NOON)
    assert [key for key, _ in groups] == list(zones.REGIONS)
    for key, entries in groups:
        assert entries, key
        assert all(zones.region(name) == key for name, _ in entries)
        labels = [label.casefold() for _, label in entries]
        assert labels == sorted(labels)
    assert sum(len(entries) for _, entries in groups) == len(zones.ZONES)


@pytest.mark.parametrize(("name", "when", "label"), [
    ("Asia/Tokyo", WINTER_NOON, "Tokyo (UTC+09:00)"),
    ("Asia/Kathmandu", WINTER_NOON, "Kathmandu (UTC+05:45)"),
    ("America/New_York", WINTER_NOON, "New York (UTC\u221205:00)"),
    ("America/New_York", SUMMER_NOON, "New York (UTC\u221204:00)"),
    ("UTC", SUMMER_NOON, "UTC (UTC)"),
])
def test_each_zone_shows_its_city_and_current_offset(name, when, label):
    labels = dict(entry for _, entries in zones.zone_groups("en", when) for entry in entries)
    assert labels[name] == label


def test_city_names_follow_the_locale():
    labels = dict(entry for _, entries in zones.zone_groups("de", WINTER_NOON)
                  for entry in entries)
    assert labels["Europe/Vienna"] == "Wien (UTC+01:00)"


@pytest.mark.parametrize(("alias", "name"), [
    ("Asia/Calcutta", "Asia/Kolkata"), ("Europe/Kiev", "Europe/Kyiv"),
    ("US/Eastern", "America/New_York"), ("Japan", "Asia/Tokyo"), ("Etc/UTC", "UTC"),
    ("GMT", "UTC"), ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("Asia/Tokyo", "Asia/Tokyo"), ("Etc/GMT+5", None), ("Nowhere/Atlantis", None), ("", None),
])
def test_aliases_map_to_current_names(alias, name):
    assert zones.canonical(alias) == name
