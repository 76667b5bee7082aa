"""Input bounds checked before any view runs, so that what no page can use never reaches the
database driver or a form as a 500:

- an id in a URL beyond the database's integer range (PostgreSQL `integer`, 2**31 - 1): the
  page cannot exist, a 404;
- a NUL character (U+0000) in the path, the query string, a form or a JSON body: PostgreSQL
  text cannot hold one and no person types one, a 400;
- a file part in a multipart body: no page of the tool takes files, and Flask-WTF would hand
  the file to a text field (a `TypeError` deep in WTForms), a 400.

A body larger than `MAX_CONTENT_LENGTH` (config/default.py) is refused by Flask itself as a
413 when it is first read; lti_tool/errors.py words it.
"""

from flask import Flask, abort, request
from flask_babel import gettext

MAX_ID = 2**31 - 1
NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    app.before_request(check_path_ids)
    app.before_request(refuse_nul)
    app.before_request(refuse_files)


def check_path_ids() -> None:
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID:
            abort(404)


def refuse_nul() -> None:
    fields = [request.path, *_items(request.args)]
    if request.mimetype in FORM_TYPES:
        fields += _items(request.form)
    if any(NUL in field for field in fields) or (request.is_json and _json_has_nul(
            request.get_json(silent=True))):
        abort(400, gettext("The request contains a character (NUL) that no field accepts."))


def refuse_files() -> None:
    # Werkzeug files every part that names a filename, even an empty one, under request.files.
    if request.mimetype == "multipart/form-data" and request.files:
        abort(400, gettext("The request carries a file, and no page of Pairwise accepts "
                           "files. Send the form again without one."))


def _items(multidict) -> list[str]:
    return [text for key, value in multidict.items(multi=True) for text in (key, value)]


def _json_has_nul(value, depth: int = 0) -> bool:
    if depth > 64:  # deeper than any body the tool reads
        return False
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_json_has_nul(k, depth + 1) or _json_has_nul(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v, depth + 1) for v in value)
    return False
