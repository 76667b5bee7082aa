"""`N_` marks an English message for the translation catalogue without translating it, so that
pure modules (no Flask: matching, meeting times and links) can name their messages; the page
that shows one translates it (`gettext(str(error))`, or `|translate` in a template). README,
"Languages"."""


def N_(message: str) -> str:
    return message
