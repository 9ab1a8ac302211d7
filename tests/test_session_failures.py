"""Bad input in a session's Jupyter kernel fails the build loudly, in French, naming the page, the block, the file
and the line, and quickly; and what a kernel shows (a last expression's value, stderr) reaches the page.

Each test builds a scratch project (tests/course.py) against the session's Ray.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from test_build_machinery import CHECK, EXERCISE_PAGE, line_of, page_including, section

NNBSP = "\u202f"


def test_hang_in_a_kernel_deaf_to_the_interrupt_is_located_by_its_stacks(scratch_project):
    """A block stuck where an interrupt cannot reach it (here, SIGINT blocked): faulthandler's dump names the line."""
    code = "import signal\nimport time\n\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])\ntime.sleep(600)"
    snippet = section("sourd", code)
    scratch_project.write("snippets/page/code.py", snippet)
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:sourd"))
    build = scratch_project.build(timeout=90, COURS_RAY_TIMEOUT="3")
    assert build.returncode != 0
    expected = f"snippets/page/code.py, ligne {line_of(snippet, 'time.sleep')}{NNBSP}: le bloc ne s'est pas terminé"
    assert expected in build.log, build.log[-3000:]
    assert build.seconds < 45


def test_block_that_kills_its_kernel_fails_naming_its_block(scratch_project):
    scratch_project.write("snippets/page/code.py", section("fin", "import os\n\nos._exit(1)"))
    page = scratch_project.write("docs/page.md", page_including("snippets/page/code.py:fin")).read_text()
    build = scratch_project.build()
    assert build.returncode != 0
    where = f"docs/page.md, bloc 1 (ligne {line_of(page, ':fin') - 1} de la page), snippets/page/code.py, lignes 2 à 4"
    assert f"{where}{NNBSP}: le noyau Jupyter s'est arrêté pendant ce bloc" in build.log, build.log[-3000:]


def test_block_that_prints_50_mb_fails_at_once_saying_so(scratch_project):
    scratch_project.write("snippets/page/code.py", section("bavard", "print('x' * 50_000_000)\nprint('fin')"))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:bavard"))
    build = scratch_project.build(timeout=120)
    assert build.returncode != 0
    assert "snippets/page/code.py, ligne 2" in build.log and "le bloc a écrit plus de 1024 Kio de texte" in build.log, build.log[-3000:]
    assert build.seconds < 60


def test_session_using_a_name_of_another_session_says_where_it_is_defined(scratch_project):
    scratch_project.write("snippets/page/un.py", section("definit", "valeur = 21"))
    scratch_project.write("snippets/page/deux.py", section("utilise", "print(2 * valeur)"))
    scratch_project.write("docs/page.md", page_including("snippets/page/un.py:definit", "snippets/page/deux.py:utilise"))
    build = scratch_project.build()
    assert build.returncode != 0
    assert f"snippets/page/deux.py, ligne 2{NNBSP}: exception levée" in build.log and "NameError" in build.log, build.log[-3000:]
    hint = f"«{NNBSP}valeur{NNBSP}» n'est défini que dans une autre session de la page, snippets/page/un.py (snippets/page/un.py, ligne 2)"
    assert hint in build.log, build.log[-3000:]


def test_figure_without_alt_text_fails_naming_its_block(scratch_project):
    code = "import matplotlib.pyplot as plt\n\nfig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()"
    scratch_project.write("snippets/page/code.py", section("figure", code))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:figure"))
    build = scratch_project.build()
    assert build.returncode != 0
    assert "snippets/page/code.py, ligne 2" in build.log and "figure sans texte alternatif" in build.log, build.log[-3000:]
    assert 'plt.subplots(num="description en français")' in build.log


def test_figure_with_its_label_is_shown_as_svg_titled_by_it(scratch_project):
    code = 'import matplotlib.pyplot as plt\n\nfig, ax = plt.subplots(num="Une droite")\nax.plot([1, 2])\nplt.show()'
    scratch_project.write("snippets/page/code.py", section("figure", code))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:figure"))
    build = scratch_project.build()
    assert build.returncode == 0, build.log[-3000:]
    svg = BeautifulSoup(scratch_project.html("page"), "html.parser").select_one("figure.cr-figure svg")
    assert svg is not None and svg["aria-label"] == "Une droite" and svg.title.get_text() == "Une droite"


