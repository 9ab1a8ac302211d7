"""MkDocs plugin: runs each page's Python blocks against Ray at build time, with a cache, loudly on failure.

Blocks are written with markdown-exec's syntax (```python exec="on"```) and rendered by markdown-exec; what
changes is where and when they run: all of a page's blocks run in document order, in one separate process per
page (so a hang can be stopped and Ray state never leaks between pages), before the page is converted.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from markdown_exec import base_format, validator as markdown_exec_validator
from markupsafe import Markup
from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.utils import get_relative_url

from cours_ray.cache import ExecutionCache, page_key
from cours_ray.checks import prints_in_remote_code
from cours_ray.cluster import PRIVATE_ENV, ClusterError, LocalRay, check_reachable, requested_address
from cours_ray.downloads import DATA_ARCHIVE, ChapterNotebooks, data_archive, data_download
from cours_ray.notebook_pages import NotebookPageError, notebook_page_html
from cours_ray.notebooks import NotebookError, build_notebook, has_exercises
from cours_ray.pages import Block, SnippetError, SnippetExpander, executable_blocks
from cours_ray.runner import BlockError, PageRunner

log = get_plugin_logger("cours-ray")

TABS = "Code|Sortie"
OUTPUT_TITLE = "Sortie"


class CoursRayConfig(Config):
    execute = config_options.Type(bool, default=True)
    cache = config_options.Type(bool, default=True)
    timeout = config_options.Type((int, float), default=300)
    cache_dir = config_options.Type(str, default=".cache/cours-ray")


class _PageOutputs:
    """Outputs of the page being converted, handed to the formatter block by block."""

    def __init__(self, page: str, blocks: list[Block], outputs: list[dict] | None) -> None:
        self.page = page
        self.pending = list(zip(blocks, outputs if outputs is not None else [None] * len(blocks)))

    def take(self, code: str) -> dict | None:
        for index, (block, output) in enumerate(self.pending):
            if block.code.strip("\n") == code.strip("\n"):
                del self.pending[index]
                return output
        raise PluginError(f"cours-ray : {self.page} : bloc exécutable inattendu (non trouvé à l'analyse de la page) :\n{code}")


_current: _PageOutputs | None = None


def validator(language, inputs, options, attrs, md) -> bool:  # noqa: ANN001 - superfences' signature
    if not markdown_exec_validator(language, dict(inputs), {}, {}, md):
        return False  # not executable: leave `inputs` untouched for the default fence
    inputs.setdefault("source", "above")
    inputs.setdefault("tabs", TABS)
    return markdown_exec_validator(language, inputs, options, attrs, md)


def formatter(source, language, css_class, options, md, **kwargs) -> str:  # noqa: ANN001, ARG001
    if _current is None:
        raise PluginError("cours-ray : bloc exécutable hors d'une page")
    output = _current.take(source)
    options = {**options, "result": ""}
    stdout = output["stdout"] if output else ""
    rendered = base_format(language="python", run=lambda *_, **__: _as_text_block(stdout), code=source, md=md, **options)
    figures = "".join(_figure_html(figure) for figure in (output or {}).get("figures", []))
    return rendered + Markup(figures)  # Markup + str would escape the SVG


def _as_text_block(text: str) -> str:
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f'{fence}text title="{OUTPUT_TITLE}"\n{text.rstrip(chr(10))}\n{fence}'


def _figure_html(figure: dict) -> str:
    svg = figure["svg"][figure["svg"].index("<svg") :]
    # Matplotlib names its groups figure_1, axes_1…: prefix every id so that several plots can share a page.
    prefix = f"fig-{hashlib.sha256(svg.encode()).hexdigest()[:8]}-"
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r'(url\(#|href="#)([^")]+)', rf"\1{prefix}\2", svg)
    alt = html.escape(figure["alt"], quote=True)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{alt}"', 1)
    svg = re.sub(r"(<svg[^>]*>)", rf"\1<title>{alt}</title>", svg, count=1)
    return f'<figure class="cr-figure">{svg}</figure>'


class CoursRayPlugin(BasePlugin[CoursRayConfig]):
    def __init__(self) -> None:
        self.cluster = LocalRay()
        self.command = "build"
        self.final_site: Path | None = None
        atexit.register(self.cluster.stop)

    def on_startup(self, *, command: str, dirty: bool) -> None:  # noqa: ARG002
        self.command = command

    def on_config(self, config):  # noqa: ANN001, ANN201
        self.final_site = None
        fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault("custom_fences", [])
        for name in ("python", "py"):
            fences.append({"name": name, "class": name, "validator": validator, "format": formatter})
        self.root = Path(config.config_file_path).resolve().parent
        self.expander = SnippetExpander(config.mdx_configs["pymdownx.snippets"], self.root)
        self.cache = ExecutionCache(self.root / self.config.cache_dir) if self.config.cache else None
        self.stats = {"pages": 0, "blocks": 0, "cached_pages": 0, "seconds": 0.0}
        self.warnings = _WarningCounter()
        logging.getLogger("mkdocs").addHandler(self.warnings)
        if self.config.execute and requested_address():
            try:
                check_reachable(requested_address())
            except ClusterError as error:
                raise PluginError(f"cours-ray : {error}") from None
        if self.command == "build":  # build elsewhere, then swap: a failed build never leaves a half-written site
            self.final_site = Path(config.site_dir)
            config.site_dir = str(self.final_site.with_name(f".{self.final_site.name}.en-cours-{os.getpid()}"))
        return config

    def on_files(self, files: Files, *, config) -> Files:  # noqa: ANN001
        """Runs every page first (or takes its outputs from the cache): the notebooks need them before any page
        is rendered. Then adds each chapter's notebooks, as pages and as downloads, and the data archive."""
        self.executed: dict[str, tuple[list[Block], list[dict] | None]] = {}
        self.chapters: dict[str, ChapterNotebooks] = {}  # by the chapter page's src_uri
        self.notebook_pages: dict[str, tuple[ChapterNotebooks, str]] = {}  # by the notebook's src_uri: (chapter, kind)
        self._remove_notebook_dir()
        self.notebook_dir = Path(tempfile.mkdtemp(prefix="cours-ray-cahiers-"))
        for file in list(files.documentation_pages()):
            if not file.src_uri.endswith(".md") or file.abs_src_path is None:
                continue
            name = self._name(file)
            text = file.content_string
            blocks = self._blocks(name, text)
            outputs = self._outputs(name, blocks) if self.config.execute else None
            self.executed[name] = (blocks, outputs)
            if has_exercises(text):
                self._add_notebooks(files, config, file.src_uri, name, text, blocks, outputs)
        if self.chapters:
            try:
                archive = data_archive(self.root)
            except FileNotFoundError as error:
                raise PluginError(f"cours-ray : {error}") from None
            files.append(File.generated(config, data_download(), content=archive))
        return files

    def _add_notebooks(self, files, config, src_uri, name, text, blocks, outputs) -> None:  # noqa: ANN001, PLR0913
        chapter = ChapterNotebooks(src_uri)
        for kind, solutions in (("exercices", False), ("solutions", True)):
            try:
                notebook = build_notebook(
                    text, name, blocks, outputs, solutions=solutions, data_archive=DATA_ARCHIVE, site_url=config.site_url
                )
            except NotebookError as error:
                raise PluginError(f"cours-ray : {error}") from None
            content = nbformat.writes(notebook) + "\n"
            path = self.notebook_dir / chapter.page(kind)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            # Rendered by mkdocs-jupyter (it reads the file), and offered as is for download.
            files.append(
                File(
                    chapter.page(kind),
                    src_dir=str(self.notebook_dir),
                    dest_dir=config.site_dir,
                    use_directory_urls=config.use_directory_urls,
                    inclusion=InclusionLevel.NOT_IN_NAV,
                )
            )
            files.append(File.generated(config, chapter.download(kind), content=content))
            self.notebook_pages[chapter.page(kind)] = (chapter, kind)
        self.chapters[src_uri] = chapter

    def _name(self, file) -> str:  # noqa: ANN001
        return Path(file.abs_src_path).resolve().relative_to(self.root).as_posix()

    def _blocks(self, name: str, markdown: str) -> list[Block]:
        try:
            return executable_blocks(markdown, name, self.expander)
        except SnippetError as error:
            raise PluginError(f"cours-ray : {name} : {error}") from None

    def on_page_markdown(self, markdown: str, *, page, config, files) -> str:  # noqa: ANN001, ARG002
        global _current  # noqa: PLW0603 - superfences calls the formatter without context
        if not page.file.src_uri.endswith(".md"):
            return markdown
        name = self._name(page.file)
        _current = _PageOutputs(name, *self.executed[name])  # a block changed since on_files fails in take()
        if page.file.src_uri in self.chapters:
            markdown = _with_download_links(markdown, self.chapters[page.file.src_uri], files)
        return markdown

    def on_page_content(self, html: str, *, page, config, files) -> str:  # noqa: ANN001, ARG002
        src = page.file.src_uri
        if src not in self.notebook_pages:
            return html
        # The chapter page holds the same text: the notebooks stay out of the search index (loaded by every page).
        page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
        chapter, kind = self.notebook_pages[src]
        links = {
            "notebook": get_relative_url(chapter.download(kind), page.file.url),
            "data": get_relative_url(data_download(), page.file.url),
            "chapter": get_relative_url(files.get_file_from_path(chapter.chapter).url, page.file.url),
        }
        try:
            return notebook_page_html(html, kind, links)
        except NotebookPageError as error:
            raise PluginError(f"cours-ray : {src} : {error}") from None

    def _outputs(self, page: str, blocks: list[Block]) -> list[dict] | None:
        if not blocks:
            return []
        key = page_key(self.root, page, blocks)
        if self.cache and (cached := self.cache.load(page, key)) is not None:
            self.stats["cached_pages"] += 1
            return cached
        for block in blocks:
            for line in prints_in_remote_code(block.code):
                raise PluginError(
                    f"cours-ray : {page}, bloc {block.number}, {block.origins[line - 1]} : print() dans une tâche "
                    "ou un acteur Ray ; sa sortie n'atteint pas la page. Renvoyez la valeur et affichez-la côté driver."
                )
        env = self._ray_env()
        started = time.monotonic()
        outputs = []
        runner = PageRunner(self.root, page, blocks, env, self.config.timeout)
        try:
            for block in blocks:
                output = runner.run(block)
                for figure in output.figures:
                    if not figure["alt"].strip() or re.fullmatch(r"Figure \d+|\d+", figure["alt"]):
                        raise BlockError(
                            f"{page}, bloc {block.number}, {block.origins[0]} : figure sans texte alternatif ; "
                            'créez-la avec plt.subplots(num="description en français").'
                        )
                outputs.append({"number": block.number, "page_line": block.page_line, "stdout": output.stdout, "figures": output.figures})
        except (BlockError, ClusterError) as error:
            raise PluginError(f"cours-ray : {error}") from None
        finally:
            runner.close()
        elapsed = time.monotonic() - started
        self.stats["pages"] += 1
        self.stats["blocks"] += len(blocks)
        self.stats["seconds"] += elapsed
        log.info("%s : %d bloc(s) exécuté(s) en %.1f s", page, len(blocks), elapsed)
        if self.cache:
            self.cache.store(page, key, outputs)
        return outputs

    def _ray_env(self) -> dict[str, str]:
        if requested_address():
            return {"RAY_USAGE_STATS_ENABLED": PRIVATE_ENV["RAY_USAGE_STATS_ENABLED"]}
        if not self.cluster.running:
            started = time.monotonic()
            self.cluster.start()
            log.info("Ray local démarré sur %s en %.1f s", self.cluster.address, time.monotonic() - started)
        return self.cluster.client_env()

    def _remove_notebook_dir(self) -> None:
        if getattr(self, "notebook_dir", None) is not None:
            shutil.rmtree(self.notebook_dir, ignore_errors=True)
            self.notebook_dir = None

    def on_post_build(self, *, config) -> None:  # noqa: ANN001
        self._remove_notebook_dir()
        s = self.stats
        log.info(
            "exécution : %d page(s), %d bloc(s) en %.1f s ; %d page(s) servie(s) par le cache ; démarrages de Ray : %d",
            s["pages"], s["blocks"], s["seconds"], s["cached_pages"], self.cluster.starts,
        )
        if self.command != "serve":
            self.cluster.stop()
        if self.final_site is not None:
            if config.strict and self.warnings.count:
                shutil.rmtree(config.site_dir, ignore_errors=True)  # mkdocs aborts next: keep the previous site
            else:
                _swap(Path(config.site_dir), self.final_site)
        logging.getLogger("mkdocs").removeHandler(self.warnings)

    def on_build_error(self, *, error: Exception) -> None:  # noqa: ARG002
        self._remove_notebook_dir()
        if self.command != "serve":
            self.cluster.stop()
        if self.final_site is not None:
            shutil.rmtree(self.final_site.with_name(f".{self.final_site.name}.en-cours-{os.getpid()}"), ignore_errors=True)

    def on_shutdown(self) -> None:
        self._remove_notebook_dir()
        self.cluster.stop()


class _WarningCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:  # noqa: ARG002
        self.count += 1


def _with_download_links(markdown: str, chapter: ChapterNotebooks, files: Files) -> str:
    """The chapter's notebooks and data, announced right under its title."""
    def link(target: str) -> str:  # a Markdown link, relative to the chapter's source file
        return get_relative_url(target, chapter.chapter)

    local = files.get_file_from_path("travailler-en-local.md")
    how = f" Pour les ouvrir sur votre machine, voir [Travailler en local]({link('travailler-en-local.md')})." if local else ""
    box = f"""
!!! abstract "Travailler dans Jupyter"

    Ce chapitre existe aussi sous forme de deux cahiers Jupyter, générés à partir de cette page : le cahier
    d'exercices, où chaque solution laisse place à une cellule à compléter (suivie d'une vérification pour les
    exercices de code), et le cahier des solutions.

    [:material-download: Télécharger le cahier d'exercices]({link(chapter.download("exercices"))}){{ .md-button .md-button--primary download="{chapter.stem}-exercices.ipynb" }}
    [:material-download: Télécharger le cahier des solutions]({link(chapter.download("solutions"))}){{ .md-button download="{chapter.stem}-solutions.ipynb" }}
    [:material-download: Télécharger les données]({link(data_download())}){{ .md-button download="{DATA_ARCHIVE}" }}

    Vous pouvez aussi les lire en ligne : [le cahier d'exercices]({link(chapter.page("exercices"))}),
    [le cahier des solutions]({link(chapter.page("solutions"))}).{how}
"""
    lines = markdown.split("\n")
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
    return "\n".join([*lines[: title + 1], box, *lines[title + 1 :]])


def _swap(built: Path, final: Path) -> None:
    previous = final.with_name(f".{final.name}.ancien-{os.getpid()}")
    if final.exists():
        final.rename(previous)
    built.rename(final)
    shutil.rmtree(previous, ignore_errors=True)
