"""A block's nbformat outputs, as a page shows them: text blocks (what it printed, what it wrote on stderr, the
value of its last expression) and figures (inline SVG, titled by their alt text)."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # terminal colours: Jupyter draws them, a page shows them as text
STDOUT, STDERR, VALUE = "Sortie", "Sortie d'erreur (stderr)", "Valeur de la dernière expression"


@dataclass
class TextOutput:
    title: str
    text: str


@dataclass
class FigureOutput:
    svg: str
    alt: str


def page_outputs(outputs: list[dict]) -> tuple[list[TextOutput], list[FigureOutput]]:
    """The texts, in the order the block produced them (consecutive writes to one stream merged), and the figures."""
    texts: list[TextOutput] = []
    figures: list[FigureOutput] = []
    for output in outputs:
        kind = output.get("output_type")
        data = output.get("data", {})
        if kind == "stream":
            title = STDOUT if output["name"] == "stdout" else STDERR
            text = _ANSI.sub("", output["text"])
            if texts and texts[-1].title == title:
                texts[-1].text += text
            else:
                texts.append(TextOutput(title, text))
        elif "image/svg+xml" in data:
            figures.append(FigureOutput(data["image/svg+xml"], data.get("text/plain", "")))
        elif "text/plain" in data:
            texts.append(TextOutput(VALUE if kind == "execute_result" else STDOUT, data["text/plain"] + "\n"))
    return texts, figures


def stdout_of(outputs: list[dict]) -> str:
    return "".join(o["text"] for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def text_block(output: TextOutput) -> str:
    """A Markdown fence that shows `output` as text, whatever backticks it contains."""
    longest = max((len(run) for run in re.findall(r"`+", output.text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f'{fence}text title="{output.title}"\n{output.text.rstrip(chr(10))}\n{fence}'


def figure_html(figure: FigureOutput) -> str:
    svg = figure.svg
    # Several plots share a page: every id is made unique to its figure.
    prefix = f"fig-{hashlib.sha256(svg.encode()).hexdigest()[:8]}-"
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r'(url\(#|href="#)([^")]+)', rf"\1{prefix}\2", svg)
    alt = html.escape(figure.alt, quote=True)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{alt}"', 1)
    return f'<figure class="cr-figure">{svg}</figure>'
