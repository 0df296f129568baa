"""Django's ``{# … #}`` comment ends at the end of its line: one left open over two lines is
printed on the page as text (the phone-order screen showed one under its lines). Longer
comments use ``{% comment %}``."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPEN_COMMENT = re.compile(r"\{#(?!.*#\}).*$", re.MULTILINE)


def _templates():
    skip = {".venv", "var", "node_modules", ".git"}
    for path in ROOT.rglob("*.html"):
        if not skip.intersection(path.relative_to(ROOT).parts):
            yield path


def test_no_template_comment_runs_over_a_line():
    open_comments = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in _templates()
        for text in [path.read_text(encoding="utf-8")]
        for match in OPEN_COMMENT.finditer(text)
    ]
    assert open_comments == []


def test_the_check_sees_a_comment_left_open():
    assert OPEN_COMMENT.search("{# one line\n   and another #}")
    assert not OPEN_COMMENT.search("{# one line #}\n")
