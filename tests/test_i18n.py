"""Languages: the catalogue (lti_tool/translations/messages.pot) lists every marked string, and
a launch's `locale` claim chooses the language of the pages, English when nothing fits."""

from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from lti_tool.extensions import babel
from lti_tool.i18n import match_locale, normalise
from tests.support.apps import dispose, make_app
from tests.support.platform import LTI, start_login

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "lti_tool" / "translations" / "messages.pot"
# The keywords README's `pybabel extract` uses (gettext, ngettext, _ and N_ are Babel's defaults).
KEYWORDS = ("lazy_gettext", "_l", "lazy_ngettext:1,2")

# A pseudo-translation compiled for the test: one template string, one WTForms label (Python,
# lazy), one error page title (Python, outside a launch).
FRENCH = {
    "Skip to content": "Aller au contenu",
    "Tell us about yourself": "Parlez-nous de vous",
    "Your time zone": "Votre fuseau horaire",
    "Page not found": "Page introuvable",
    "no meeting held %(days)s days after the match, and none booked":
        "aucune rencontre %(days)s jours après le jumelage, et aucune de prévue",
}


def _msgids(path: Path) -> set:
    with path.open("rb") as f:
        catalog = read_po(f)
    return {message.id if isinstance(message.id, str) else tuple(message.id)
            for message in catalog if message.id}


def test_the_catalogue_lists_every_marked_string(tmp_path):
    fresh = tmp_path / "messages.pot"
    args = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(fresh)]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    CommandLineInterface().run([*args, str(ROOT)])
    extracted, committed = _msgids(fresh), _msgids(POT)
    missing = sorted(map(str, extracted - committed))
    stale = sorted(map(str, committed - extracted))
    assert not missing and not stale, (
        "lti_tool/translations/messages.pot is out of date: run the `pybabel extract` command "
        f"in README.md ('Languages'). Not in it: {missing[:10]}; no longer used: "
        f"{stale[:10]}")


@pytest.mark.parametrize(("claimed", "available", "chosen"), [
    ("fr-FR", ("en", "fr"), "fr"),
    ("es-ES", ("en", "es"), "es"),
    ("en_US", ("en", "fr"), "en"),
    ("pt_br", ("en", "pt_BR"), "pt_BR"),  # Moodle's spelling
    ("PT-BR", ("en", "pt"), "pt"),
    ("zh-hant-TW", ("en", "zh_Hant_TW"), "zh_Hant_TW"),
    ("de", ("en", "fr"), None),
    ("", ("en", "fr"), None),
    ("99", ("en", "fr"), None),
])
def test_a_launch_locale_is_matched_to_the_available_languages(claimed, available, chosen):
    assert match_locale(claimed, available) == chosen


def test_locale_names_are_normalised():
    assert normalise("pt_br") == "pt_BR"
    assert normalise(" EN-us ") == "en_US"
    assert normalise("sr-latn") == "sr_Latn"
    assert normalise("x") == ""


@pytest.fixture
def app(database_url, tmp_path):
    """The app with a French pseudo-translation compiled into its own translations folder."""
    directory = tmp_path / "translations"
    (directory / "fr" / "LC_MESSAGES").mkdir(parents=True)
    catalog = Catalog(locale="fr")
    for msgid, msgstr in FRENCH.items():
        catalog.add(msgid, msgstr)
    with (directory / "fr" / "LC_MESSAGES" / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    app = make_app(database_url, tmp_path, BASE_URL="http://127.0.0.1:5000",
                    SANDBOX_URL="http://localhost:5000/sandbox",
                    BABEL_TRANSLATION_DIRECTORIES=str(directory))
    with app.app_context():  # compiled catalogues are cached per locale, across apps
        babel.domain_instance.cache.clear()
    yield app
    with app.app_context():
        babel.domain_instance.cache.clear()
    dispose(app)


def _first_page(client, platform, locale, **headers):
    """The intake a new learner's launch answers with; `headers`: the browser's."""
    _, state, nonce = start_login(client, platform)
    token = platform.sign(platform.claims(nonce, **{
        LTI + "launch_presentation": {"locale": locale, "document_target": "iframe"}}))
    page = client.post("/lti/launch", data={"id_token": token, "state": state},
                       headers=headers)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_french_launch_gets_french_pages(client, platform):
    page = _first_page(client, platform, "fr-FR")
    assert '<html lang="fr">' in page
    assert "Aller au contenu" in page and "Skip to content" not in page
    assert "Parlez-nous de vous" in page  # a template
    assert "Votre fuseau horaire" in page  # a form label (lazy, in Python)
    assert "Tell us about yourself" not in page


@pytest.mark.parametrize("locale", ["en-US", "xx-YY", ""])
def test_english_and_unknown_locales_get_english(client, platform, locale):
    page = _first_page(client, platform, locale)
    assert '<html lang="en">' in page
    assert "Tell us about yourself" in page and "Your time zone" in page
    assert "Parlez-nous de vous" not in page


def test_the_browser_language_is_the_fallback_in_a_launch(client, platform):
    page = _first_page(client, platform, "xx-YY", **{"Accept-Language": "fr-CH, de;q=0.5"})
    assert '<html lang="fr">' in page and "Parlez-nous de vous" in page


def test_the_launch_locale_wins_over_the_browser(client, platform):
    page = _first_page(client, platform, "en-GB", **{"Accept-Language": "fr"})
    assert '<html lang="en">' in page and "Tell us about yourself" in page


def test_pages_outside_a_launch_follow_the_browser(client):
    french = client.get("/no-such-page", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert french.status_code == 404
    assert '<html lang="fr">' in french.get_data(as_text=True)
    assert "Page introuvable" in french.get_data(as_text=True)
    other = client.get("/no-such-page", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in other.get_data(as_text=True)
    assert "Page not found" in other.get_data(as_text=True)


def test_health_reasons_are_shown_in_the_page_language(app):
    """The stored reasons keep their message and values, so the dashboard can word them in
    the viewer's language while the export stays English."""
    from flask_babel import force_locale

    from lti_tool.relationships import signals
    from lti_tool.relationships.views import _in_words

    history = signals.PairHistory(today=date(2031, 3, 26), matched_on=date(2031, 3, 1))
    reasons = signals.assess(history).reasons
    first = next(r for r in reasons if r.code == "no_first_meeting")
    assert first.words == "no meeting held 25 days after the match, and none booked"
    with app.test_request_context(), force_locale("fr"):
        words = _in_words((first,))
    assert words == "aucune rencontre 25 jours après le jumelage, et aucune de prévue"


def test_templates_follow_a_forced_language_and_return_to_the_pages(app):
    """The templates' texts come from translations kept for the request (i18n.py
    `_translations`): an e-mail written in its reader's language in the middle of an English
    page is in that language, and the page goes on in English after it."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = "{{ _('Skip to content') }} · {% trans %}Tell us about yourself{% endtrans %}"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string(template) == "Skip to content · Tell us about yourself"
        with force_locale("fr"):
            assert render_template_string(template) == \
                "Aller au contenu · Parlez-nous de vous"
        assert render_template_string(template) == "Skip to content · Tell us about yourself"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert render_template_string(template) == "Aller au contenu · Parlez-nous de vous"
