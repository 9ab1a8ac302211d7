"""Every code block of every page runs, and shows what its snapshot expects.

The `exec="on"` blocks are executed by the session's strict build (each session in its own Jupyter kernel); each
block's test reads that build's outputs through the machinery and compares them, masked by tests/masks.py, with
its snapshot (syrupy: tests/__snapshots__/test_pages.ambr), named by page and block id (snippet file and section),
so that prose added to a page changes no expected output. After a wanted change: pytest --update-outputs
(add --page docs/x.md to update one page only), then read the diff.
Plain ```python fences (shown, not executed by the site: exercise templates...) run here, like pytest-codeblocks
runs them, and no python fence may escape both paths without a written reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
from pytest_codeblocks import extract_from_file

import course

PYTHON_LANGUAGES = ("python", "py", "python3", "pycon")
EXEC_ON = re.compile(r"""\bexec\s*=\s*["']?(on|1|true|yes)["']?""", re.IGNORECASE)  # markdown-exec's true values


def _block_params():
    params = []
    for page in course.pages():
        model, error = course.parsed(page)
        if error:
            params.append(pytest.param(page, None, error, id=f"{page}@analyse"))
            continue
        params += [pytest.param(page, block, None, id=course.block_id(page, block)) for block in model.blocks]
    return params


@pytest.mark.parametrize(("page", "block", "error"), _block_params())
def test_block_output(page, block, error, site_build, snapshot):
    assert error is None, error
    outputs = site_build.results(page).outputs(block.id)
    if outputs is None:
        pytest.fail(site_build.why_not_executed(page))
    assert course.shown(outputs) == snapshot, "sortie changée ; si c'est voulu : pytest --update-outputs, puis relisez le diff"


# --- python fences: every one is covered ---------------------------------------------------------------


def _fences():
    """Every fence of every page, as pytest-codeblocks sees it (language, attributes, marks from comments)."""
    for page in course.pages():
        for fence in extract_from_file(course.ROOT / page):
            yield page, fence


def _language(fence) -> str:
    return (fence.syntax or "").strip().lstrip("{").lstrip(".").split(" ")[0].split("{")[0]


def _skip_reason(fence) -> str | None:
    for mark in fence.marks:
        evaluated = eval(mark, {"pytest": pytest, "sys": sys})  # noqa: S307 - the page's own marker comment
        mark_ = getattr(evaluated, "mark", evaluated)
        if mark_.name in ("skip", "skipif"):
            return mark_.kwargs.get("reason") or (mark_.args[0] if mark_.name == "skip" and mark_.args else "") or ""
    return None


def test_every_python_fence_is_executed_or_skipped_with_a_reason():
    uncovered = []
    for page, fence in _fences():
        if _language(fence) not in PYTHON_LANGUAGES:
            continue
        model = course.parsed(page)[0]
        exec_lines = {b.page_line for b in model.blocks} if model else set()
        where = f"{page}:{fence.lineno} (```{fence.syntax})"
        if EXEC_ON.search(fence.syntax or ""):
            if fence.lineno not in exec_lines:
                uncovered.append(f"{where} : exec=\"on\" mais absent des blocs que la construction exécute")
        elif fence.syntax == "python":
            continue  # run by test_plain_python_fence_runs, like pytest-codeblocks does
        elif _skip_reason(fence) is None:
            uncovered.append(f"{where} : ni exécuté ni marqué <!--pytest.mark.skip(reason=\"...\")-->")
        elif not _skip_reason(fence).strip():
            uncovered.append(f"{where} : marqué skip sans raison écrite")
    assert not uncovered, "blocs python qu'aucun test n'exécute :\n" + "\n".join(uncovered)


def _plain_python_fences():
    params = []
    for page, fence in _fences():
        if fence.syntax == "python":  # exactly what pytest-codeblocks runs
            marks = [eval(m, {"pytest": pytest, "sys": sys}) for m in fence.marks]  # noqa: S307
            params.append(pytest.param(fence, marks=marks, id=f"{page}:{fence.lineno}"))
    return params or [pytest.param(None, marks=pytest.mark.skip(reason="aucun bloc ```python non exécuté"), id="aucun")]


@pytest.mark.parametrize("fence", _plain_python_fences())
def test_plain_python_fence_runs(fence, ray_cluster, tmp_path):
    """A shown-only block (e.g. an exercise template) must at least be valid, runnable Python, in a fresh process
    joined to the session's Ray, from an empty folder; <!--pytest-codeblocks:expected-output--> is honoured."""
    result = subprocess.run(
        [sys.executable, "-c", fence.code], cwd=tmp_path, env={**os.environ}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"ligne {fence.lineno} :\n{textwrap.indent(fence.code, '    ')}\n{result.stderr[-3000:]}"
    if fence.expected_output is not None:
        assert result.stdout == fence.expected_output
