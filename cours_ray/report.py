"""The build report: for each page, its sessions, how long they ran, when, on which Ray, Python and cluster, and
whether this build took them from the cache. It becomes the page « Construction du site », the stamp under each
chapter's title, and `construction.json` in the site (what the tests read)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from cours_ray.execute import PageResult

REPORT_FILE = "construction.json"
PAGE_FILE = "construction.md"
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:\s*")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")


@dataclass
class SessionReport:
    name: str
    blocks: int
    seconds: float | None  # None when execution is off
    executed_at: str | None
    from_cache: bool
    python: str | None = None
    ray: str | None = None
    cluster: dict = field(default_factory=dict)


@dataclass
class PageReport:
    path: str
    title: str
    sessions: list[SessionReport]

    @property
    def executed(self) -> bool:
        return bool(self.sessions) and all(s.executed_at for s in self.sessions)

    def stamp(self) -> str | None:
        """« Sorties produites le 2 décembre 2026, avec Ray 2.60.0, sur un seul nœud de 2 CPU. »"""
        if not self.executed:
            return None
        dates = sorted({datetime.fromisoformat(s.executed_at).date() for s in self.sessions})
        when = f"le {french_date(dates[0])}" if len(dates) == 1 else f"entre le {french_date(dates[0])} et le {french_date(dates[-1])}"
        rays = sorted({s.ray for s in self.sessions})
        clusters = {json.dumps(s.cluster, sort_keys=True) for s in self.sessions}
        where = cluster_text(self.sessions[0].cluster) if len(clusters) == 1 else "sur plusieurs clusters"
        return f"Sorties produites {when}, avec Ray {', '.join(rays)}, {where}."


@dataclass
class BuildReport:
    pages: list[PageReport]
    executed_sessions: int = 0  # by this build
    cached_sessions: int = 0
    ray_starts: int = 0

    @classmethod
    def from_results(cls, results: list[PageResult], **counts: int) -> BuildReport:
        pages = []
        for result in results:
            sessions = [
                SessionReport(
                    name=s.session.name,
                    blocks=len(s.session.blocks),
                    seconds=s.entry.seconds if s.entry else None,
                    executed_at=s.entry.executed_at if s.entry else None,
                    from_cache=s.from_cache,
                    python=s.entry.python if s.entry else None,
                    ray=s.entry.ray if s.entry else None,
                    cluster=s.entry.cluster if s.entry else {},
                )
                for s in result.sessions
            ]
            pages.append(PageReport(result.page.path, result.page.title, sessions))
        return cls(pages, **counts)

    def page(self, path: str) -> PageReport:
        return next(page for page in self.pages if page.path == path)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def load(cls, path: Path) -> BuildReport:
        return cls.from_json(path.read_text(encoding="utf-8"))

    @classmethod
    def from_json(cls, text: str) -> BuildReport:
        data = json.loads(text)
        pages = [PageReport(p["path"], p["title"], [SessionReport(**s) for s in p["sessions"]]) for p in data.pop("pages")]
        return cls(pages, **data)

    def markdown(self, link: callable) -> str:
        """The page « Construction du site ». `link(path)`: a Markdown link target to the page `path`."""
        lines = [
            "# Construction du site",
            "",
            "Les sorties de chaque page (textes affichés, valeurs, figures) ont été produites en exécutant son code lors "
            "de la construction du site. Le code d'une page est découpé en **sessions** : en général, une session par "
            "fichier d'exemple, exécutée du début à la fin dans son propre noyau Jupyter, comme le ferait le cahier. "
            "Une session dont ni le code, ni les données, ni les versions n'ont changé depuis sa dernière exécution "
            "n'est pas réexécutée : ses sorties viennent du cache, et la date indiquée est celle de cette exécution.",
            "",
            f"Ces informations existent aussi sous forme de données : [{REPORT_FILE}]({REPORT_FILE}).",
        ]
        for page in self.pages:
            if not page.sessions:
                continue
            total = sum(s.seconds or 0 for s in page.sessions)
            environments = {_environment(s) for s in page.sessions}
            uniform = len(environments) == 1
            lines += ["", f"## {_SHORTCODE.sub('', page.title).strip()}", "", f"[Lire la page]({link(page.path)})"]
            if page.stamp():
                lines[-1] += f" · {page.stamp()}"
            if uniform and page.executed:
                lines += ["", f"Environnement d'exécution : {next(iter(environments))}."]
            header = "| session | blocs | durée | exécutée le | provenance |" + ("" if uniform else " environnement |")
            lines += ["", header, "| --- | ---: | ---: | --- | --- |" + ("" if uniform else " --- |")]
            folder = f"snippets/{Path(page.path).relative_to('docs').with_suffix('').as_posix()}/"
            for s in page.sessions:
                when = french_datetime(s.executed_at) if s.executed_at else "non exécutée"
                origin = "cache" if s.from_cache else ("exécutée par cette construction" if s.executed_at else "—")
                row = f"| `{s.name.removeprefix(folder)}` | {s.blocks} | {seconds_text(s.seconds)} | {when} | {origin} |"
                lines.append(row + ("" if uniform else f" {_environment(s)} |"))
            lines += ["", f"Durée totale d'exécution de la page : {seconds_text(total)}."]
        return "\n".join(lines) + "\n"


def _environment(session: SessionReport) -> str:
    if not session.executed_at:
        return "—"
    return f"Ray {session.ray}, Python {session.python}, {cluster_text(session.cluster, short=True)}"


def french_date(day) -> str:  # noqa: ANN001 - a date
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS[day.month - 1]} {day.year}"


def french_datetime(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{french_date(moment.date())} à {moment:%H:%M} UTC"


def seconds_text(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.1f} s".replace(".", ",")


def cluster_text(cluster: dict, short: bool = False) -> str:
    nodes, cpus = cluster.get("nodes"), cluster.get("cpus")
    if nodes is None:
        return "cluster inconnu"
    if short:
        return f"{'un seul nœud' if nodes == 1 else f'{nodes} nœuds'}, {cpus} CPU"
    return f"sur un seul nœud de {cpus} CPU" if nodes == 1 else f"sur un cluster de {nodes} nœuds et {cpus} CPU"
