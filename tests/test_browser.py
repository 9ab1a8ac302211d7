"""The reader's view: the built site (the session's strict build) served on 127.0.0.1 and opened in Chromium.

Debian's Chromium (/usr/bin/chromium) is driven by Playwright for Python, which downloads no browser; without
Chromium the browser tests are skipped, with the reason. The checks that need no browser (internal links,
language, text alternatives, heading levels) read the built HTML files.

To stay fast (the chapter's page is heavy: ~2.7 MB of Mermaid to parse, three diagrams, a 22 000 px layout),
each page of the course is opened ONCE, all pages in parallel, each in a fresh browser context (empty cache and
localStorage), at the desktop size in the light palette. Every browser test reads those pages: what they logged
while loading (console, errors, requests, weight), their rendering in light then dark mode (the palette toggle
is clicked), the screenshots (the mobile ones resize the same page), axe-core, the search box and the folded
solutions. A test that changes a page puts it back (palette, size, folded solutions, empty search box).

The screenshots' folder is printed at the end of pytest's output ("captures d'écran").
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

import course
from cours_ray.report import PAGE_FILE


def _load_page_weight():
    """benchmarks/page_weight.py: the server, the Chromium launch and the weighing that the budget test shares
    with the script (one definition of what "bytes transferred" means)."""
    path = course.ROOT / "benchmarks" / "page_weight.py"
    spec = importlib.util.spec_from_file_location("page_weight", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


page_weight = _load_page_weight()

# The pages of docs/, and the one the build writes (« Construction du site »), named as if it were in docs/.
PAGES = course.pages() + [f"docs/{PAGE_FILE}"]
# The chapters' notebooks, rendered as pages by mkdocs-jupyter, named as if they were in docs/ (their URL).
NOTEBOOK_PAGES = [
    f"docs/{course.chapter_notebooks(chapter).page(kind)}" for chapter in course.chapters() for kind in ("exercices", "solutions")
]
SITE_PAGES = PAGES + NOTEBOOK_PAGES
HOME, CHAPTER = "docs/index.md", "docs/01-les-taches.md"
# Screenshot sizes. Each page is loaded once, at the desktop size and in the light palette; the mobile capture
# resizes that same page (Material's layout follows media queries on the width alone) at a device scale of 1,
# which keeps full-page captures small; the dark one clicks the palette toggle.
VIEWPORTS = {"bureau": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}
SCHEMES = {"clair": "default", "sombre": "slate"}  # Material's data-md-color-scheme of each palette in mkdocs.yml

# Per-page budget of bytes transferred (headers + bodies, uncompressed as Python's http.server serves them; a
# fresh profile, so nothing comes from the cache). Measured on 2026-11-25 (`python benchmarks/page_weight.py`):
# home ~3 050 KiB, chapter 1 ~3 300 KiB, 11 requests each. Every page pays the same ~3 000 KiB: the vendored
# Mermaid (2 690 KiB, loaded by extra_javascript on EVERY page, diagrams or not), Material's CSS and JS
# (~260 KiB), the search worker, its index (61 KiB for two pages, growing with each chapter) and the French
# stemmer. What is the page's own is its HTML (~270-300 KiB for chapter 1, inline SVG plots included). 4 MiB
# leaves ~700 KiB for a longer chapter and a larger search index; a page over it has grown by a quarter, or
# gained a heavy asset: see the list in the failure message. (GitHub Pages gzips text: ~0.9 MiB really travels.)
# 20 requests: 11 today, room for a few images or a font before anything is bundled or lazy-loaded.
PAGE_BUDGET_BYTES = 4 * 1024 * 1024
# A chapter's notebook page (mkdocs-jupyter) carries JupyterLab's stylesheet inline (~560 KiB) and its plots as
# base64 images: measured on 2026-11-25 (`python benchmarks/page_weight.py`), exercises ~3 990 KiB, solutions
# ~4 130 KiB, Mermaid (2 690 KiB) included.
NOTEBOOK_PAGE_BUDGET_BYTES = 5 * 1024 * 1024
PAGE_BUDGET_REQUESTS = 20

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
# The rules the pages must pass, in light and dark mode. The five first are required; the others passed cleanly
# on every page when this list was written (or are not applicable yet, e.g. image-alt: the site has no <img>).
# Not listed, because they fail on Material's own markup or CSS (reported to the maintainers of the course, not
# disabled to make a test pass): link-in-text-block (links inside paragraphs are neither underlined nor 3:1
# against the text), aria-dialog-name (the search dialog has no name), landmark-unique (the <nav> of each code
# block's copy button).
AXE_RULES = [
    "color-contrast", "image-alt", "svg-img-alt", "html-has-lang", "heading-order",
    "html-lang-valid", "valid-lang", "document-title", "page-has-heading-one", "empty-heading",
    "role-img-alt", "image-redundant-alt", "object-alt", "frame-title",
    "landmark-one-main", "landmark-banner-is-top-level", "landmark-contentinfo-is-top-level",
    "landmark-main-is-top-level", "landmark-no-duplicate-banner", "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-main", "region", "bypass",
    "link-name", "button-name", "label", "label-title-only", "form-field-multiple-labels",
    "label-content-name-mismatch", "autocomplete-valid", "summary-name", "nested-interactive",
    "scrollable-region-focusable", "tabindex", "list", "listitem", "definition-list", "dlitem",
    "th-has-data-cells", "td-headers-attr",
    "aria-allowed-attr", "aria-allowed-role", "aria-conditional-attr", "aria-deprecated-role",
    "aria-hidden-body", "aria-hidden-focus", "aria-prohibited-attr", "aria-required-attr",
    "aria-required-children", "aria-required-parent", "aria-roles", "aria-valid-attr-value", "aria-valid-attr",
    "duplicate-id-aria", "meta-viewport", "meta-viewport-large", "avoid-inline-spacing",
]

# Words of which a French alternative text has at least one (a heuristic, enough to catch an English or
# placeholder text such as "Figure 1" or "plot").
FRENCH_WORDS = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "en", "un", "une", "à", "au", "aux",
                "par", "pour", "sur", "avec", "dans", "qui", "que", "est", "sont", "ou", "selon", "entre"}


def url_path(page: str) -> str:
    """docs/index.md -> "", docs/01-les-taches.md -> "01-les-taches/" (MkDocs' directory URLs)."""
    relative = PurePosixPath(page).relative_to("docs").with_suffix("")
    parts = relative.parts[:-1] if relative.name == "index" else relative.parts
    return "".join(f"{part}/" for part in parts)


def slug(page: str) -> str:
    return url_path(page).strip("/").replace("/", "-") or "accueil"


def html_file(site: Path, page: str) -> Path:
    return site / url_path(page) / "index.html"


@cache
def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# --- the site, served ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(site: Path):
    with page_weight.serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if page_weight.chromium_path() is None:
        pytest.skip("Chromium absent : installez le paquet Debian chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright absent : pip install -c constraints.txt -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        chromium = page_weight.launch(playwright)
        yield chromium
        chromium.close()


@dataclass
class View:
    """One page of the site opened in its own browser context, with everything it logged since the start."""

    page_name: str
    url: str
    context: object
    page: object
    requests: list[str] = field(default_factory=list)  # every URL requested, by the page or its workers
    finished: list = field(default_factory=list)  # Playwright Request objects, for the weighing
    errors: list[str] = field(default_factory=list)  # console errors, page errors, failed requests, HTTP >= 400
    loaded_errors: list[str] = field(default_factory=list)  # `errors` once the page had loaded
    loaded_finished: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what went wrong while getting the page ready
    ready: bool = False

    def record(self) -> None:
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.context.on("requestfinished", lambda request: self.finished.append(request))
        self.context.on("requestfailed", lambda request: self.errors.append(f"requête échouée : {request.url} ({request.failure})"))
        self.context.on("response", lambda response: response.status >= 400 and self.errors.append(f"HTTP {response.status} : {response.url}"))
        self.context.on("console", lambda message: message.type == "error" and self.errors.append(f"console : {message.text} ({message.location.get('url', '')})"))
        self.page.on("pageerror", lambda error: self.errors.append(f"erreur JavaScript : {error}"))

    def settle(self) -> None:
        self.page.evaluate(SETTLE)

    def set_scheme(self, scheme: str) -> None:
        """Light or dark, the reader's way: a click on Material's palette toggle (the visible one of its two
        labels), which does not depend on how Material names its localStorage key; then the scheme is checked."""
        wanted = SCHEMES[scheme]
        if self.page.evaluate("document.body.dataset.mdColorScheme") != wanted:
            self.page.locator("form[data-md-component=palette] label").filter(visible=True).click()
            try:
                self.page.wait_for_function("(scheme) => document.body.dataset.mdColorScheme === scheme", arg=wanted, timeout=5_000)
            except Exception:
                raise AssertionError(f"{self.page_name} : le bouton de palette n'a pas mis la page en mode {scheme}") from None
        self.settle()


# Resolves once the page has painted and its CSS transitions have ended (Material eases colours after a palette
# change, and elements just shown, e.g. an opened <details>, start from stale colours).
SETTLE = """async () => {
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    await Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition).map(a => a.finished.catch(() => null)));
}"""


MERMAID_TIMEOUT_MS = 30_000


class Views:
    """One page per page of the course, all started at once (they load in parallel in Chromium), in fresh
    browser contexts (empty cache and localStorage), each made ready when a test first asks for it."""

    def __init__(self, browser, base_url: str) -> None:
        self.views: dict[str, View] = {}
        for page_name in SITE_PAGES:
            context = browser.new_context(viewport=VIEWPORTS["bureau"], color_scheme="light", locale="fr-FR")
            context.set_default_timeout(20_000)
            # Belt and braces: a request to another host is recorded (View.requests), then refused.
            context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*://"), lambda route: route.abort())
            view = View(page_name, base_url + url_path(page_name), context, context.new_page())
            view.record()
            view.page.goto(view.url, wait_until="commit")
            self.views[page_name] = view

    def __getitem__(self, page_name: str) -> View:
        view = self.views[page_name]
        if not view.ready:
            page = view.page
            page.wait_for_load_state("networkidle")
            # Material turns each <pre class="mermaid"> into a <div class="mermaid"> holding the diagram. Alone, a
            # page renders its diagrams in under 2 s; here all the pages load at once on the machine's cores, and
            # chapter 1 was seen to need more than 10 s when its tests came first.
            try:
                page.wait_for_function("document.querySelectorAll('pre.mermaid').length === 0", timeout=MERMAID_TIMEOUT_MS)
            except Exception:
                view.problems.append(
                    f"des schémas Mermaid n'ont pas été rendus en {MERMAID_TIMEOUT_MS // 1000} s (pre.mermaid encore présent)"
                )
            page.evaluate("document.fonts.ready.then(() => null)")
            view.loaded_errors, view.loaded_finished = list(view.errors), list(view.finished)
            view.ready = True
        return view

    def __iter__(self):
        return (self[page_name] for page_name in SITE_PAGES)

    def close(self) -> None:
        for view in self.views.values():
            view.context.close()


@pytest.fixture(scope="module")
def views(browser, base_url):
    opened = Views(browser, base_url)
    yield opened
    opened.close()


# --- loading: no console error, no other host --------------------------------------------------------------


def test_nav_lists_every_page_of_the_course(views):
    links = views[HOME].page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "links => links.map(a => a.href)")
    listed = {urlsplit(link).path for link in links}
    expected = {"/" + url_path(page) for page in PAGES}
    assert listed == expected, f"la navigation liste {sorted(listed)}, les pages du cours sont {sorted(expected)}"


@pytest.mark.parametrize("page", SITE_PAGES, ids=slug)
def test_page_loads_without_console_error_nor_request_to_another_host(page, views):
    view = views[page]
    assert view.loaded_finished, f"{page} : aucune requête enregistrée (l'enregistrement ne marche pas ?)"
    foreign = sorted({urlsplit(url).hostname or url for url in view.requests if page_weight.is_foreign(url)})
    problems = [f"requête vers un autre hôte que 127.0.0.1 : {host}" for host in foreign] + view.loaded_errors
    assert not problems, f"{page} :\n" + "\n".join(problems)


# --- rendering: diagrams, plots, images, in light and dark mode -----------------------------------------------


def _mermaid_render(view: View) -> list[dict]:
    """What each Mermaid host holds in its closed shadow root: DevTools' DOM (CDP) pierces closed roots, which
    scripts in the page cannot open."""

    def walk(node):
        yield node
        for child in node.get("children", []) + node.get("shadowRoots", []):
            yield from walk(child)

    def attributes(node) -> dict:
        values = node.get("attributes", [])
        return dict(zip(values[::2], values[1::2]))

    def texts(node, in_style=False):
        if node.get("nodeType") == 3 and not in_style:
            yield node["nodeValue"]
        for child in node.get("children", []):
            yield from texts(child, in_style or node.get("localName") in ("style", "script"))

    session = view.context.new_cdp_session(view.page)
    try:
        document = session.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        hosts = session.send("DOM.querySelectorAll", {"nodeId": document, "selector": ".mermaid"})["nodeIds"]
        nodes = [session.send("DOM.describeNode", {"nodeId": host, "depth": -1, "pierce": True})["node"] for host in hosts]
    finally:
        session.detach()
    found = []
    for node in nodes:  # in document order: <pre> not rendered (yet), <div> rendered
        shadow = node.get("shadowRoots", [])
        inside = [n for root in shadow for n in walk(root)]
        found.append({
            "rendered": node.get("localName") == "div",
            "svg": any(n.get("localName") == "svg" for n in inside),
            "error": any(attributes(n).get("aria-roledescription") == "error" or "error-text" in attributes(n).get("class", "") for n in inside),
            "text": " ".join(" ".join(texts(root)) for root in shadow),
        })
    return found


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page", SITE_PAGES, ids=slug)
def test_diagrams_plots_and_images_are_rendered(page, scheme, views, site):
    view = views[page]
    try:
        view.set_scheme(scheme)
        # A diagram or a plot inside a folded solution is seen once the reader opens it: open them all.
        view.page.evaluate(f"() => document.querySelectorAll('details:not([open])').forEach(d => {{ d.open = true; d.{FOLDED} = true; }})")
        view.settle()
        problems = list(view.problems) + _rendering_problems(view, soup_of(html_file(site, page)))
    finally:
        view.page.evaluate(f"() => document.querySelectorAll('details').forEach(d => {{ if (d.{FOLDED}) {{ d.open = false; delete d.{FOLDED}; }} }})")
        view.set_scheme("clair")
    assert not problems, f"{page} (mode {scheme}) :\n" + "\n".join(problems)


FOLDED = "__coursRayFolded"  # marks the <details> a test opened, to fold them again


def _rendering_problems(view: View, source: BeautifulSoup) -> list[str]:
    problems = []

    # Mermaid: Material renders each diagram into a closed shadow root of a <div class="mermaid">.
    sources = [pre.get_text() for pre in source.select("pre.mermaid")]
    rendered = _mermaid_render(view)
    boxes = view.page.locator(".mermaid").evaluate_all(
        "hosts => hosts.map(host => { const r = host.getBoundingClientRect(); return [r.width, r.height, host.checkVisibility()]; })")
    if len(rendered) != len(sources):
        problems.append(f"{len(sources)} schéma(s) Mermaid dans le HTML, {len(rendered)} dans le navigateur")
    for index, (text, render, (width, height, visible)) in enumerate(zip(sources, rendered, boxes)):
        if not render["rendered"]:
            problems.append(f"schéma n° {index + 1} : pas rendu par Mermaid (<pre class=\"mermaid\"> encore là)")
            continue
        if not (width > 0 and height > 0 and visible):
            problems.append(f"schéma n° {index + 1} : invisible ou de taille nulle ({width} × {height})")
        if not render["svg"] or render["error"] or re.search(r"syntax error|error in text", render["text"], re.I):
            problems.append(f"schéma n° {index + 1} : erreur de rendu Mermaid : {render['text'][:200]!r}")
        missing = [label for label in re.findall(r'"([^"]+)"', text) if label not in render["text"]]
        if missing:
            problems.append(f"schéma n° {index + 1} : étiquettes absentes du rendu : {missing}")

    # Plots: inline SVG made at build time.
    expected_plots = len(source.select("figure.cr-figure svg[role=img]"))
    plots = view.page.locator("figure.cr-figure svg[role=img]").evaluate_all(
        "svgs => svgs.map(svg => { const r = svg.getBoundingClientRect(); return [r.width, r.height, svg.checkVisibility()]; })")
    if len(plots) != expected_plots:
        problems.append(f"{expected_plots} graphique(s) dans le HTML, {len(plots)} dans le navigateur")
    problems += [f"graphique n° {index + 1} : invisible ou de taille nulle ({width} × {height})"
                 for index, (width, height, visible) in enumerate(plots) if not (width > 0 and height > 0 and visible)]

    # Images (none yet: the plots are inline SVG, the icons too): each must have loaded, lazy ones included.
    broken = view.page.evaluate("""async () => {
        const images = [...document.images];
        await Promise.all(images.map(image => { image.loading = 'eager'; return image.decode().catch(() => null); }));
        return images.filter(image => !(image.complete && image.naturalWidth > 0)).map(image => image.currentSrc || image.src);
    }""")
    problems += [f"image cassée : {src}" for src in broken]
    return problems


# --- screenshots ---------------------------------------------------------------------------------------------


class _ScreenshotReport:
    """Writes where the screenshots are at the end of pytest's output (shown without -s)."""

    def __init__(self, folder: Path, full_page: bool) -> None:
        self.folder, self.full_page = folder, full_page

    def pytest_terminal_summary(self, terminalreporter) -> None:
        shots = sorted(self.folder.glob("*.jpg"))
        if shots:
            terminalreporter.write_sep("-", "captures d'écran")
            kind = "pleine page" if self.full_page else "du premier écran (pleine page : pytest --full-captures)"
            terminalreporter.write_line(f"{len(shots)} captures {kind} (bureau 1280 px, mobile 390 px ; clair, sombre) dans {self.folder}")


@pytest.fixture(scope="module")
def screenshot_folder(tmp_path_factory, pytestconfig) -> Path:
    folder = tmp_path_factory.mktemp("captures")
    name = "cours-ray-captures"
    if pytestconfig.pluginmanager.get_plugin(name) is None:
        pytestconfig.pluginmanager.register(_ScreenshotReport(folder, pytestconfig.getoption("--full-captures")), name)
    return folder


@pytest.mark.parametrize("page", SITE_PAGES, ids=slug)
def test_screenshots_of_page_at_desktop_and_mobile_widths_light_and_dark(page, views, screenshot_folder, record_property, pytestconfig):
    view = views[page]
    full_page = pytestconfig.getoption("--full-captures")
    problems = list(view.problems)
    try:
        for scheme in SCHEMES:
            view.set_scheme(scheme)
            for viewport, size in VIEWPORTS.items():
                name = f"{slug(page)}-{viewport}-{scheme}"
                view.page.set_viewport_size(size)
                view.settle()
                width = view.page.evaluate("document.documentElement.scrollWidth")
                if width > size["width"]:
                    problems.append(f"{name} : la page déborde horizontalement ({width} px de large pour {size['width']} px)")
                path = screenshot_folder / f"{name}.jpg"
                # JPEG: a full-page capture of chapter 1 on the desktop is ~1280 × 22 000 px, PNG-encoded in
                # ~3 s against ~1.7 s, for the same size on disk. The 52 full-page captures, for a person to look
                # at, cost about 90 s, hence opt-in; the overflow check above covers the whole page either way.
                view.page.screenshot(path=path, full_page=full_page, type="jpeg", quality=85)
                if not path.exists() or path.stat().st_size == 0:
                    problems.append(f"{name} : capture vide")
    finally:
        view.page.set_viewport_size(VIEWPORTS["bureau"])
        view.set_scheme("clair")
    record_property("captures", str(screenshot_folder))
    assert not problems, "\n".join(problems)


# --- interaction: search, folded solutions, content tabs -------------------------------------------------------


def _close_search(page) -> None:
    """Closes Material's search overlay and empties its query (the page is captured by other tests)."""
    page.evaluate("""() => {
        const input = document.querySelector('input.md-search__input');
        if (input) { input.value = ''; input.dispatchEvent(new Event('input')); input.blur(); }
    }""")
    if page.evaluate("document.getElementById('__search').checked"):
        page.keyboard.press("Escape")
        page.wait_for_function("!document.getElementById('__search').checked")


def test_french_search_finds_the_chapter_offline(views):
    view = views[HOME]
    page, errors, requests = view.page, len(view.errors), len(view.requests)
    search = page.locator("input.md-search__input")
    chapter = "/" + url_path(CHAPTER)
    try:
        for query in ("ObjectRef", "tâche"):
            search.click()
            search.press("Control+A")
            search.press("Backspace")
            search.press_sequentially(query, delay=20)  # Material searches on key events, as the reader types
            try:
                page.wait_for_function(
                    "(path) => [...document.querySelectorAll('.md-search-result a')].some(a => new URL(a.href).pathname === path)",
                    arg=chapter, timeout=10_000,
                )
            except Exception:
                found = page.locator(".md-search-result__meta").inner_text()
                pytest.fail(f"la recherche de « {query} » ne trouve pas {CHAPTER} ({found})")
    finally:
        _close_search(page)
    # In French: Material's worker loaded lunr's French stemmer, from this site.
    assert [url for url in view.requests if url.endswith("/lunr.fr.min.js")], "la recherche n'a pas chargé lunr.fr (français)"
    foreign = [url for url in view.requests[requests:] if page_weight.is_foreign(url)]
    assert not foreign, f"la recherche a demandé d'autres hôtes que 127.0.0.1 : {foreign}"
    assert not view.errors[errors:], "\n".join(view.errors[errors:])


# For each <details> of the article: its summary, whether it is open, and which of its other children are shown
# (checkVisibility: Chromium keeps a closed <details>' content in the layout, out of sight).
DETAILS_STATE = """() => [...document.querySelectorAll('article details')].map(details => ({
    summary: (details.querySelector(':scope > summary') || {textContent: ''}).textContent.trim(),
    open: details.open,
    shown: [...details.children].filter(child => child.tagName !== 'SUMMARY').map(child => child.checkVisibility()),
}))"""


def test_folded_solutions_open_on_click(views, site):
    view = views[CHAPTER]
    page, errors = view.page, len(view.errors)
    expected = [d for d in soup_of(html_file(site, CHAPTER)).select("article details")
                if d.summary and d.summary.get_text(strip=True) == "Solution"]
    assert expected, f"{CHAPTER} n'a plus de solution repliée (??? success \"Solution\") : test à revoir"
    before = page.evaluate(DETAILS_STATE)
    solutions = [index for index, details in enumerate(before) if details["summary"] == "Solution"]
    assert len(solutions) == len(expected), f"{len(solutions)} solutions repliées dans le navigateur, {len(expected)} dans le HTML"
    problems = [f"solution n° {n + 1} : ouverte avant le clic" for n, index in enumerate(solutions)
                if before[index]["open"] or any(before[index]["shown"])]
    try:
        for index in solutions:
            page.locator("article details").nth(index).locator(":scope > summary").click()
        after = page.evaluate(DETAILS_STATE)
    finally:  # folded again, as the screenshots show them
        page.evaluate("() => { document.querySelectorAll('article details[open]').forEach(d => d.open = false); document.activeElement.blur(); }")
        page.evaluate("window.scrollTo(0, 0)")
    problems += [f"solution n° {n + 1} : fermée ou contenu invisible après le clic ({after[index]})" for n, index in enumerate(solutions)
                 if not (after[index]["open"] and after[index]["shown"] and all(after[index]["shown"]))]
    assert not problems, "\n".join(problems)
    assert not view.errors[errors:], "\n".join(view.errors[errors:])


def test_content_tabs_switch_on_click(views, site):
    with_tabs = [page for page in PAGES if soup_of(html_file(site, page)).select(".tabbed-set")]
    if not with_tabs:
        # The course has no content tabs (=== "…") yet: nothing to switch. Checked rather than assumed, in the
        # built HTML above and here in the browser, so that this test switches tabs as soon as a page has some.
        assert all(view.page.locator(".tabbed-set").count() == 0 for view in views)
        return
    problems = []
    for page_name in with_tabs:
        page = views[page_name].page
        sets = page.locator("article .tabbed-set")
        for index in range(sets.count()):
            labels = sets.nth(index).locator(":scope > .tabbed-labels > label")
            blocks = sets.nth(index).locator(":scope > .tabbed-content > .tabbed-block")
            for tab in [*reversed(range(labels.count()))]:  # the first one is shown already: start from the last
                labels.nth(tab).click()
                shown = blocks.evaluate_all("blocks => blocks.map(block => block.checkVisibility())")
                if shown != [i == tab for i in range(len(shown))]:
                    problems.append(f"{page_name}, onglets n° {index + 1} : après un clic sur l'onglet {tab + 1}, visibles : {shown}")
        page.evaluate("window.scrollTo(0, 0)")
    assert not problems, "\n".join(problems)


# --- links ----------------------------------------------------------------------------------------------------

LINK_ATTRIBUTES = ("href", "src", "xlink:href", "poster", "data")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)  # http:, https:, mailto:, data:, javascript:, //host


