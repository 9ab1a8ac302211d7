"""The build fails loudly, precisely and safely; its cache and its own Ray behave as the README says.

Each test builds a tiny scratch project (the course's mkdocs.yml, a page or two, their snippets) in a temporary
folder, against the session's Ray (RAY_ADDRESS), except the test of the build's own Ray.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
from bs4 import BeautifulSoup

import course

RAY_CLIENT_VARIABLES = ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "COURS_RAY_LOCAL_CLUSTER")


def page_including(*targets: str, title: str = "Page") -> str:
    text = f"# {title}\n\nDu texte.\n"
    for target in targets:
        text += f'\n```python exec="on"\n--8<-- "{target}"\n```\n'
    return text


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), start=1) if needle in line)


def section(name: str, code: str) -> str:
    return f"# --8<-- [start:{name}]\n{code}\n# --8<-- [end:{name}]\n"


def snapshot(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- failures name the page, the file and the line ----------------------------------------------------


def test_raising_snippet_fails_build_naming_page_file_and_line(scratch_project):
    snippet = section("ok", "valeur = 1\nprint(valeur)") + section("boum", "valeur += 1\nraise ValueError('boum')")
    scratch_project.write("snippets/page/code.py", snippet)
    page = scratch_project.write("docs/page.md", page_including("snippets/page/code.py:ok", "snippets/page/code.py:boum")).read_text()
    build = scratch_project.build()
    assert build.returncode != 0
    expected = (
        f"cours-ray : docs/page.md, bloc 2 (ligne {line_of(page, ':boum') - 1} de la page), "
        f"snippets/page/code.py, ligne {line_of(snippet, 'raise')} : exception levée."
    )
    assert expected in build.log, build.log[-3000:]
    assert f'File "snippets/page/code.py", line {line_of(snippet, "raise")}' in build.log
    assert "ValueError: boum" in build.log


def test_error_on_a_line_repeated_earlier_in_the_file_names_the_right_line(scratch_project):
    snippet = section("un", "d = 1\nz = 1 / d") + section("deux", "d = 0") + section("trois", "z = 1 / d")
    scratch_project.write("snippets/page/code.py", snippet)
    scratch_project.write("docs/page.md", page_including(*(f"snippets/page/code.py:{s}" for s in ("un", "deux", "trois"))))
    build = scratch_project.build()
    assert build.returncode != 0 and "ZeroDivisionError" in build.log
    assert "bloc 3" in build.log and f"snippets/page/code.py, ligne {len(snippet.split(chr(10))) - 2}\u202f:" in build.log, build.errors


def test_hanging_block_is_stopped_at_timeout_naming_its_line(scratch_project):
    snippet = section("attente", "import time\n\ntime.sleep(600)")
    scratch_project.write("snippets/page/code.py", snippet)
    page = scratch_project.write("docs/page.md", page_including("snippets/page/code.py:attente")).read_text()
    build = scratch_project.build(timeout=60, COURS_RAY_TIMEOUT="3")
    assert build.returncode != 0
    where = f"docs/page.md, bloc 1 (ligne {line_of(page, ':attente') - 1} de la page), snippets/page/code.py, ligne {line_of(snippet, 'sleep')}"
    assert re.search(re.escape(where) + r"\s:\sle bloc ne s'est pas terminé en \d+ s \(délai COURS_RAY_TIMEOUT=3 s\)", build.log), build.log[-3000:]
    assert build.seconds < 30


def test_missing_snippet_file_fails_build_naming_it(scratch_project):
    page = scratch_project.write("docs/page.md", page_including("snippets/page/absent.py:bloc")).read_text()
    build = scratch_project.build()
    assert build.returncode != 0
    expected = f"cours-ray\u202f: docs/page.md, ligne {line_of(page, 'absent.py')}\u202f: extrait introuvable\u202f: «\u202fsnippets/page/absent.py:bloc\u202f»"
    assert expected in build.log, build.log[-3000:]


def test_missing_section_fails_build_naming_it(scratch_project):
    scratch_project.write("snippets/page/code.py", section("bloc", "x = 1"))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:absente"))
    build = scratch_project.build()
    assert build.returncode != 0
    assert "section « absente » introuvable dans snippets/page/code.py" in build.log, build.log[-3000:]
    assert "cours-ray : docs/page.md" in build.log


def test_print_in_remote_function_fails_build(scratch_project):
    snippet = section("bavarde", 'import ray\n\n\n@ray.remote\ndef bavarde():\n    print("coucou")\n    return 1')
    scratch_project.write("snippets/page/code.py", snippet)
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:bavarde"))
    build = scratch_project.build()
    assert build.returncode != 0
    assert (
        f"cours-ray : docs/page.md, bloc 1, snippets/page/code.py, ligne {line_of(snippet, 'print(')} : print() dans une tâche"
        in build.log
    ), build.log[-3000:]


EXERCISE_PAGE = """# Chapitre

