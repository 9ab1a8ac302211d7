"""The HTML of a notebook page rendered by mkdocs-jupyter, made to work offline, with its download buttons.

nbconvert's template loads MathJax and, for diagrams, Mermaid from a CDN. The course has no math; its diagrams
are given the markup of the site's own (`pre.mermaid`), which the site draws with its vendored Mermaid. If the
template changes, these rewrites stop matching and the build fails here rather than shipping a page that
reaches out to the network.
"""

from __future__ import annotations

import base64
import binascii
import html as html_lib
import re

_MATHJAX = re.compile(r"<!-- Load mathjax -->\s*<script src=\"[^\"]*\">\s*</script>\s*<!-- MathJax configuration -->\s*"
                      r"<script type=\"text/x-mathjax-config\">.*?</script>\s*<!-- End of mathjax configuration -->", re.S)
_MERMAID_LOADER = re.compile(r"<script type=\"module\">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>", re.S)
_MERMAID_DIAGRAM = re.compile(r"<div class=\"jp-Mermaid\"><pre class=\"mermaid\">\n?(?P<code>.*?)</pre></div>", re.S)
_FIRST_TITLE_END = re.compile(r"</h1>")
_SVG_IMAGE = re.compile(r'<img (?P<before>[^>]*?)src="data:image/svg\+xml;base64,(?P<data>[A-Za-z0-9+/=]+)"(?P<after>[^>]*)>')
_SVG_TITLE = re.compile(r"<svg[^>]*>\s*<title>(?P<title>[^<]*)</title>")

_LABELS = {
    "exercices": "Télécharger ce cahier d'exercices (.ipynb)",
    "solutions": "Télécharger ce cahier des solutions (.ipynb)",
}


class NotebookPageError(Exception):
    """mkdocs-jupyter's HTML is not what this module expects."""


def _once(pattern: re.Pattern, replacement: str, text: str, what: str) -> str:
    result, count = pattern.subn(replacement, text)
    if count != 1:
        raise NotebookPageError(f"{what} : trouvé {count} fois au lieu d'une dans la page rendue par mkdocs-jupyter")
    return result


def notebook_page_html(html: str, kind: str, links: dict[str, str]) -> str:
    """`links`: relative URLs of the notebook file ("notebook"), the data archive ("data") and the chapter page."""
    html = _once(_MATHJAX, "", html, "le chargement de MathJax")
    html = _once(_MERMAID_LOADER, "", html, "le chargement de Mermaid")
    html = _MERMAID_DIAGRAM.sub(lambda m: f'<pre class="mermaid"><code>{m["code"]}</code></pre>', html)
    html = _SVG_IMAGE.sub(_with_alt_text, html)
    # Code that may scroll sideways must be reachable with the keyboard (as Material's own code blocks are).
    html = re.sub(r'<div class="highlight-ipynb([^"]*)">', r'<div class="highlight-ipynb\1" tabindex="0">', html)
    html = html.replace('<div class="highlight"><pre>', '<div class="highlight"><pre tabindex="0">')
    attr = html_lib.escape
    buttons = (
        '<p class="cr-telechargements">'
        f'<a class="md-button md-button--primary" href="{attr(links["notebook"])}" download>{_LABELS[kind]}</a> '
        f'<a class="md-button" href="{attr(links["data"])}" download>Télécharger les données (course-data.zip)</a> '
        f'<a class="md-button" href="{attr(links["chapter"])}">Lire le chapitre</a>'
        "</p>"
    )
    if not _FIRST_TITLE_END.search(html):
        raise NotebookPageError("le cahier n'a pas de titre de niveau 1 où placer ses boutons de téléchargement")
    return _FIRST_TITLE_END.sub(lambda m: m.group(0) + buttons, html, count=1)


def _with_alt_text(match: re.Match) -> str:
    """nbconvert shows an SVG output as an <img> with an English placeholder for alt text: the figure's own
    title (the label it was given at build time) replaces it."""
    try:
        svg = base64.b64decode(match["data"]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise NotebookPageError("une figure du cahier n'est pas un SVG lisible") from None
    title = _SVG_TITLE.search(svg)
    if title is None:
        raise NotebookPageError("une figure du cahier n'a pas de titre <title> : pas de texte alternatif")
    attributes = re.sub(r'\s*alt="[^"]*"', "", f"{match['before']} {match['after']}").strip()
    return f'<img {attributes + " " if attributes else ""}alt="{title["title"]}" src="data:image/svg+xml;base64,{match["data"]}">'