def _site_file(site: Path, path: str) -> Path | None:
    """The file that a static server sends for a URL path of the site, or None. Root-absolute paths (404.html
    has only those, MkDocs not knowing the site's URL) are taken from the site's root."""
    target = site / unquote(path).lstrip("/")
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


@cache
def _anchors(path: Path) -> set[str]:
    soup = soup_of(path)
    return {tag["id"] for tag in soup.select("[id]")} | {tag["name"] for tag in soup.select("a[name]")}


def test_every_internal_link_leads_to_an_existing_file_and_anchor(site):
    broken = []
    pages = sorted(site.rglob("*.html"))
    assert pages, f"aucun fichier HTML dans {site}"
    for path in pages:
        relative = path.relative_to(site).as_posix()
        here = "http://site.invalid/" + relative
        for tag in soup_of(path).find_all(True):
            for attribute in LINK_ATTRIBUTES:
                value = tag.get(attribute)
                if not isinstance(value, str) or EXTERNAL.match(value.strip()):
                    continue
                target = urlsplit(urljoin(here, value.strip()))
                file = _site_file(site, target.path)
                if file is None:
                    broken.append(f"{relative} : <{tag.name} {attribute}=\"{value}\"> : fichier absent")
                elif target.fragment and file.suffix == ".html" and unquote(target.fragment) not in _anchors(file):
                    broken.append(f"{relative} : <{tag.name} {attribute}=\"{value}\"> : ancre #{target.fragment} absente de {file.relative_to(site)}")
    assert not broken, f"{len(broken)} lien(s) interne(s) cassé(s) :\n" + "\n".join(broken)


