"""Every snippet file is a complete program: it runs alone, from any folder, and its own asserts are its test.

The runs start in the background when the session starts, one after the other (tests/conftest.py,
standalone_runs); each test waits for its own.
"""

from __future__ import annotations

import subprocess

import pytest

import course


@pytest.mark.parametrize("snippet", course.snippet_files())
def test_snippet_runs_standalone(snippet, standalone_runs):
    returncode, output, folder = standalone_runs.wait(snippet)
    assert returncode is not None, f"{snippet} ne s'est pas terminé en {course.SNIPPET_TIMEOUT_S} s :\n{output[-3000:]}"
    assert returncode == 0, f"python {snippet} a échoué (code {returncode}) :\n{output[-4000:]}"
    written = list(folder.iterdir())
    assert not written, f"{snippet} a écrit dans le dossier courant : {written}"


def test_every_python_file_compiles_with_the_projects_python():
    """Benchmarks and helper scripts run nowhere else in the suite: a syntax of a newer Python must fail here."""
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=course.ROOT, capture_output=True, text=True, check=True).stdout
    files = [course.ROOT / line for line in tracked.splitlines()]  # the repository's, not a virtualenv's (.venv-ci)
    assert any(path.parts[-2] == "benchmarks" for path in files)
    failures = []
    for path in files:
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        except SyntaxError as error:
            failures.append(f"{path.relative_to(course.ROOT)}:{error.lineno}: {error.msg}")
    assert not failures, "\n".join(failures)
