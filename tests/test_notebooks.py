"""The chapters' Jupyter notebooks, the way a learner gets them: downloaded from the built site into an empty
folder, next to the extracted data archive, and run in a fresh Jupyter kernel (nbclient) that joins the
session's Ray through RAY_ADDRESS.

- the solutions notebook is the page's code with the outputs of the build, which ran its cells (session by
  session, each in a fresh kernel);
- in the exercises notebook, each verification cell fails (AssertionError, French message) while its exercise
  is not done, and passes once the solution cells are put back, exercise after exercise, in ONE kernel from top
  to bottom, as a learner runs it: this also proves the whole chapter runs in a single kernel;
- the exercises notebook contains no solution: no line of solution code, no sentence of a solution.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urljoin

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import course
from cours_ray.downloads import data_download
from cours_ray.notebooks import TO_COMPLETE
from cours_ray.outputs import stdout_of as printed

CHAPTERS = course.chapters()
SUCCESS = "✓"  # the first character of a verification's last line, once the exercise is done (CONTRIBUTING.md)
KERNEL_TIMEOUT_S = 300  # one cell


def role(cell) -> str | None:
    return cell.metadata.get("cours_ray", {}).get("role")


def exercise(cell) -> int | None:
    return cell.metadata.get("cours_ray", {}).get("exercice")


@pytest.fixture(scope="module")
def workspace(site: Path, tmp_path_factory: pytest.TempPathFactory):
    """Per chapter: an empty folder where the two notebooks and course-data.zip were downloaded from the site,
    and the archive extracted, as « Travailler en local » says."""

    def prepare(page: str) -> Path:
        folder = tmp_path_factory.mktemp("cahiers")
        notebooks = course.chapter_notebooks(page)
        for kind in ("exercices", "solutions"):
            (folder / Path(notebooks.download(kind)).name).write_bytes((site / notebooks.download(kind)).read_bytes())
        archive = (site / data_download()).read_bytes()
        (folder / "course-data.zip").write_bytes(archive)
        zipfile.ZipFile(io.BytesIO(archive)).extractall(folder)
        return folder

    return prepare


def read_notebook(folder: Path, page: str, kind: str) -> nbformat.NotebookNode:
    return nbformat.read(folder / Path(course.chapter_notebooks(page).download(kind)).name, as_version=4)


def kernel_client(notebook: nbformat.NotebookNode, folder: Path) -> NotebookClient:
    return NotebookClient(
        notebook, timeout=KERNEL_TIMEOUT_S, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(folder)}}
    )


def stdout_of(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []) if output.get("name") == "stdout")


# --- what the site offers --------------------------------------------------------------------------------


def _target(site: Path, page_html: Path, href: str) -> Path:
    path = Path(unquote(urljoin(page_html.relative_to(site).as_posix(), href)))
    path = site / path
    return path / "index.html" if path.is_dir() else path


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_page_links_to_its_notebooks_and_the_data(page, site):
    html = site / Path(page).relative_to("docs").with_suffix("") / "index.html"
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    notebooks = course.chapter_notebooks(page)
    wanted = {
        "Télécharger le cahier d'exercices": site / notebooks.download("exercices"),
        "Télécharger le cahier des solutions": site / notebooks.download("solutions"),
        "Télécharger les données": site / data_download(),
        "le cahier d'exercices": site / Path(notebooks.page("exercices")).with_suffix("") / "index.html",
        "le cahier des solutions": site / Path(notebooks.page("solutions")).with_suffix("") / "index.html",
    }
    links = {a.get_text(" ", strip=True): a for a in soup.select("article a[href]")}
    for text, file in wanted.items():
        assert text in links, f"{page} : pas de lien « {text} » (liens : {sorted(links)})"
        target = _target(site, html, links[text]["href"])
        assert target == file and file.is_file(), f"{page} : « {text} » mène à {target}, attendu {file}"
        if text.startswith("Télécharger"):
            assert links[text].has_attr("download"), f"{page} : le lien « {text} » ne télécharge pas (attribut download)"


@pytest.mark.parametrize("kind", ["exercices", "solutions"])
@pytest.mark.parametrize("page", CHAPTERS)
def test_notebook_page_offers_the_notebook_and_the_data_for_download(page, kind, site):
    notebooks = course.chapter_notebooks(page)
    html = site / Path(notebooks.page(kind)).with_suffix("") / "index.html"
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    buttons = {_target(site, html, a["href"]) for a in soup.select("article a.md-button[download]")}
    assert buttons == {site / notebooks.download(kind), site / data_download()}, f"{html} : boutons {buttons}"
    rendered_title = soup.select_one("article h1").get_text(" ", strip=True)
    assert rendered_title.startswith(course.page_model(page).title), rendered_title
    scripts = [s.get("src") for s in soup.select("script[src]")]
    assert all(src and not re.match(r"^(https?:)?//", src) for src in scripts), f"{html} : scripts {scripts}"


def test_data_archive_holds_course_data_as_is(site):
    archive = zipfile.ZipFile(site / data_download())
    expected = {p.relative_to(course.ROOT).as_posix(): p for p in (course.ROOT / "course-data").rglob("*") if p.is_file()}
    assert sorted(archive.namelist()) == sorted(expected), "l'archive ne reprend pas exactement course-data/"
    for name, path in expected.items():
        assert archive.read(name) == path.read_bytes(), f"{name} diffère dans l'archive"


# --- what the notebooks contain --------------------------------------------------------------------------


@pytest.mark.parametrize("page", CHAPTERS)
def test_solutions_notebook_is_the_page_code_with_the_build_outputs(page, workspace, site_build):
    """Identical by construction: the notebook's outputs are the very ones the page shows, from the same run."""
    notebook = read_notebook(workspace(page), page, "solutions")
    blocks = course.page_model(page).blocks
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == [block.code.strip("\n") for block in blocks]
    assert [cell.metadata["cours_ray"]["bloc"] for cell in code] == [block.id for block in blocks]
    result = site_build.results(page)
    assert result.executed, site_build.why_not_executed(page)
    for cell, block in zip(code, blocks):
        published = [{k: v for k, v in o.items() if k != "execution_count"} for o in cell.outputs]
        built = [{k: v for k, v in o.items() if k != "execution_count"} for o in result.outputs(block.id)]
        assert published == built, f"{block.id} : le cahier ne publie pas les sorties de la construction"