!!! question ":material-pencil-outline: À compléter"

    Définir `x`.

??? success "Solution"

    ```python exec="on"
    x = 1
    ```
"""
CHECK = """
??? check "Vérification"

    ```python exec="on"
    assert x == 1, "x doit valoir 1"
    print("✓ x")
    ```
"""


def test_exercise_without_verification_fails_build_naming_its_line(scratch_project):
    scratch_project.write("docs/chapitre.md", EXERCISE_PAGE)
    build = scratch_project.build()
    assert build.returncode != 0
    assert re.search(r"cours-ray : docs/chapitre\.md, ligne 3\s:\sexercice «\sÀ compléter\s» sans «\s\?\?\? check", build.log), build.log[-3000:]
    assert not (scratch_project.root / "site").exists()


def test_chapter_with_exercises_gets_its_two_notebooks_and_the_data(scratch_project):
    scratch_project.write("course-data/chapitre/valeurs.txt", "1 2 3\n")
    scratch_project.write("docs/chapitre.md", EXERCISE_PAGE + CHECK)
    build = scratch_project.build()
    assert build.returncode == 0, build.log[-3000:]
    site = scratch_project.root / "site"
    for kind in ("exercices", "solutions"):
        assert (site / f"telechargements/chapitre-{kind}.ipynb").is_file()
        assert (site / f"cahiers/chapitre-{kind}/index.html").is_file()
    assert (site / "telechargements/course-data.zip").is_file()
    assert "Télécharger le cahier d'exercices" in scratch_project.html("chapitre")


# --- a built two-page project: escaping, swap on success only, cache ---------------------------------


SCRIPT = "<script>alert('cours-ray')</script>"


@pytest.fixture(scope="module")
def built_project(ray_cluster, tmp_path_factory):
    project = course.ScratchProject(tmp_path_factory.mktemp("built-project"))
    project.write("course-data/un/donnee.txt", "21\n")
    project.write("snippets/un/code.py", section("un", "from pathlib import Path\n\nprint(2 * int((Path('course-data/un/donnee.txt')).read_text()))"))
    project.write("snippets/deux/code.py", section("deux", f'print("{SCRIPT}")'))
    project.write("docs/un.md", page_including("snippets/un/code.py:un", title="Un"))
    project.write("docs/deux.md", page_including("snippets/deux/code.py:deux", title="Deux"))
    build = project.build()
    assert build.returncode == 0, build.log[-3000:]
    assert sorted(page for page, _ in build.executed_sessions()) == ["docs/deux.md", "docs/un.md"]
    return project


@pytest.fixture
def project(built_project, tmp_path):
    """A private copy of the built project (its site and its cache included)."""
    shutil.copytree(built_project.root, tmp_path / "copie")
    return course.ScratchProject(tmp_path / "copie", existing=True)


def test_printed_script_tag_is_escaped_in_html(built_project):
    soup = BeautifulSoup(built_project.html("deux"), "html.parser")
    assert SCRIPT in soup.get_text(), "la sortie du bloc n'est pas affichée telle quelle"
    assert not [tag for tag in soup.find_all("script") if "cours-ray" in tag.get_text()], "la sortie est devenue un vrai <script>"


def test_failed_build_leaves_previous_site_untouched(project):
    before = snapshot(project.root / "site")
    project.write("snippets/deux/code.py", section("deux", "raise RuntimeError('cassé')"))
    build = project.build()
    assert build.returncode != 0 and "cours-ray : docs/deux.md" in build.log
    assert snapshot(project.root / "site") == before
    assert not [p.name for p in project.root.iterdir() if p.name.startswith(".site.")], "dossier de construction temporaire oublié"


def test_second_build_executes_nothing(project):
    build = project.build()
    assert build.returncode == 0, build.log[-3000:]
    assert build.executed_sessions() == []
    assert (build.report.executed_sessions, build.report.cached_sessions, build.report.ray_starts) == (0, 2, 0)
    assert "42" in BeautifulSoup(project.html("un"), "html.parser").get_text(), "la sortie servie par le cache manque"


def test_changed_snippet_reexecutes_only_its_session(project):
    project.write("snippets/deux/code.py", section("deux", 'print("modifié")'))
    build = project.build()
    assert build.returncode == 0, build.log[-3000:]
    assert build.executed_sessions() == [("docs/deux.md", "snippets/deux/code.py")]
    assert "modifié" in project.html("deux")


def test_one_edited_exercise_of_a_page_reexecutes_alone(project):
    """Two sessions on one page: editing one snippet file runs that session again, the other comes from the cache."""
    project.write("snippets/un/autre.py", section("autre", 'print("autre session")'))
    project.write("docs/un.md", page_including("snippets/un/code.py:un", "snippets/un/autre.py:autre", title="Un"))
    assert project.build().returncode == 0
    project.write("snippets/un/autre.py", section("autre", 'print("autre session, modifiée")'))
    build = project.build()
    assert build.returncode == 0, build.log[-3000:]
    assert build.executed_sessions() == [("docs/un.md", "snippets/un/autre.py")]
    text = BeautifulSoup(project.html("un"), "html.parser").get_text()
    assert "42" in text and "autre session, modifiée" in text


def test_changed_data_reexecutes_its_page(project):
    project.write("course-data/un/donnee.txt", "50\n")
    build = project.build()
    assert build.returncode == 0, build.log[-3000:]
    assert build.executed_sessions() == [("docs/un.md", "snippets/un/code.py")]
    assert "100" in BeautifulSoup(project.html("un"), "html.parser").get_text()


def test_cache_false_reexecutes_every_page(project):
    build = project.build(COURS_RAY_CACHE="false")
    assert build.returncode == 0, build.log[-3000:]
    assert sorted(page for page, _ in build.executed_sessions()) == ["docs/deux.md", "docs/un.md"]


# --- without RAY_ADDRESS, the build starts its own Ray and stops it --------------------------------------


def test_build_starts_and_stops_its_own_ray_leaving_no_process(scratch_project):
    code = (
        "import ray\n\nray.init()\n\n\n@ray.remote\ndef double(x):\n    return 2 * x\n\n\n"
        "print(ray.get(double.remote(21), timeout=60))\nray.shutdown()"
    )
    scratch_project.write("snippets/page/code.py", section("ray", code))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:ray"))
    marker = f"COURS_RAY_TEST_BUILD={uuid.uuid4().hex}"
    env = {key: value for key, value in course.build_env().items() if key not in RAY_CLIENT_VARIABLES}
    env[marker.split("=")[0]] = marker.split("=")[1]

    first = course.mkdocs_build(scratch_project.root, scratch_project.root / "site", env, timeout=240)
    assert first.returncode == 0, first.log[-3000:]
    assert first.report.ray_starts == 1 and "Ray local prêt sur 127.0.0.1:" in first.log
    assert "42" in scratch_project.html("page")
    assert course.wait_for_no_process(marker) == [], "processus de Ray laissés par la construction"

    second = course.mkdocs_build(scratch_project.root, scratch_project.root / "site", env, timeout=240)
    assert second.returncode == 0, second.log[-3000:]
    report = second.report
    assert (report.executed_sessions, report.cached_sessions, report.ray_starts) == (0, 1, 0)
    assert course.wait_for_no_process(marker) == []


def test_build_interrupted_by_ctrl_c_leaves_no_process(scratch_project):
    """Ctrl-C (SIGINT to mkdocs) while a block runs: the build stops, its kernel and its own Ray with it."""
    scratch_project.write("snippets/page/code.py", section("long", "import ray\n\nray.init()\nimport time\n\ntime.sleep(120)"))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:long"))
    marker = f"COURS_RAY_TEST_BUILD={uuid.uuid4().hex}"
    env = {key: value for key, value in course.build_env().items() if key not in RAY_CLIENT_VARIABLES}
    env[marker.split("=")[0]] = marker.split("=")[1]
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(scratch_project.root / "site")]
    build = subprocess.Popen(command, cwd=scratch_project.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not any("ipykernel" in command for _, command in course.processes_with_env(marker)):
            assert time.monotonic() < deadline and build.poll() is None, "le noyau du bloc n'a pas démarré"
            time.sleep(0.2)
        time.sleep(2)  # the block is running
        build.send_signal(signal.SIGINT)
        build.wait(60)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode != 0
    assert course.wait_for_no_process(marker, seconds=20) == [], "processus laissés par la construction interrompue"
