"""The language of each page: the launch's `locale` claim inside a launch, the browser's
Accept-Language outside one (admin, errors), English when nothing we have fits.

English is the source language: the msgids are the English text, so English needs no
catalogue. Other languages live in `lti_tool/translations/<locale>/LC_MESSAGES/messages.po`
(README, "Languages").
"""

import re
from pathlib import Path

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_gettext as _lazy  # for msgids held in variables (not extracted)

from lti_tool.catalogue import N_  # noqa: F401 - labels in models and services
from lti_tool.extensions import babel

DEFAULT_LOCALE = "en"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
_SEPARATORS = re.compile(r"[-_]")
# How a Pairwise role (lti_tool.courses.models.Role's values) reads on a page.
ROLE_NAMES = {"staff": _l("Staff"), "mentor": _l("Mentor"), "learner": _l("Learner")}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    if not app.config.get("BABEL_TRANSLATION_DIRECTORIES"):
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=select_locale)
    # `{% trans %}` blocks: line breaks in the template are not part of the msgid (as in
    # babel.cfg's `trimmed`), so that re-wrapping a template does not change its messages.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by ext.i18n
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.context_processor(lambda: {"html_lang": html_lang()})
    app.add_template_filter(role_name)
    app.add_template_filter(translate)


def _translations() -> NullTranslations:
    """The translations of the locale in force, for the templates' `_()` and `{% trans %}`.
    Flask-Babel's own callables look the locale and its catalogue up again for every text
    (5 of the 9 microseconds each text cost; a page has hundreds). They are kept here in
    Flask-Babel's per-request namespace, in the slot its `force_locale` and `refresh` reset
    and restore, so that an e-mail rendered in its recipient's language still is."""
    babel_context = g.get("_flask_babel") if g else None
    cached = getattr(babel_context, "babel_translations", None)
    if cached is None:
        cached = get_translations()
        babel_context = g.get("_flask_babel") if g else None  # made by that lookup
        if babel_context is not None:
            babel_context.babel_translations = cached
    return cached


def available_locales() -> tuple[str, ...]:
    """The locales with a compiled catalogue, English first; read once per app."""
    cached = current_app.extensions.get("pairwise_locales")
    if cached is None:
        found = {str(locale) for locale in babel.list_translations()}
        cached = (DEFAULT_LOCALE, *sorted(found - {DEFAULT_LOCALE}))
        current_app.extensions["pairwise_locales"] = cached
    return cached


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring)."""
    if not has_request_context():  # CLI commands, the notification sender
        return DEFAULT_LOCALE
    available = available_locales()
    if g.get("enrolment") is not None:
        claimed = session.get("locale") or g.enrolment.person.locale
        match = match_locale(claimed, available)
        if match:
            return match
    return request.accept_languages.best_match(available) or DEFAULT_LOCALE


def match_locale(value: str | None, available: tuple[str, ...]) -> str | None:
    """The available locale for an LMS's locale string: "es-ES", "en_US", "pt_br" (Moodle),
    matched exactly first, then by its language ("es-ES" → "es"); None when neither is there."""
    normalised = normalise(value)
    if not normalised:
        return None
    by_key = {locale.lower(): locale for locale in available}
    language = normalised.split("_")[0]
    return by_key.get(normalised.lower()) or by_key.get(language.lower())


def normalise(value: str | None) -> str:
    """ "pt-br" → "pt_BR", "zh-hant-TW" → "zh_Hant_TW", "EN" → "en"; "" when not a locale."""
    parts = [p for p in _SEPARATORS.split((value or "").strip()) if p]
    if not parts or not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        return ""
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) in (2, 3) and part.isalnum():
            out.append(part.upper())
        else:
            break
    return "_".join(out)


def html_lang() -> str:
    """The chosen locale as a BCP 47 tag for `<html lang>` ("pt_BR" → "pt-BR")."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale is not None else DEFAULT_LOCALE


def translated(labels: dict) -> dict:
    """A mapping of N_-marked English labels, each shown in the page's language."""
    return {key: _lazy(value) for key, value in labels.items()}


def translate(text: str) -> str:
    """`{{ label|translate }}`: an N_-marked English text (held in a variable) in the page's
    language; unknown texts are shown as they are."""
    return gettext(text) if text else text


def role_name(role) -> str:
    """ "Mentor" for Role.MENTOR (or "mentor"), in the page's language."""
    value = getattr(role, "value", role)
    return str(ROLE_NAMES.get(value, str(value).capitalize()))