@pytest.mark.parametrize("page", CHAPTERS)
def test_exercises_notebook_contains_no_solution(page, workspace):
    folder = workspace(page)
    exercises, solutions = read_notebook(folder, page, "exercices"), read_notebook(folder, page, "solutions")
    shown = "\n".join(cell.source for cell in exercises.cells)
    # A solution line may also be part of the course proper (a statement quoting it, a later cell reusing it).
    course_proper = "\n".join(cell.source for cell in solutions.cells if role(cell) != "solution")
    leaked = []
    for cell in (c for c in solutions.cells if role(c) == "solution"):
        for line in cell.source.split("\n"):
            text = line.strip().lstrip("> ").strip()
            if len(text) < 12 or text.startswith("#") or text.startswith("**Solution"):
                continue  # too short to be telling, a comment, the box's title
            if text in shown and text not in course_proper:
                leaked.append(f"exercice {exercise(cell)} : {text}")
    assert not leaked, "le cahier d'exercices contient des lignes de solution :\n" + "\n".join(leaked)

    numbers = sorted({exercise(c) for c in solutions.cells if role(c) == "solution"})
    placeholders = [c for c in exercises.cells if role(c) == "exercice"]
    assert [exercise(c) for c in placeholders] == numbers, "une cellule à compléter par exercice, dans l'ordre"
    assert all(c.cell_type == "code" and c.source.startswith(TO_COMPLETE) for c in placeholders)
    assert not any(role(c) == "solution" for c in exercises.cells)
    assert not any(cell.get("outputs") for cell in exercises.cells if cell.cell_type == "code"), "un cahier à faire n'a pas de sorties"


