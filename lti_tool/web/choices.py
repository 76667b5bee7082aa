"""Select options for WTForms, which deprecates (value, label) tuples from 3.3 on."""

from collections.abc import Iterable

# types-WTForms describes WTForms 3.2; SelectChoice is new in 3.3 (the version installed).
from wtforms import SelectChoice  # type: ignore[attr-defined]


def choices(items: Iterable) -> list[SelectChoice]:
    """Options from (value, label) pairs or plain strings (value and label alike)."""
    return [SelectChoice(item) if isinstance(item, str) else SelectChoice(*item)
            for item in items]
