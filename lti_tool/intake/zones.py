"""The time zones a person can choose: current canonical names only, grouped by region.

The list is tzdata's `zone.tab` (one zone per country region, under its current name:
`Asia/Kolkata`, `Africa/Asmara`, `Europe/Kyiv`) plus `UTC`; the backward-compatible aliases
(`Asia/Calcutta`, `US/Eastern`, `Etc/GMT+5`, `Japan`) are left out. They still read: an alias
saved earlier, sent by an LMS or by a browser (Chrome says `Asia/Calcutta`) becomes its
current name through tzdata's links (`canonical`). Labels are CLDR's localized exemplar
cities (Babel) with the zone's offset now; both are computed once per locale and hour.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_timezone_location

# Regions in the order the picker shows them (zone.tab's first path component).
REGIONS = ("UTC", "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "Etc/UCT", "Etc/Universal", "Etc/Zulu",
                       "Etc/Greenwich", "GMT", "UCT", "Universal", "Zulu", "Greenwich",
                       "GMT0", "GMT+0", "GMT-0", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0"})


def _tzdata_text(name: str) -> str:
    return files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")


def _zone_tab() -> tuple[str, ...]:
    names = {line.split("\t")[2] for line in _tzdata_text("zone.tab").splitlines()
             if line and not line.startswith("#")}
    return ("UTC", *sorted(names & KNOWN_ZONES))


def _links() -> dict[str, str]:
    """tzdata's links, alias → target (`L target alias` lines of tzdata.zi)."""
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return links


KNOWN_ZONES = frozenset(available_timezones())  # every name tzdata knows, aliases included
ZONES: tuple[str, ...] = _zone_tab()
ZONE_SET = frozenset(ZONES)
LINKS = _links()


def canonical(name: str | None) -> str | None:
    """The current canonical name for a zone name or alias; None when tzdata does not know it
    or it has no place in the list (e.g. `Etc/GMT+5`, a fixed offset without a place)."""
    if not name:
        return None
    if name in ZONE_SET:
        return name
    if name in UTC_NAMES:
        return "UTC"
    target = name
    for _ in range(4):  # links do not chain in tzdata, but stay safe if they ever do
        if target not in LINKS:
            break
        target = LINKS[target]
    return target if target in ZONE_SET else None


def region(name: str) -> str:
    return name.split("/", 1)[0]


def offset_label(name: str, when: datetime) -> str:
    """ "UTC+09:00", "UTC−03:30", "UTC" for the zone at `when`."""
    offset = when.astimezone(ZoneInfo(name)).utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def current_hour() -> datetime:
    """Now, to the hour: the cache key under which offsets are fresh (they change on the
    hour or half hour)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@lru_cache(maxsize=64)
def zone_groups(locale: str, hour: datetime) -> tuple[tuple[str, tuple[tuple[str, str], ...]],
                                                      ...]:
    """((region, ((zone name, "City (UTC+hh:mm)"), ...)), ...) in REGIONS order, each region
    sorted by its localized city name."""
    grouped: dict[str, list[tuple[str, str]]] = {key: [] for key in REGIONS}
    for name in ZONES:
        city = "UTC" if name == "UTC" else get_timezone_location(name, locale,
                                                                 return_city=True)
        grouped[region(name)].append((name, f"{city} ({offset_label(name, hour)})"))
    return tuple((key, tuple(sorted(zones, key=lambda zone: zone[1].casefold())))
                 for key, zones in grouped.items() if zones)
