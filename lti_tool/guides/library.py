"""The built-in library: one Markdown file per guide in `library/`, each opening with a small
header (`title:` and `week:` between `---` lines) followed by four sections: Purpose,
Discussion questions, Exercise and Resources. The file name, less its ordering number, is the
guide's key; the numbers give the suggested order."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "library"
SECTIONS = ("Purpose", "Discussion questions", "Exercise", "Resources")
_HEADER = re.compile(r"\A---\n(?P<header>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class BuiltinGuide:
    key: str  # stable: programs remember which built-in a copy came from
    title: str
    week: int | None
    body: str


@cache
def builtin_guides() -> tuple[BuiltinGuide, ...]:
    """The library in its suggested order."""
    return tuple(_read(path) for path in sorted(FOLDER.glob("*.md")))


def builtin(key: str) -> BuiltinGuide | None:
    return next((guide for guide in builtin_guides() if guide.key == key), None)


def _read(path: Path) -> BuiltinGuide:
    match = _HEADER.match(path.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{path.name}: the guide has no '---' header")
    fields = dict(line.split(":", 1) for line in match["header"].splitlines() if ":" in line)
    fields = {name.strip(): value.strip() for name, value in fields.items()}
    week = fields.get("week")
    return BuiltinGuide(key=path.stem.split("-", 1)[1], title=fields["title"],
                        week=int(week) if week else None, body=match["body"].strip() + "\n")