# --- accessibility: static checks ----------------------------------------------------------------------------


def _looks_french(text: str) -> bool:
    words = set(re.findall(r"[a-zàâçéèêëîïôûùüÿœæ]+", text.lower()))
    return len(words) >= 2 and bool(words & FRENCH_WORDS)


def test_every_page_is_french_and_every_image_has_a_french_text_alternative(site):
    problems = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        soup = soup_of(path)
        if soup.html is None or soup.html.get("lang") != "fr":
            problems.append(f"{relative} : <html lang={soup.html and soup.html.get('lang')!r}> au lieu de lang=\"fr\"")
        for image in soup.find_all("img"):
            alt = (image.get("alt") or "").strip()
            if not _looks_french(alt):
                problems.append(f"{relative} : <img src=\"{image.get('src')}\"> : texte alternatif vide ou pas en français : {alt!r}")
        for svg in soup.select("svg[role=img]"):
            label = (svg.get("aria-label") or (svg.title.get_text() if svg.title else "")).strip()
            if not _looks_french(label):
                problems.append(f"{relative} : <svg role=\"img\"> : aria-label vide ou pas en français : {label!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", SITE_PAGES, ids=slug)
def test_headings_of_the_article_skip_no_level(page, site):
    article = soup_of(html_file(site, page)).select_one("article")
    assert article is not None, f"{page} : pas d'<article>"
    headings = [(int(h.name[1]), h.get_text(" ", strip=True).rstrip("¶").strip()) for h in article.find_all(re.compile(r"^h[1-6]$"))]
    problems = []
    if not headings or headings[0][0] != 1:
        problems.append(f"le premier titre n'est pas un h1 : {headings[:1]}")
    if sum(level == 1 for level, _ in headings) != 1:
        problems.append(f"{sum(level == 1 for level, _ in headings)} titres h1 au lieu d'un")
    for (previous, _), (level, text) in zip(headings, headings[1:]):
        if level > previous + 1:
            problems.append(f"h{previous} suivi de h{level} « {text} » : niveau sauté")
    assert not problems, f"{page} :\n" + "\n".join(problems)


