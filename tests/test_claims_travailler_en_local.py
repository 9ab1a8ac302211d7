"""The claims of « Travailler en local » (docs/travailler-en-local.md): the versions it installs, the folder it
describes, the notebooks and archive it links to."""

from __future__ import annotations

import re
import tomllib
import zipfile
from pathlib import PurePosixPath

import course
from cours_ray.downloads import data_download

PAGE = course.ROOT / "docs" / "travailler-en-local.md"


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_install_command_pins_the_versions_the_site_is_built_with():
    command = re.search(r"^pip install (.+)$", page_text(), re.M)
    assert command, "la commande pip install a disparu : mettez à jour ce test et tests/README.md"
    asked = dict(re.findall(r'"([\w-]+)==([\w.]+)"', command[1]))
    pinned = dict(
        re.match(r"([\w-]+)==([\w.]+)$", requirement).groups()
        for requirement in tomllib.loads((course.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    for package in ("ray", "numpy", "matplotlib"):
        assert asked.get(package) == pinned[package], f"{package} : la page installe {asked.get(package)}, le site {pinned[package]}"
    assert "jupyterlab" in asked, "la page doit dire quelle version de JupyterLab installer"


def test_folder_shown_is_what_the_downloads_give(site_build):
    tree = re.search(r"```text\n(cours-ray/\n.*?)```", page_text(), re.S)
    assert tree, "l'arborescence du dossier de travail a disparu : mettez à jour ce test et tests/README.md"
    shown = {line.split("── ")[1].rstrip("/") for line in tree[1].split("\n") if "── " in line}
    notebooks = {PurePosixPath(course.chapter_notebooks(c).download(kind)).name for c in course.chapters() for kind in ("exercices", "solutions")}
    archive = zipfile.ZipFile(site_build.site / data_download())
    extracted = {part for name in archive.namelist() for part in PurePosixPath(name).parts}
    # An example (chapter 1's files): everything shown exists, and it shows notebooks next to the extracted data.
    assert shown <= notebooks | extracted | {PurePosixPath(data_download()).name}, f"montré mais pas produit : {shown}"
    assert shown & notebooks and {"course-data", PurePosixPath(data_download()).name} <= shown


def test_links_to_chapter_1_downloads_exist(site_build):
    for target in re.findall(r"\]\((telechargements/[^)]+)\)", page_text()):
        assert (site_build.site / target).is_file(), f"lien vers {target}, absent du site construit"
