"""URLs for the rows of a table: a staff page of 250 learners asks for 500 links to the same
route, each a full `url_for` (the route's converters, the session token, quoting; ~10 µs).
`row_url` builds the URL once, with a placeholder where the row's id goes, and each row's
link is then that URL with its id put in."""

from collections.abc import Callable
from typing import Any

from flask import Flask, url_for

# An id no row has; an int, as the routes' converters (<int:...>) ask.
_PLACEHOLDER = 918273645546372819


def init_app(app: Flask) -> None:
    app.add_template_global(row_url)


def row_url(endpoint: str, key: str, **values) -> Callable[[int], str]:
    """`row_url("grades.person", "person_id")(7) == url_for("grades.person", person_id=7)`
    for an integer id that is part of the route's path."""
    with_placeholder: dict[str, Any] = {**values, key: _PLACEHOLDER}
    built = url_for(endpoint, **with_placeholder)
    path, question, query = built.partition("?")
    head, found, tail = path.partition(str(_PLACEHOLDER))
    if not found or str(_PLACEHOLDER) in tail + query:
        raise ValueError(f"{key} is not once in the path of {endpoint}")
    rest = f"{tail}{question}{query}"
    return lambda row_id: f"{head}{int(row_id)}{rest}"
