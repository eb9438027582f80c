"""Re-extract the teaching page's messages and merge them into the Chinese catalogue.

    python scripts/update_translations.py           # write messages.pot, update zh/messages.po
    python scripts/update_translations.py --check   # also exit 1 if a message lacks a translation

Two sources of message ids, merged into ``simulation/teaching/locales/messages.pot``:

1. Babel's extraction (``pybabel extract -F babel.cfg -k _ -k N_``) of every ``_()`` / ``N_()``
   call in ``simulation/teaching/*.py`` — the standard source once the page wraps its texts;
2. the texts the page still shows as plain string literals (labels, explanations, group names,
   preset labels, titles and status texts of ``controls.py`` and ``app.py``), read from the
   source with :mod:`ast`, so the catalogue covers them before they are wrapped.  f-strings
   become ``{name}`` placeholders.  This harvest only adds ids; after the texts are wrapped it
   finds nothing Babel has not already found.

The Chinese catalogue is then updated as ``pybabel update`` does (new ids added untranslated,
translations kept, ids no longer in the template kept as obsolete ``#~`` entries, so a text the
page drops and later brings back is not lost), and every id without a translation is listed.
"""

from __future__ import annotations

import argparse
import ast
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
HARVESTED = ("controls.py", "app.py")
"""Modules whose plain string literals are harvested (see the module docstring)."""

# Plain literals that are not shown text: matplotlib/CSS options, widget kinds, config values.
_NOT_TEXT = re.compile(r"^(#|ss-|levers\.|processes|world\.|upper left$|best$|equal$|off$|tight$|png$|Agg$|View$|"
                       r"Checkbox$|Select$|SliderInt$|SliderFloat$|InputText$|weakref\.)")


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


def _placeholder(node: ast.FormattedValue) -> str:
    expr = node.value
    if isinstance(expr, ast.Call):
        return "{n}"
    name = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "value")
    return "{" + name + "}"


def _is_text(s: str) -> bool:
    return bool(re.search(r"[A-Za-z]{2}", s)) and (" " in s or s[:1].isupper()) and not _NOT_TEXT.match(s) \
        and not re.fullmatch(r"[a-z0-9_.{}]+", s) and not s.startswith("|")


def harvest(path: Path) -> list[tuple[str, int]]:
    """Shown texts written as plain literals in ``path`` (docstrings, dict keys, subscripts,
    already-wrapped calls and non-text options skipped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))  # docstrings
        if isinstance(node, ast.Dict):
            skip.update(id(k) for k in node.keys if k is not None)
        if isinstance(node, ast.Subscript):
            skip.add(id(node.slice))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # attribute docstrings
        if isinstance(node, ast.Raise):
            skip.update(id(n) for n in ast.walk(node))  # error messages for developers
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in KEYWORDS:
            skip.update(id(a) for a in node.args)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(getattr(t, "id", "").isupper() and "FILE" in t.id or getattr(t, "id", "") == "CLASSROOM_CONFIG" for t in node.targets):
            skip.add(id(node.value))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and id(node) not in skip:
            skip.update(id(v) for v in node.values)
            text = "".join(v.value if isinstance(v, ast.Constant) else _placeholder(v) for v in node.values)
            if _is_text(text.replace("{", "").replace("}", "")) and re.sub(r"\{\w+\}", "", text).strip(" —:·"):
                found.append((text, node.lineno))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip and _is_text(node.value):
            found.append((node.value, node.lineno))
    return found


def member_labels() -> list[str]:
    """Texts composed or declared as data in ``controls.py`` (checkbox labels such as "Recruit
    university students", a choice's plain words, list members): imported, not parsed."""
    try:
        from simulation.teaching import controls
    except Exception:  # the page is being rewritten: the parsed literals still cover its parts
        return []
    texts = [c.label for c in getattr(controls, "CONTROLS", []) if getattr(c, "member", None) is not None]
    texts += [e for c in getattr(controls, "CONTROLS", []) for e in getattr(c, "explain", ())]  # "evenly"
    for table in ("SECTOR_LABELS", "CONTENT_LABELS"):
        texts += list(getattr(controls, table, {}).values())
    return texts


def template() -> Catalog:
    files = sorted(PACKAGE.glob("*.py"))
    cat = Catalog(project="Community Safety Governance Simulator — teaching page", charset="utf-8", fuzzy=False)
    for message, filename, lineno in babel_messages(files):
        cat.add(message, locations=[(filename, lineno)])
    for name in HARVESTED:
        path = PACKAGE / name
        if path.exists():
            for message, lineno in harvest(path):
                if message not in cat:
                    cat.add(message, locations=[(f"simulation/teaching/{name}", lineno)],
                            auto_comments=["plain literal in the page, not yet wrapped in _()"])
                elif not any(loc[0].endswith(name) for loc in cat[message].locations):
                    cat[message].locations.append((f"simulation/teaching/{name}", lineno))
    for label in member_labels():
        if label not in cat:
            cat.add(label, locations=[("simulation/teaching/controls.py", 0)], auto_comments=["shown text declared as data in controls.py"])
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
