"""The home page's claims (docs/index.md)."""

from __future__ import annotations

import re

import course

SNIPPET = "snippets/index/premier_exemple.py"
WORDS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10}


def test_comment_counts_the_tasks_it_launches():
    code, _ = course.section_code(SNIPPET, "tache")
    said = re.search(r"# (\w+) tâches lancées", code)
    assert said, "le commentaire « N tâches lancées » a disparu : mettez à jour ce test et tests/README.md"
    launched = re.search(r"carre\.remote\(i\) for i in range\((\d+)\)", code)
    assert WORDS[said[1].lower()] == int(launched[1])
