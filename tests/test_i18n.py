"""The teaching page's Chinese catalogue covers every message of the page, with matching placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from simulation.teaching.i18n import LOCALE_DIR, catalogue, normalise, translator

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "simulation" / "teaching"
PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po"


def _zh_entries() -> dict[str, object]:
    with open(PO, "rb") as fh:
        return {m.id: m for m in read_po(fh, locale="zh") if m.id}


def _extracted() -> set[str]:
    """Every msgid of a _() or N_() call in simulation/teaching/*.py, by Babel's extractor."""
    found = set()
    for filename, _line, message, _c, _ctx in extract_from_dir(str(PACKAGE), method_map=[("*.py", "python")],
                                                              keywords={"_": None, "N_": None}):
        if "/" not in filename and isinstance(message, str) and message:
            found.add(message)
    return found


def _placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def _check(ids: set[str]) -> None:
    entries = _zh_entries()
    missing = sorted(i for i in ids if i not in entries or not entries[i].string)
    fuzzy = sorted(i for i in ids if i in entries and entries[i].fuzzy)
    assert not missing, f"no Chinese translation for {missing}"
    assert not fuzzy, f"fuzzy Chinese translation for {fuzzy}"
    for msgid in ids:
        zh = entries[msgid].string
        assert _placeholders(zh) == _placeholders(msgid), f"placeholders differ: {msgid!r} -> {zh!r}"
        assert zh != msgid or not re.search("[A-Za-z]{3}", msgid), f"not translated: {msgid!r}"


def test_every_extracted_message_has_a_chinese_translation():
    ids = _extracted()
    assert "Guided exercise" in ids and "It goes up" in ids  # the extraction sees the panel's texts
    _check(ids)


def _update_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("update_translations", REPO / "scripts" / "update_translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_template_is_the_extraction_only():
    """The script's template is exactly Babel's extraction of _() / N_(): texts declared as data
    (checkbox labels, a choice's plain words, group and panel titles) are wrapped in N_() and
    extracted, and plain literals (CSS, environment variable names, HTML) are not harvested."""
    ids = {m.id for m in _update_script().template() if m.id}
    assert ids == _extracted()
    assert {"Where patrols go", "Recruit university students", "evenly", "Status quo", "Training (path 1.2)"} <= ids
    assert not any(i.startswith("<") or "px;" in i or i.startswith("SAFETYSIM_") for i in ids)
    _check(ids)


def test_messages_are_wrapped_where_shown():
    """What the page shows through _() at run time comes out Chinese (labels are msgids, not built)."""
    from simulation.teaching import controls

    zh = translator("zh")
    for control in controls.CONTROLS:
        assert zh(control.label) != control.label or not re.search("[A-Za-z]{3}", control.label), control.label
        for words in control.explain:
            assert zh(words) != words, words
    assert zh("Day {day} of {days}").format(day=3, days=90) == "第3天（共90天）"


def test_template_is_current():
    """messages.pot lists what the extraction finds now (run scripts/update_translations.py)."""
    with open(LOCALE_DIR / "messages.pot", "rb") as fh:
        pot = {m.id for m in read_po(fh) if m.id}
    assert _extracted() <= pot


def test_language_codes_and_lookup():
    assert normalise("zh-CN") == "zh" and normalise("zh_Hans") == "zh" and normalise("ZH") == "zh"
    assert normalise("fr") == "en" and normalise(None) == "en"
    zh = translator("zh-CN")
    assert zh("Where patrols go") == "巡逻力量投向" != "Where patrols go"
    assert zh("Path 2: construct governance systems") == "路径二：构建治理体系"
    assert zh("a text nobody wrote") == "a text nobody wrote"  # falls back to English
    assert translator("en")("Where patrols go") == "Where patrols go"
    assert catalogue("en") == {}


def test_governance_terms():
    """Key terms use the standard Chinese governance vocabulary."""
    zh = translator("zh")
    assert "治理主体" in zh("Path 1: cultivate governance subjects")
    assert "治理文化" in zh("Path 3: cultivate governance culture")
    assert "治理策略" in zh("Path 4: match governance strategies")
    assert "限制因素" in zh("The five restrictive factors (lowest binds)")
    assert "民警" in zh("police officer") and "义警" in zh("volunteer, active")