def test_near_miss_exercise_title_fails_build_naming_its_line(scratch_project):
    scratch_project.write("docs/chapitre.md", EXERCISE_PAGE.replace("À compléter", "A compléter") + CHECK)
    build = scratch_project.build()
    assert build.returncode != 0
    assert re.search(r"docs/chapitre\.md, ligne 3\s:\sencadré .*A compléter.* presque conforme", build.log), build.log[-3000:]
    assert not (scratch_project.root / "site").exists()


def test_last_value_and_stderr_are_shown_as_jupyter_shows_them(scratch_project):
    code = "import sys\n\nprint('sur stdout')\nprint('sur stderr', file=sys.stderr)\n6 * 7"
    scratch_project.write("snippets/page/code.py", section("valeur", code))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:valeur"))
    build = scratch_project.build()
    assert build.returncode == 0, build.log[-3000:]
    soup = BeautifulSoup(scratch_project.html("page"), "html.parser")
    shown = {
        block.select_one(".filename").get_text(): block.code.get_text().strip()
        for block in soup.select("article div.highlight")
        if block.select_one(".filename")
    }
    assert shown == {"Sortie": "sur stdout", "Sortie d'erreur (stderr)": "sur stderr", "Valeur de la dernière expression": "42"}


def test_assertion_that_fails_once_is_measured_again_in_a_fresh_kernel(scratch_project):
    """A measured claim's assert can be unlucky once (another program took the CPU): the session runs again."""
    code = (
        "from pathlib import Path\n\nessais = Path('course-data/essais.txt')\nessais.write_text(essais.read_text() + 'x')\n"
        "assert len(essais.read_text()) >= 2, 'mesure contraire à la page'\nprint('essais :', len(essais.read_text()))"
    )
    scratch_project.write("course-data/essais.txt", "")
    scratch_project.write("snippets/page/code.py", section("mesure", code))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:mesure"))
    build = scratch_project.build()
    assert build.returncode == 0, build.log[-3000:]
    assert "essais : 2" in scratch_project.html("page")


def test_assertion_that_always_fails_fails_the_build_after_its_retries(scratch_project):
    scratch_project.write("snippets/page/code.py", section("mesure", "assert 1 > 2, 'mesure contraire à la page'"))
    scratch_project.write("docs/page.md", page_including("snippets/page/code.py:mesure"))
    build = scratch_project.build()
    assert build.returncode != 0
    assert "AssertionError: mesure contraire à la page" in build.log
    assert "(la même assertion a échoué à chacun des 3 essais)" in build.log, build.log[-3000:]


def test_session_that_leaves_a_detached_actor_alive_fails_naming_it(tmp_path):
    """A detached actor outlives its driver: the build's own Ray checks that no session leaves one behind."""
    import course

    (tmp_path / "projet").mkdir()
    project = course.ScratchProject(tmp_path / "projet")
    code = (
        "import ray\n\nray.init()\n\n\n@ray.remote\nclass Compteur:\n    pass\n\n\n"
        'compteur = Compteur.options(name="compteur", lifetime="detached", namespace="essai").remote()\n'
        "ray.get(compteur.__ray_ready__.remote())\nray.shutdown()"
    )
    project.write("snippets/page/code.py", section("oubli", code))
    project.write("docs/page.md", page_including("snippets/page/code.py:oubli"))
    env = {k: v for k, v in course.build_env().items() if k not in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "COURS_RAY_LOCAL_CLUSTER")}
    build = course.mkdocs_build(project.root, project.root / "site", env, timeout=240)
    assert build.returncode != 0
    assert "des acteurs détachés sont encore vivants à la fin de la session\u202f: Compteur (nommé «\u202fcompteur\u202f»)" in build.log, build.log[-3000:]
