"""Page weight: what a reader's browser downloads for each page of the nav, and each notebook page, of the built site.

    mkdocs build --strict && python benchmarks/page_weight.py [--site site/]

Not a test: it serves the built site on 127.0.0.1 (a free port), opens each page of the nav in Chromium
(Debian's /usr/bin/chromium, driven by Playwright; a fresh profile per page, so nothing comes from the cache),
waits until the network is idle, then prints per page the number of requests and the bytes transferred
(headers + bodies, as served: Python's http.server compresses nothing, whereas GitHub Pages serves text
gzip-compressed; the `gzip` column estimates that), then the largest resources.

tests/test_browser.py imports `serve`, `launch`, `chromium_path`, `is_foreign` and `weigh` from here, so that
its budget test counts exactly what this script prints.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# No download, no background traffic: the browser talks only to the local server.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(site: Path):
    """Serve `site` on 127.0.0.1, on a free port, from a thread; yields the base URL (ending with /)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def chromium_path() -> Path | None:
    """Debian's Chromium, or another `chromium` on the PATH; None when there is none."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def launch(playwright):
    """Debian's Chromium, headless, without Playwright's own browser download."""
    return playwright.chromium.launch(executable_path=str(chromium_path() or CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class Resource:
    url: str
    content_type: str
    transferred: int  # response headers + body, as served
    body: int
    gzipped: int  # the body's size once gzip-compressed (text types), else the body's size


@dataclass
class PageWeight:
    url: str
    resources: list[Resource] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # requests to any host but 127.0.0.1
    diagrams: int = 0  # Mermaid diagrams on the page

    @property
    def requests(self) -> int:
        return len(self.resources)

    @property
    def transferred(self) -> int:
        return sum(r.transferred for r in self.resources)

    @property
    def gzipped(self) -> int:
        return sum(r.gzipped for r in self.resources)


def is_foreign(url: str) -> bool:
    """A request to any host but 127.0.0.1 (data:, blob: and about: URLs travel nowhere)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.hostname != "127.0.0.1"


def weigh(url: str, requests, estimate_gzip: bool = False) -> PageWeight:
    """The weight of a page from the Playwright requests it finished (page and workers)."""
    weight = PageWeight(url, foreign=[r.url for r in requests if is_foreign(r.url)])
    for request in requests:
        if urlsplit(request.url).scheme not in ("http", "https"):
            continue  # data: URLs cost no transfer
        sizes = request.sizes()
        response = request.response()
        body = response.body() if response and estimate_gzip else b""
        content_type = ((response.header_value("content-type") if response else None) or "").split(";")[0]
        weight.resources.append(Resource(
            request.url,
            content_type,
            sizes["responseHeadersSize"] + sizes["responseBodySize"],
            sizes["responseBodySize"],
            len(gzip.compress(body, 6)) if estimate_gzip and content_type.startswith(TEXT_TYPES) else sizes["responseBodySize"],
        ))
    return weight


def measure(browser, url: str, viewport: dict | None = None) -> PageWeight:
    """Open `url` in a fresh browser context (empty cache) and total what it downloads until the network is idle
    (the search worker's index and its French stemmer included: Material fetches them on every page load)."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
    try:
        requests, foreign = [], []
        context.on("requestfinished", lambda request: requests.append(request))
        context.on("request", lambda request: is_foreign(request.url) and foreign.append(request.url))
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        weight = weigh(url, requests, estimate_gzip=True)
        weight.foreign = foreign  # refused or failed requests never finish: count them from the start
        weight.diagrams = page.locator(".mermaid").count()
        return weight
    finally:
        context.close()


def nav_pages(browser, base: str) -> list[str]:
    """The URLs of the pages of the nav, as the home page lists them (Material's primary navigation)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base, wait_until="domcontentloaded")
        hrefs = page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "links => links.map(a => a.href)")
        return list(dict.fromkeys(href.split("#")[0] for href in hrefs))
    finally:
        context.close()


def kib(size: int) -> str:
    return f"{size / 1024:,.0f} Kio".replace(",", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="le site construit (défaut : site/)")
    parser.add_argument("--largest", type=int, default=8, help="nombre de plus grosses ressources à afficher")
    arguments = parser.parse_args()
    if not (arguments.site / "index.html").exists():
        sys.exit(f"{arguments.site}/index.html absent : construisez d'abord le site (mkdocs build --strict).")
    if chromium_path() is None:
        sys.exit("Chromium absent : installez le paquet Debian chromium.")

    from playwright.sync_api import sync_playwright

    with serve(arguments.site) as base, sync_playwright() as playwright:
        browser = launch(playwright)
        notebooks = [f"{base}{path.parent.relative_to(arguments.site).as_posix()}/" for path in sorted(arguments.site.glob("cahiers/*/index.html"))]
        weights = [measure(browser, url) for url in nav_pages(browser, base) + notebooks]
        browser.close()

    print(f"{'page':<38} {'requêtes':>8} {'transférés':>12} {'gzip (est.)':>12} {'schémas':>8}")
    for weight in weights:
        path = urlsplit(weight.url).path
        print(f"{path:<38} {weight.requests:>8} {kib(weight.transferred):>12} {kib(weight.gzipped):>12} {weight.diagrams:>8}")
        for url in weight.foreign:
            print(f"    requête vers un autre hôte : {url}")

    mermaid = [(w, r) for w in weights for r in w.resources if "mermaid" in urlsplit(r.url).path.rsplit("/", 1)[-1]]
    idle = [urlsplit(w.url).path for w, r in mermaid if not w.diagrams]
    if idle:
        print(f"\nMermaid ({kib(mermaid[0][1].body)}) est chargé par {len(idle)} page(s) sans schéma : {', '.join(idle)}")

    largest = {}
    for weight in weights:
        for resource in weight.resources:
            largest.setdefault(urlsplit(resource.url).path, resource)
    print("\nPlus grosses ressources (chargées par au moins une page) :")
    for path, resource in sorted(largest.items(), key=lambda item: -item[1].body)[: arguments.largest]:
        pages = sum(any(urlsplit(r.url).path == path for r in w.resources) for w in weights)
        print(f"  {kib(resource.body):>10}  (gzip {kib(resource.gzipped):>9})  {path}  — sur {pages}/{len(weights)} page(s)")


if __name__ == "__main__":
    main()