# --- accessibility: axe-core, light and dark ------------------------------------------------------------------

# axe runs in the page. Folded <details> (solutions, preambles) are opened for the run, as a reader would, then
# folded again. Mermaid's closed shadow roots are out of axe's reach (the diagrams' colours are Mermaid's theme);
# the plots' text is reported by axe as "incomplete" (no background can be computed behind SVG), not as a
# violation.
AXE_RUN = """async (rules) => {
    const closed = [...document.querySelectorAll('details:not([open])')];
    closed.forEach(details => details.open = true);
    await (SETTLE)();
    try {
        const result = await axe.run(document, {runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']});
        return result.violations.map(violation => ({
            id: violation.id, impact: violation.impact, help: violation.help,
            nodes: violation.nodes.map(node => {
                const data = (node.any[0] || node.all[0] || node.none[0] || {}).data || {};
                const element = document.querySelector(node.target[0]);
                return {
                    target: node.target.join(' >>> '),
                    element: element ? element.tagName.toLowerCase() + [...element.classList].map(c => '.' + c).join('') : '',
                    colours: data.fgColor ? `${data.fgColor} sur ${data.bgColor} (${data.contrastRatio}:1, attendu ${data.expectedContrastRatio})` : '',
                    text: element ? element.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40) : '',
                };
            }),
        }));
    } finally {
        closed.forEach(details => details.open = false);
    }
}""".replace("SETTLE", SETTLE)


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}) : {violation['help']} — {len(violation['nodes'])} élément(s)")
        groups: dict[tuple, list[dict]] = {}
        for node in violation["nodes"]:
            groups.setdefault((node["element"], node["colours"]), []).append(node)
        for (element, colours), nodes in groups.items():
            examples = ", ".join(f"`{n['target']}` « {n['text']} »" for n in nodes[:2])
            lines.append(f"    {len(nodes)} × {element} {colours} — ex. {examples}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def axe_results(views) -> dict[tuple[str, str], list[dict]]:
    """axe on every page, light then dark; the pages of a palette are analysed at the same time (the promises
    are awaited after all runs have started)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} absent (axe-core, vendu dans tests/vendor/)")
    results = {}
    try:
        for scheme in SCHEMES:
            for view in views:
                view.set_scheme(scheme)
                view.page.mouse.move(0, 0)  # the resting page: no link left under the pointer by an earlier click
                if not view.page.evaluate("typeof window.axe === 'object'"):
                    view.page.add_script_tag(path=str(AXE))
                view.page.evaluate(f"(rules) => {{ window.__coursRayAxe = ({AXE_RUN})(rules); }}", AXE_RULES)
            for view in views:
                results[(view.page_name, scheme)] = view.page.evaluate("window.__coursRayAxe")
    finally:
        for view in views:
            view.set_scheme("clair")
    return results


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page", SITE_PAGES, ids=slug)
def test_axe_finds_no_accessibility_violation(page, scheme, axe_results):
    violations = axe_results[(page, scheme)]
    assert not violations, f"{page} en mode {scheme} : violations axe-core {AXE.name.split('.min')[0]} :\n" + _describe(violations)


# --- page weight -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", SITE_PAGES, ids=slug)
def test_page_weight_stays_within_budget(page, views):
    view = views[page]  # loaded in a fresh context: nothing came from a cache
    weight = page_weight.weigh(view.url, view.loaded_finished)
    largest = "\n".join(f"    {r.transferred:>9} o  {urlsplit(r.url).path}" for r in sorted(weight.resources, key=lambda r: -r.transferred)[:6])
    budget = NOTEBOOK_PAGE_BUDGET_BYTES if page in NOTEBOOK_PAGES else PAGE_BUDGET_BYTES
    assert weight.transferred <= budget and weight.requests <= PAGE_BUDGET_REQUESTS, (
        f"{page} : {weight.transferred} octets en {weight.requests} requêtes, pour un budget de {budget} "
        f"octets et {PAGE_BUDGET_REQUESTS} requêtes ; les plus grosses ressources :\n{largest}"
    )
