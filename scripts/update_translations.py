"""Re-extract the teaching page's messages and merge them into the Chinese catalogue.

    python scripts/update_translations.py           # write messages.pot, update zh/messages.po
    python scripts/update_translations.py --check   # also exit 1 if a message lacks a translation

The template ``simulation/teaching/locales/messages.pot`` is Babel's extraction (as
``pybabel extract -F babel.cfg -k _ -k N_``) of every ``_()`` / ``N_()`` call in
``simulation/teaching/*.py``.  The page wraps every text it shows (labels declared as data, such
as "Recruit university students", are literal msgids in ``N_()``), so plain string literals are
not read: they are CSS, environment variable names, HTML templates and other non-text values.

The Chinese catalogue is then updated as ``pybabel update`` does (new ids added untranslated,
translations kept, ids no longer in the template kept as obsolete ``#~`` entries, so a text the
page drops and later brings back is not lost), and every id without a translation is listed.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simulation" / "teaching"
LOCALES = PACKAGE / "locales"
TEMPLATE = LOCALES / "messages.pot"
LANGS = ("zh",)
KEYWORDS = {"_": None, "N_": None}


def babel_messages(files: list[Path]) -> list[tuple[str, str, int]]:
    """(msgid, file, line) of every _() / N_() call, by Babel's Python extractor."""
    names = {f.name for f in files}
    out = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map=[("*.py", "python")], keywords=KEYWORDS,
            options_map={"*.py": {"encoding": "utf-8"}}):
        if filename in names and isinstance(message, str) and message:
            out.append((message, f"simulation/teaching/{filename}", lineno))
    return out


def template() -> Catalog:
    files = sorted(PACKAGE.glob("*.py"))
    cat = Catalog(project="Community Safety Governance Simulator — teaching page", charset="utf-8", fuzzy=False)
    for message, filename, lineno in babel_messages(files):
        cat.add(message, locations=[(filename, lineno)])
    return cat


def _undated(text: bytes) -> bytes:
    return re.sub(rb'"(POT-Creation-Date|PO-Revision-Date): [^"]*"', b"", text)


def _write(cat: Catalog, path: Path) -> None:
    """Write atomically (a temporary file renamed over the old one); a file whose content would
    change only in its dates is left alone, so re-running the script leaves no diff."""
    buf = io.BytesIO()
    write_po(buf, cat, width=100, sort_output=False, omit_header=False)
    if path.exists() and _undated(path.read_bytes()) == _undated(buf.getvalue()):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def update(lang: str, tmpl: Catalog) -> list[str]:
    """Merge ``tmpl`` into ``lang``'s catalogue like ``pybabel update``; return untranslated ids."""
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with open(path, "rb") as fh:
            cat = read_po(fh, locale=lang)
        kept = {m.id: m for m in cat.obsolete.values()}
        cat.update(tmpl, no_fuzzy_matching=True)
        for msgid, old in kept.items():  # an id the page brings back gets its translation back
            if msgid in cat and not cat[msgid].string and old.string:
                cat[msgid].string = old.string
                cat.obsolete.pop(msgid, None)
    else:
        cat = Catalog(locale=lang, project=tmpl.project, charset="utf-8", fuzzy=False)
        cat.update(tmpl, no_fuzzy_matching=True)
    _write(cat, path)
    return [m.id for m in cat if m.id and (not m.string or m.fuzzy)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any message lacks a translation")
    args = parser.parse_args(argv)
    tmpl = template()
    _write(tmpl, TEMPLATE)
    print(f"{TEMPLATE.relative_to(ROOT)}: {len(tmpl)} messages")
    missing_any = False
    for lang in LANGS:
        missing = update(lang, tmpl)
        print(f"{lang}: {len(tmpl) - len(missing)} of {len(tmpl)} translated")
        for msgid in missing:
            print(f"  untranslated: {msgid!r}")
        missing_any |= bool(missing)
    return 1 if args.check and missing_any else 0


if __name__ == "__main__":
    sys.exit(main())
