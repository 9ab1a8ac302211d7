"""The claims of « Travailler en local » (docs/travailler-en-local.md): the versions it installs, the folder it
describes, the notebooks and archive it links to."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import PurePosixPath

import pytest

import course
from cours_ray.downloads import data_download

PAGE = course.ROOT / "docs" / "travailler-en-local.md"


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def install_list() -> list[str]:
    """The packages the page tells the learner to install (the same command for Linux, macOS and Windows)."""
    commands = re.findall(r"^pip install (.+)$", page_text(), re.M)
    assert len(commands) >= 2, "les commandes pip install (Linux et macOS, Windows) ont disparu : mettez à jour ce test"
    assert len(set(commands)) == 1, f"la page n'installe pas la même chose partout : {commands}"
    return re.findall(r'"([\w-]+==[\w.]+)"', commands[0])


def test_install_command_pins_the_versions_the_site_is_built_with():
    asked = dict(requirement.split("==") for requirement in install_list())
    pinned = dict(
        re.match(r"([\w-]+)==([\w.]+)$", requirement).groups()
        for requirement in tomllib.loads((course.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    for package in ("ray", "numpy", "matplotlib", "ipywidgets"):
        assert asked.get(package) == pinned[package], f"{package} : la page installe {asked.get(package)}, le site {pinned[package]}"
    assert "jupyterlab" in asked, "la page doit dire quelle version de JupyterLab installer"


def resolves(*options: str) -> subprocess.CompletedProcess:
    """pip's own answer to « can this list be installed from prebuilt packages? », downloading nothing but metadata."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:", "--quiet", *options, *install_list()],
        capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.mark.installation
def test_install_list_installs_on_this_python():
    result = resolves()
    assert result.returncode == 0, f"la liste de la page ne s'installe pas sur Python {sys.version.split()[0]} :\n{result.stderr[-2000:]}"


# pip takes a platform tag literally: for Linux, the manylinux tags a recent glibc accepts (2014 is 2_17).
CLAIMED = {
    "Linux": ["manylinux2014_x86_64", "manylinux_2_27_x86_64", "manylinux_2_28_x86_64"],
    "macOS": ["macosx_14_0_arm64"],
    "Windows": ["win_amd64"],
}


def test_page_states_the_pythons_and_systems_tested_below():
    stated = re.search(r"Il vous faut Python ([\d.]+), ([\d.]+), ([\d.]+) ou ([\d.]+)", page_text())
    assert stated and list(stated.groups()) == ["3.11", "3.12", "3.13", "3.14"], "versions de Python annoncées : mettez à jour CLAIMED"
    for system in CLAIMED:
        assert system in page_text()


@pytest.mark.installation
@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13", "3.14"])
@pytest.mark.parametrize("system", CLAIMED)
def test_install_list_has_prebuilt_packages_for_the_stated_pythons_and_systems(python, system):
    platforms = [option for tag in CLAIMED[system] for option in ("--platform", tag)]
    result = resolves("--python-version", python, *platforms)
    assert result.returncode == 0, f"Python {python} sous {system} : {result.stderr[-1500:]}"


@pytest.mark.installation
def test_ray_has_no_package_for_macos_on_intel_as_the_page_says():
    assert "pas pour macOS sur\nprocesseur Intel" in page_text() or "plus pour macOS sur\nprocesseur Intel" in page_text()
    result = resolves("--python-version", "3.12", "--platform", "macosx_12_0_x86_64")
    assert result.returncode != 0 and "ray==" in result.stderr


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
