"""Message catalogues for the teaching page: every text the page shows, in English and Chinese.

Standard gettext practice: the English text is the message id, wrapped in ``_()`` where it is
used (or ``N_()`` where it is only declared, e.g. in a table of labels, and translated later);
the Chinese translations live in ``locales/zh/LC_MESSAGES/messages.po`` (read with Babel).
A test extracts every message id from the page's code and checks that each has a translation.

Use::

    from simulation.teaching.i18n import N_, translator
    _ = translator("zh")
    _("Incidents")            # -> "案件"
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).with_name("locales")


def N_(message: str) -> str:
    """Mark a string for translation without translating it now (the catalogue still lists it)."""
    return message


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """The translations of one language, msgid -> text (empty for English, the source language)."""
    if lang == DEFAULT_LANGUAGE:
        return {}
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        cat = read_po(fh, locale=lang)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}


def translator(lang: str) -> Callable[[str], str]:
    """A gettext-style function for ``lang``; unknown messages fall back to English."""
    table = catalogue(normalise(lang))
    return lambda message: table.get(message, message) if message else message


def normalise(lang: str | None) -> str:
    """'zh-CN', 'zh_Hans', 'zh' -> 'zh'; anything unsupported -> English."""
    code = (lang or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE
