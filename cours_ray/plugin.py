"""MkDocs plugin: a thin adapter between MkDocs and the machinery (page model, execution, cache, notebooks).

In `on_files`, every page is parsed once and its sessions executed (or taken from the cache), before anything is
rendered: the notebooks, the provenance page and each page's stamp need them. Python blocks are written with
markdown-exec's syntax (```python exec="on"```) and rendered with markdown-exec's own formatting; the plugin marks
each executable fence with its block's id, and its output reaches it by that id.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
from markdown_exec import MarkdownConverter, base_format, validator as markdown_exec_validator
from markupsafe import Markup
from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.utils import get_relative_url

from cours_ray.cluster import LocalRay, requested_address
from cours_ray.downloads import DATA_ARCHIVE, ChapterNotebooks, data_archive, data_download
from cours_ray.execute import Execution, ExecutionError, PageResult, Project
from cours_ray.notebook_pages import NotebookPageError, notebook_page_html
from cours_ray.notebooks import NotebookError, build_notebooks
from cours_ray.outputs import figure_html, page_outputs, text_block
from cours_ray.report import PAGE_FILE, REPORT_FILE, BuildReport

log = get_plugin_logger("cours-ray")

TABS = "Code|Sortie"
_ID = "cr_id"
RESULTS_FENCE = "cours-ray-resultats"  # where the results of a block folded in a « Code … » fold are shown


class CoursRayConfig(Config):
    execute = config_options.Type(bool, default=True)
    cache = config_options.Type(bool, default=True)
    timeout = config_options.Type((int, float), default=300)
    cache_dir = config_options.Type(str, default=".cache/cours-ray")


class CoursRayPlugin(BasePlugin[CoursRayConfig]):
    def __init__(self) -> None:
        self.local_ray = LocalRay()  # one per build, or kept across the rebuilds of `mkdocs serve`
        self.command = "build"
        self.final_site: Path | None = None
        self.notebook_dir: Path | None = None
        atexit.register(self.local_ray.stop)

    def on_startup(self, *, command: str, dirty: bool) -> None:  # noqa: ARG002
        self.command = command
        if command == "serve" and self.config.execute and not requested_address():
            self.local_ray.launch()  # ready by the time the author edits a snippet

    def on_config(self, config):  # noqa: ANN001, ANN201
        self.final_site = None
        fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault("custom_fences", [])
        fences[:] = [fence for fence in fences if fence.get("name") not in ("python", "py")]
        for name in ("python", "py"):
            fences.append({"name": name, "class": name, "validator": _validator, "format": self._format})
        fences[:] = [fence for fence in fences if fence.get("name") != RESULTS_FENCE]
        fences.append({"name": RESULTS_FENCE, "class": RESULTS_FENCE, "validator": _results_validator, "format": self._format_results})
        self.project = Project(Path(config.config_file_path))
        cache_dir = self.project.root / self.config.cache_dir if self.config.cache else None
        try:
            self.execution = Execution(
                self.project, cache_dir=cache_dir, timeout=self.config.timeout, execute=self.config.execute,
                local_ray=self.local_ray, report=log.info,
            )
        except ExecutionError as error:
            raise PluginError(f"cours-ray : {error}") from None
        self.results: dict[str, PageResult] = {}  # by src_uri
        self.outputs: dict[str, list[dict] | None] = {}  # by fence id (page and block)
        self.results_after_fold: set[str] = set()  # fence ids whose results are shown after their fold
        self.chapters: dict[str, ChapterNotebooks] = {}  # by the chapter page's src_uri
        self.notebook_pages: dict[str, tuple[ChapterNotebooks, str]] = {}  # by the notebook's src_uri: (chapter, kind)
        self.report: BuildReport | None = None
        self.warnings = _WarningCounter()
        logging.getLogger("mkdocs").addHandler(self.warnings)
        if self.command == "build":  # build elsewhere, then swap: a failed build never leaves a half-written site
            self.final_site = Path(config.site_dir)
            config.site_dir = str(self.final_site.with_name(f".{self.final_site.name}.en-cours-{os.getpid()}"))
        return config

    def on_files(self, files: Files, *, config) -> Files:  # noqa: ANN001
        """Runs every page first (or takes its sessions from the cache), then adds each chapter's notebooks, as
        pages and as downloads, the data archive, and the provenance page."""
        self._remove_notebook_dir()
        self.notebook_dir = Path(tempfile.mkdtemp(prefix="cours-ray-cahiers-"))
        for file in list(files.documentation_pages()):
            if not file.src_uri.endswith(".md") or file.abs_src_path is None:
                continue
            path = Path(file.abs_src_path).resolve().relative_to(self.project.root).as_posix()
            try:
                result = self.execution.run(self.project.parse(path, file.content_string))
            except ExecutionError as error:
                raise PluginError(f"cours-ray : {error}") from None
            self.results[file.src_uri] = result
            for block in result.page.blocks:
                self.outputs[_fence_id(path, block.id)] = result.outputs(block.id)
            if result.page.exercises:
                self._add_notebooks(files, config, file.src_uri, result)
        if self.chapters:
            try:
                archive = data_archive(self.project.root)
            except FileNotFoundError as error:
                raise PluginError(f"cours-ray : {error}") from None
            files.append(File.generated(config, data_download(), content=archive))
        self.report = BuildReport.from_results(
            list(self.results.values()),
            executed_sessions=self.execution.executed_sessions,
            cached_sessions=self.execution.cached_sessions,
            ray_starts=self.local_ray.starts,
        )
        by_path = {result.page.path: src for src, result in self.results.items()}
        content = self.report.markdown(lambda path: get_relative_url(by_path[path], PAGE_FILE))
        files.append(File.generated(config, PAGE_FILE, content=content))
        files.append(File.generated(config, REPORT_FILE, content=self.report.to_json()))
        return files

    def _add_notebooks(self, files: Files, config, src_uri: str, result: PageResult) -> None:  # noqa: ANN001
        chapter = ChapterNotebooks(src_uri)
        try:
            notebooks = build_notebooks(result, data_archive=DATA_ARCHIVE, site_url=config.site_url)
        except NotebookError as error:
            raise PluginError(f"cours-ray : {error}") from None
        for kind, notebook in notebooks.items():
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

    def on_page_read_source(self, *, page, config) -> str | None:  # noqa: ANN001, ARG002
        """The very text that was parsed and executed, even if the file changed since (mkdocs serve)."""
        result = self.results.get(page.file.src_uri)
        return result.page.text if result else None

    def on_page_markdown(self, markdown: str, *, page, config, files) -> str:  # noqa: ANN001, ARG002
        result = self.results.get(page.file.src_uri)
        if result is None:
            return markdown
        text = result.page.text
        if not text.endswith(markdown):
            raise PluginError(f"cours-ray : {result.page.path} : la page a changé entre son analyse et son rendu")
        offset = text[: len(text) - len(markdown)].count("\n")  # the front matter MkDocs took off
        lines = markdown.split("\n")
        for block in result.page.blocks:
            index = block.page_line - 1 - offset
            line = lines[index].rstrip()
            attribute = f' {_ID}="{_fence_id(result.page.path, block.id)}"'
            lines[index] = line[:-1] + attribute + "}" if line.endswith("}") else line + attribute
        folded = result.page.results_after_folds
        for block in reversed(result.page.blocks):  # from the end: each insertion leaves the lines above in place
            if block.id in folded:
                fold, key = folded[block.id], _fence_id(result.page.path, block.id)
                self.results_after_fold.add(key)
                indent = " " * fold.indent
                lines[fold.end - offset : fold.end - offset] = ["", f'{indent}```{RESULTS_FENCE} {_ID}="{key}"', f"{indent}```"]
        title = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
        added = []
        stamp = self.report.page(result.page.path).stamp() if self.report else None
        if stamp:
            details = get_relative_url(PAGE_FILE, page.file.src_uri)
            added.append(f"{stamp} [Détails de la construction]({details})\n{{: .cr-provenance }}")
        if page.file.src_uri in self.chapters:
            added.append(_download_box(self.chapters[page.file.src_uri], files))
        return "\n".join([*lines[: title + 1], *(f"\n{box}\n" for box in added), *lines[title + 1 :]])

    def _format(self, source, language, css_class, options, md, **kwargs) -> str:  # noqa: ANN001, ARG002
        key = options.pop("cr_id", None)
        if key is None or key not in self.outputs:
            raise PluginError(f"cours-ray : bloc exécutable inattendu (non trouvé à l'analyse de la page) :\n{source}")
        if key in self.results_after_fold:  # the code only: its results follow the fold
            return base_format(language="python", run=lambda *_, **__: "", code=source, md=md, **{**options, "result": ""})
        texts, figures = page_outputs(self.outputs[key] or [])
        markdown = "\n\n".join(text_block(text) for text in texts)
        rendered = base_format(language="python", run=lambda *_, **__: markdown, code=source, md=md, **{**options, "result": ""})
        return rendered + Markup("".join(figure_html(figure) for figure in figures))  # Markup + str would escape

    def _format_results(self, source, language, css_class, options, md, **kwargs) -> str:  # noqa: ANN001, ARG002
        texts, figures = page_outputs(self.outputs[options["cr_id"]] or [])
        rendered = MarkdownConverter(md).convert("\n\n".join(text_block(text) for text in texts)) if texts else Markup()
        return rendered + Markup("".join(figure_html(figure) for figure in figures))

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
        _align_toc_with_headings(page.toc, html)
        try:
            return notebook_page_html(html, kind, links)
        except NotebookPageError as error:
            raise PluginError(f"cours-ray : {src} : {error}") from None

    def _remove_notebook_dir(self) -> None:
        if self.notebook_dir is not None:
            shutil.rmtree(self.notebook_dir, ignore_errors=True)
            self.notebook_dir = None

    def on_post_build(self, *, config) -> None:  # noqa: ANN001
        self._remove_notebook_dir()
        e = self.execution
        log.info(
            "exécution : %d session(s) exécutée(s), %d prise(s) dans le cache ; démarrages de Ray : %d",
            e.executed_sessions, e.cached_sessions, self.local_ray.starts,
        )
        if self.command != "serve":
            self.local_ray.stop()
        if self.final_site is not None:
            if config.strict and self.warnings.count:
                shutil.rmtree(config.site_dir, ignore_errors=True)  # mkdocs aborts next: keep the previous site
            else:
                _swap(Path(config.site_dir), self.final_site)
        logging.getLogger("mkdocs").removeHandler(self.warnings)

    def on_build_error(self, *, error: Exception) -> None:  # noqa: ARG002
        self._remove_notebook_dir()
        if self.command != "serve":
            self.local_ray.stop()
        if self.final_site is not None:
            shutil.rmtree(self.final_site.with_name(f".{self.final_site.name}.en-cours-{os.getpid()}"), ignore_errors=True)

    def on_shutdown(self) -> None:
        self._remove_notebook_dir()
        self.local_ray.stop()


def _fence_id(page: str, block_id: str) -> str:
    return f"{page}::{block_id}"


def _validator(language, inputs, options, attrs, md) -> bool:  # noqa: ANN001 - superfences' signature
    if not markdown_exec_validator(language, dict(inputs), {}, {}, md):
        return False  # not executable: leave `inputs` untouched for the default fence
    fence_id = inputs.pop(_ID, None)
    inputs.pop("session", None)  # the machinery's, not markdown-exec's
    inputs.setdefault("source", "above")
    inputs.setdefault("tabs", TABS)
    if not markdown_exec_validator(language, inputs, options, attrs, md):
        return False
    options["cr_id"] = fence_id
    return True


def _align_toc_with_headings(toc, html: str) -> None:  # noqa: ANN001
    """mkdocs-jupyter builds a notebook's table of contents from its Markdown, whose slugs drop inline code
    (« Des `ObjectRef` dans une liste » -> #des-dans-une-liste), while the rendered headings keep it
    (#des-objectref-dans-une-liste). The headings are the same, in the same order: take their ids."""

    def flat(items):  # noqa: ANN001, ANN202
        for item in items:
            yield item
            yield from flat(item.children)

    anchors, ids = list(flat(toc)), _HEADING_ID.findall(html)
    if len(anchors) == len(ids):
        for anchor, heading_id in zip(anchors, ids):
            anchor.id = heading_id


_HEADING_ID = re.compile(r'<h[1-6][^>]*\bid="([^"]+)"')


def _results_validator(language, inputs, options, attrs, md) -> bool:  # noqa: ANN001, ARG001 - superfences' signature
    options["cr_id"] = inputs.pop(_ID, None)
    return options["cr_id"] is not None


class _WarningCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:  # noqa: ARG002
        self.count += 1


def _download_box(chapter: ChapterNotebooks, files: Files) -> str:
    """The chapter's notebooks and data, announced right under its title."""

    def link(target: str) -> str:  # a Markdown link, relative to the chapter's source file
        return get_relative_url(target, chapter.chapter)

    local = files.get_file_from_path("travailler-en-local.md")
    how = f" Pour les ouvrir sur votre machine, voir [Travailler en local]({link('travailler-en-local.md')})." if local else ""
    return f"""!!! abstract "Travailler dans Jupyter"

    Ce chapitre existe aussi sous forme de deux cahiers Jupyter, générés à partir de cette page : le cahier
    d'exercices, où chaque solution laisse place à une cellule à compléter (suivie d'une vérification pour les
    exercices de code), et le cahier des solutions.

    [:material-download: Télécharger le cahier d'exercices]({link(chapter.download("exercices"))}){{ .md-button .md-button--primary download="{chapter.stem}-exercices.ipynb" }}
    [:material-download: Télécharger le cahier des solutions]({link(chapter.download("solutions"))}){{ .md-button download="{chapter.stem}-solutions.ipynb" }}
    [:material-download: Télécharger les données]({link(data_download())}){{ .md-button download="{DATA_ARCHIVE}" }}

    Vous pouvez aussi les lire en ligne : [le cahier d'exercices]({link(chapter.page("exercices"))}),
    [le cahier des solutions]({link(chapter.page("solutions"))}).{how}"""


def _swap(built: Path, final: Path) -> None:
    previous = final.with_name(f".{final.name}.ancien-{os.getpid()}")
    if final.exists():
        final.rename(previous)
    built.rename(final)
    shutil.rmtree(previous, ignore_errors=True)