@pytest.mark.parametrize("page", CHAPTERS)
def test_each_verification_prints_its_success_line_after_the_solution(page, site_build):
    result = site_build.results(page)
    assert result.executed, site_build.why_not_executed(page)
    last_check = {block.exercise: block for block in course.page_model(page).blocks if block.role == "verification"}
    assert last_check, f"{page} : aucune vérification"
    silent = [n for n, block in last_check.items() if not any(line.startswith(SUCCESS) for line in printed(result.outputs(block.id)).splitlines())]
    assert not silent, f"{page} : la vérification de ces exercices n'affiche pas de ligne « {SUCCESS} … » : {silent}"


# --- running them ------------------------------------------------------------------------------------------


@pytest.mark.timeout(900)
@pytest.mark.parametrize("page", CHAPTERS)
def test_each_verification_fails_until_its_exercise_is_done(page, workspace, ray_cluster, record_property):
    """A learner who runs every cell in order, first leaving each exercise as it is, then pasting the solution
    in and running the verification again. One kernel for the whole notebook, as in Jupyter."""
    folder = workspace(page)
    exercises, solutions = read_notebook(folder, page, "exercices"), read_notebook(folder, page, "solutions")
    solution_cells = defaultdict(list)
    for cell in solutions.cells:
        if role(cell) == "solution" and cell.cell_type == "code":
            solution_cells[exercise(cell)].append(cell)
    verification_cells = defaultdict(list)
    for cell in exercises.cells:
        if role(cell) == "verification" and cell.cell_type == "code":
            verification_cells[exercise(cell)].append(cell)

    learner = nbformat.v4.new_notebook(metadata=exercises.metadata)  # the notebook as the learner runs it
    client = kernel_client(learner, folder)

    def run(cell) -> CellExecutionError | None:
        learner.cells.append(nbformat.from_dict(dict(cell, outputs=[]) if cell.cell_type == "code" else dict(cell)))
        try:
            client.execute_cell(learner.cells[-1], len(learner.cells) - 1)
        except CellExecutionError as error:
            return error
        return None

    messages, problems, done = [], [], set()
    with client.setup_kernel():
        for cell in exercises.cells:
            if cell.cell_type != "code":
                continue
            number = exercise(cell)
            if role(cell) == "exercice":
                if error := run(cell):
                    problems.append(f"exercice {number} : la cellule à compléter, telle quelle, lève {error.ename}")
                if not verification_cells[number]:  # a question answered in words: the learner reads the solution
                    for solution in solution_cells[number]:
                        if error := run(solution):
                            problems.append(f"exercice {number} : la solution échoue : {error.ename}: {error.evalue}")
                    done.add(number)
            elif role(cell) == "verification" and number not in done:
                first, *others = verification_cells[number]
                error = run(first)
                if error is None:
                    problems.append(f"exercice {number} : la vérification réussit alors que l'exercice n'est pas fait")
                elif error.ename != "AssertionError" or not error.evalue.strip():
                    problems.append(f"exercice {number} : la vérification échoue sans message utile : {error.ename}: {error.evalue}")
                else:
                    messages.append(f"exercice {number} : {error.evalue}")
                for solution in solution_cells[number]:
                    if error := run(solution):
                        problems.append(f"exercice {number} : la solution échoue : {error.ename}: {error.evalue}")
                for check in (first, *others):
                    if error := run(check):
                        problems.append(f"exercice {number} : la vérification échoue après la solution : {error.ename}: {error.evalue}")
                done.add(number)
            elif role(cell) != "verification":
                if error := run(cell):
                    problems.append(f"cellule « {cell.source.split(chr(10))[0]} » : {error.ename}: {error.evalue}")
    record_property("messages des vérifications", "\n".join(messages))
    print("\n".join(messages))
    assert not problems, f"{page}, cahier d'exercices :\n" + "\n".join(problems)
    assert done == set(solution_cells), f"exercices non parcourus : {set(solution_cells) - done}"
