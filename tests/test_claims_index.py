"""The home page's claims (docs/index.md)."""

from __future__ import annotations

import re

import course

PAGE = "docs/index.md"
SNIPPET = "snippets/index/premier_exemple.py"
WORDS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10}


def page_text() -> str:
    return re.sub(r"\s+", " ", (course.ROOT / PAGE).read_text(encoding="utf-8").replace("\u202f", " "))


def test_comment_counts_the_tasks_it_submits():
    code, _ = course.section_code(SNIPPET, "tache")
    said = re.search(r"# (\w+) tâches soumises", code)
    assert said, "le commentaire « N tâches soumises » a disparu : mettez à jour ce test et tests/README.md"
    submitted = re.search(r"carre\.remote\(i\) for i in range\((\d+)\)", code)
    assert WORDS[said[1].lower()] == int(submitted[1])


def test_decorated_function_becomes_a_remote_function_whose_calls_submit_tasks():
    """A decorated function is a remote function, not a task: each .remote() call submits one task."""
    text = page_text()
    assert "devient une *fonction distante* : chaque appel `carre.remote(i)` soumet une **tâche**" in text
    assert "devient une **tâche**" not in text


def test_node_count_leaves_dead_nodes_out():
    """ray.nodes() also lists dead nodes: the count shown keeps the live ones only."""
    code, _ = course.section_code(SNIPPET, "machine")
    assert 'noeud["Alive"]' in code and "len(ray.nodes())" not in code


def test_page_lists_every_chapter_in_order():
    chapters = [page for page in course.chapters()]
    linked = re.findall(r"^\d+\. \[[^\]]+\]\(([^)]+\.md)\)", (course.ROOT / PAGE).read_text(encoding="utf-8"), re.M)
    assert [f"docs/{target}" for target in linked] == chapters, "le parcours de l'accueil ne suit pas les chapitres"
