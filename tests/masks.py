"""The only place where outputs are made deterministic before they are compared with their snapshots (tests/__snapshots__/).

Each mask is named, replaces one kind of value that differs from one run or one machine to the next, and comes
with examples of what it changes and of near misses it must leave alone (tests/test_masks.py checks both, and
that every mask is still needed by some output of the build). Everything else is compared character for
character: matrices, sums, Fibonacci values, depths, sorted lists, the ideal durations the code computes by
formula, the number of workers a warm-up obtained, the descriptions of the figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Mask:
    name: str
    pattern: re.Pattern
    replacement: str | Callable[[re.Match], str]
    changes: list[tuple[str, str]] = field(default_factory=list)  # (before, after) examples
    keeps: list[str] = field(default_factory=list)  # near misses that must stay as they are


SPACE = r"[^\S\n]"  # one horizontal space, the French non-breaking ones (U+00A0, U+202F) included
NUMBER = r"\d+(?:[.,]\d+)?"  # decimal point or decimal comma


def _numbers(token: str) -> Callable[[re.Match], str]:
    """Replace the numbers inside the match and keep its words, so the sentence around them stays checked."""
    return lambda match: re.sub(NUMBER, token, match[0])


def _table_row(match: re.Match) -> str:
    cells = match[0].split("|")
    cells = [" <mesure> " if re.fullmatch(r"\s*\d+[.,]\d{2,}\s*", cell) else cell for cell in cells]
    return "|".join(cells).rstrip()


def _duration(match: re.Match) -> str:
    return match[0] if match["computed"] else "<durée>"


MASKS = [
    Mask(
        # Conclusions the code draws from its own measurements: which side wins, and from which size, depends on the
        # machine. Before the other masks, so that it sees the raw numbers.
        "conclusion mesurée",
        re.compile(
            r"(?m)(?<=^Sur cette machine, )(?:Ray n'a jamais été plus rapide dans cette plage de tailles"
            r"|Ray n'a été plus rapide que pour certaines tailles, pas durablement"
            rf"|Ray est plus rapide à partir d'une suite de \d[\d\s]* termes, soit des tâches d'environ {NUMBER}{SPACE}ms)(?=\.$)"
            rf"|^Ray (?:bat la version (?P<won>«[^»]+») à partir de n = \d+ \(à n = (?P<n>\d+), {NUMBER} fois plus rapide\)"
            rf"|ne bat pas la version (?P<lost>«[^»]+») dans cette plage de tailles \(rapport à n = (?P<n2>\d+){SPACE}*:{SPACE}{NUMBER}\))\.$"
        ),
        lambda m: (
            f"Ray contre la version {m['won'] or m['lost']} jusqu'à n = {m['n'] or m['n2']} : <conclusion mesurée>."
            if m["won"] or m["lost"]
            else "<conclusion mesurée>"
        ),
        changes=[
            (
                "Sur cette machine, Ray est plus rapide à partir d'une suite de 50\u202f000 termes, soit des tâches d'environ 12,5 ms.",
                "Sur cette machine, <conclusion mesurée>.",
            ),
            ("Sur cette machine, Ray n'a été plus rapide que pour certaines tailles, pas durablement.", "Sur cette machine, <conclusion mesurée>."),
            ("Sur cette machine, Ray n'a jamais été plus rapide dans cette plage de tailles.", "Sur cette machine, <conclusion mesurée>."),
            (
                "Ray bat la version «\u202flocal\u202f» à partir de n = 1000 (à n = 4000, 1,8 fois plus rapide).",
                "Ray contre la version «\u202flocal\u202f» jusqu'à n = 4000 : <conclusion mesurée>.",
            ),
            (
                "Ray ne bat pas la version « local découpé » dans cette plage de tailles (rapport à n = 4000\u202f: 0,85).",
                "Ray contre la version « local découpé » jusqu'à n = 4000 : <conclusion mesurée>.",
            ),
        ],
        keeps=["Sur cette machine, Ray est plus rapide.", "Ray bat la version « local »", "Sur cette machine, rien."],
    ),
    Mask(
        "identifiant Ray",
        re.compile(r"\b(?P<kind>ObjectRef|ObjectID|TaskID|ActorID|NodeID|JobID|WorkerID)\([0-9a-f]{16,}\)|(?<=\bnœud )[0-9a-f]{8}\b"),
        lambda m: f"{m['kind']}(<id>)" if m["kind"] else "<id>",
        changes=[
            ("ObjectRef(c8ef45ccd0112571ffffffffffffffffffffffff0100000001000000)", "ObjectRef(<id>)"),
            ("  nœud e23a74be : 20 tâches", "  nœud <id> : 20 tâches"),  # a node id's first 8 characters
        ],
        keeps=["ObjectRef", "ObjectRef(x)", "ObjectRef(12)", "sur 1 nœud", "nœud deadbeefcafe"],
    ),
    Mask(
        # A number followed by a time unit was measured. Kept: the bounds of « intervalle [a s ; b s] », which the
        # code computes from a formula (max(W/p, D)·s and (W/p + D)·s) instead of measuring them.
        "durée mesurée",
        re.compile(rf"(?P<computed>intervalle \[[^\]\n]*\])|(?<![\w.,]){NUMBER}(?={SPACE}?(?:s|ms|µs)\b)"),
        _duration,
        changes=[
            ("Retour de .remote()   : 2.8 ms", "Retour de .remote()   : <durée> ms"),
            ("Retour de .remote()\u202f: 2,8 ms", "Retour de .remote()\u202f: <durée> ms"),
            ("En série : 101 µs", "En série : <durée> µs"),
            ("Agrégation linéaire : 36 en 8,39 s", "Agrégation linéaire : 36 en <durée> s"),
            ("(préchauffage : 4.6 s)", "(préchauffage : <durée> s)"),
            ("par paires, p =  8 : 0,45 s, intervalle [0,40 s ; 0,59 s]", "par paires, p =  8 : <durée> s, intervalle [0,40 s ; 0,59 s]"),
        ],
        keeps=["(n-1)·s", "8 valeurs", "p = 8 : 8 processus", "10 000 éléments", "2 secondes", "Ray 2.60.0", "[1, 2, 3]"],
    ),
    Mask(
        # Cells of the timing tables: numbers with two decimals or more, in lines made of « | »-separated cells.
        # The sizes (integers) and the ideal durations printed with one decimal ((n-1)·s, ⌈log2 n⌉·s) stay.
        "tableau mesuré",
        re.compile(r"(?m)^.*? \| .*? \| .*$"),
        _table_row,
        changes=[
            ("    1000 |     0.0003 |     0.0049 |        0.05", "    1000 | <mesure> | <mesure> | <mesure>"),
            ("  4 |     0,3 |        0,2 |            0,22 |          0,31", "  4 |     0,3 |        0,2 | <mesure> | <mesure>"),
        ],
        keeps=["    2 |                   1 |                     1", "  n | (n-1)·s | ⌈log2 n⌉·s", "pi = 3.14", "a | 0.25"],
    ),
    Mask(
        "nombre de CPU",
        re.compile(
            rf"(?m)\b\d+{SPACE}CPU logiques"
            rf"|^Processeurs vus par os\.cpu_count\(\){SPACE}*:{SPACE}\d+$"
            rf"|^CPU logiques du cluster Ray \(cluster_resources\){SPACE}*:{SPACE}\d+$"
            rf"|^Nombre de morceaux k{SPACE}*:{SPACE}\d+$"
            rf"|\(accélération idéale{SPACE}*:{SPACE}\d+\)"
        ),
        _numbers("<n CPU>"),
        changes=[
            ("Ray 2.60.0, 1 nœud, 2 CPU logiques", "Ray 2.60.0, 1 nœud, <n CPU> CPU logiques"),
            ("Processeurs vus par os.cpu_count()              : 2", "Processeurs vus par os.cpu_count()              : <n CPU>"),
            ("CPU logiques du cluster Ray (cluster_resources)\u202f: 16", "CPU logiques du cluster Ray (cluster_resources)\u202f: <n CPU>"),
            ("Nombre de morceaux k : 16", "Nombre de morceaux k : <n CPU>"),
            ("(accélération idéale : 2)", "(accélération idéale : <n CPU>)"),
        ],
        keeps=["2 CPU", "k = 2 morceaux", "p = 8 : 8 processus worker prêts", "Nombre de morceaux k : 2 ou 3"],
    ),
    Mask(
        "rapport mesuré",
        re.compile(
            rf"(?<=version parallèle est ){NUMBER} fois plus (?:lente|rapide)"
            rf"|(?<=Meilleure accélération mesurée){SPACE}*:{SPACE}{NUMBER}"
            rf"|(?<=le découpage seul divise la durée par ){NUMBER}{SPACE}*; le parallélisme "
            rf"(?:la divise encore par {NUMBER}|n'apporte rien de plus ici \(rapport {NUMBER}\))"
        ),
        lambda m: (" : " if ":" in m[0] else "") + "<rapport mesuré>",
        changes=[
            ("Ici, la version parallèle est 261 fois plus lente.", "Ici, la version parallèle est <rapport mesuré>."),
            ("Ici, la version parallèle est 1,5 fois plus rapide.", "Ici, la version parallèle est <rapport mesuré>."),
            ("Meilleure accélération mesurée\u202f: 0,78 (", "Meilleure accélération mesurée : <rapport mesuré> ("),
            (
                "À n = 4000, le découpage seul divise la durée par 1,4\u202f; le parallélisme la divise encore par 1,3.",
                "À n = 4000, le découpage seul divise la durée par <rapport mesuré>.",
            ),
            (
                "À n = 4000, le découpage seul divise la durée par 1.4 ; le parallélisme n'apporte rien de plus ici (rapport 0.95).",
                "À n = 4000, le découpage seul divise la durée par <rapport mesuré>.",
            ),
        ],
        keeps=["la version parallèle est plus lente", "accélération idéale : 2", "divise la durée par deux"],
    ),
]


def mask(text: str) -> str:
    for each in MASKS:
        text = each.pattern.sub(each.replacement, text)
    return text
