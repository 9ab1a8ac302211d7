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
INTEGER = r"\d{1,3}(?:[\u202f\u00a0 ]?\d{3})*"  # 4000, or 4 000 with a (narrow) no-break space


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
            rf"|^Ray (?:bat la version (?P<won>«[^»]+») à partir de n = {INTEGER} \(à n = (?P<n>{INTEGER}), {NUMBER} fois plus rapide\)"
            rf"|ne bat pas la version (?P<lost>«[^»]+») dans cette plage de tailles \(rapport à n = (?P<n2>{INTEGER}){SPACE}*:{SPACE}{NUMBER}\))\.$"
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
        # What the raylet tells the driver when a worker dies (`listen_error_messages`, a background thread): full
        # of ids, ports and pids, printed whenever the message arrives, once or twice, before or after the
        # block's own lines. The page shows it as it came; the snapshot leaves it out, and
        # test_claims_03_les_acteurs.py::test_the_driver_is_told_when_an_actor_process_dies checks that it comes.
        "message du raylet",
        re.compile(r"(?m)^\(raylet\) .*(?:\n|$)"),
        "",
        changes=[
            (
                "(raylet) A worker died or was killed while executing a task by an unexpected system error. Worker PID: 16176\n"
                "Avant la panne : [1, 2, 3]\n",
                "Avant la panne : [1, 2, 3]\n",
            ),
            (
                "Avant la panne : [1, 2, 3]\n(raylet) Task Compteur.planter failed. There are 1 retries remaining.\nPanne 1\n",
                "Avant la panne : [1, 2, 3]\nPanne 1\n",
            ),
        ],
        keeps=["Ray écrit une ligne (raylet) A worker died", "(raylet)", "raylet) A worker died"],
    ),
    Mask(
        # The patch release of Python differs from one machine to the next (the course asks for 3.11 or later).
        "version de Python",
        re.compile(r"(?<=python_version=')\d+\.\d+\.\d+(?=')"),
        "<version>",
        changes=[("RayContext(dashboard_url='', python_version='3.11.7', ray_version='2.60.0')", "RayContext(dashboard_url='', python_version='<version>', ray_version='2.60.0')")],
        keeps=["ray_version='2.60.0'", "Python 3.11.7"],
    ),
    Mask(
        # Between two callers Ray guarantees no order, and the page says so: which call ran first depends on how
        # fast the task started (seen both ways, the second beside two CPU hogs). The snapshot keeps the order's
        # two entries, sorted; the block itself asserts that both calls ran.
        "ordre entre deux appelants",
        re.compile(
            r"(?m)^Ordre d'exécution[^\S\n]?: \['appel (?:de la tâche|du driver)', 'appel (?:de la tâche|du driver)'\]\n"
            r"(?:L'appel de la tâche, soumis après celui du driver, a été exécuté avant lui\."
            r"|Cette fois, les appels ont été exécutés dans l'ordre de leur soumission[^\S\n]?: rien ne le garantissait\.)$"
        ),
        "Ordre d'exécution : les appels du driver et de la tâche, <ordre observé>.",
        changes=[
            (
                "Ordre d'exécution : ['appel de la tâche', 'appel du driver']\n"
                "L'appel de la tâche, soumis après celui du driver, a été exécuté avant lui.",
                "Ordre d'exécution : les appels du driver et de la tâche, <ordre observé>.",
            ),
            (
                "Ordre d'exécution : ['appel du driver', 'appel de la tâche']\n"
                "Cette fois, les appels ont été exécutés dans l'ordre de leur soumission : rien ne le garantissait.",
                "Ordre d'exécution : les appels du driver et de la tâche, <ordre observé>.",
            ),
        ],
        keeps=[
            "Ordre d'exécution : ['premier appel', 'second appel']",
            "Ordre d'exécution : ['appel du driver']\nCette fois, les appels ont été exécutés dans l'ordre de leur soumission : rien ne le garantissait.",
        ],
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
            rf"|(?<=nœud, )\d+(?={SPACE}CPU$)"
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
            ("Ray 2.60.0 : un seul nœud, 16 CPU", "Ray 2.60.0 : un seul nœud, <n CPU> CPU"),
        ],
        keeps=["2 CPU", "nœud, 2 CPU demandés", "k = 2 morceaux", "p = 8 : 8 processus worker prêts", "Nombre de morceaux k : 2 ou 3"],
    ),
    Mask(
        # tracemalloc's peak depends on the Python build and its allocator; the ratio the prose states (« deux »
        # integers against thousands) is asserted where it is measured (exercice_2_fibonacci.py:memoire).
        "mémoire mesurée",
        re.compile(rf"{NUMBER}(?={SPACE}Mo au plus fort)"),
        "<mémoire>",
        changes=[
            ("generate_fibonacci(50\u202f000)\u202f: 108,47 Mo au plus fort", "generate_fibonacci(50\u202f000)\u202f: <mémoire> Mo au plus fort"),
            ("fibonacci_last(50\u202f000)\u202f: 0,01 Mo au plus fort", "fibonacci_last(50\u202f000)\u202f: <mémoire> Mo au plus fort"),
        ],
        keeps=["108,47 Mo", "au plus fort", "50\u202f000 Mo"],
    ),
    Mask(
        "rapport mesuré",
        re.compile(
            rf"(?<=version parallèle est ){NUMBER} fois plus (?:lente|rapide)"
            rf"|(?<=, soit ){NUMBER} fois plus (?:lent|rapide)\b"
            rf"|(?<=a pris ){NUMBER} fois plus de temps"
            rf"|(?<=Meilleure accélération mesurée){SPACE}*:{SPACE}{NUMBER}"
            rf"|(?<=le découpage seul divise la durée par ){NUMBER}{SPACE}*; le parallélisme "
            rf"(?:la divise encore par {NUMBER}|n'apporte rien de plus ici \(rapport {NUMBER}\))"
        ),
        lambda m: (" : " if ":" in m[0] else "") + "<rapport mesuré>",
        changes=[
            ("Ici, la version parallèle est 261 fois plus lente.", "Ici, la version parallèle est <rapport mesuré>."),
            ("Ici, la version parallèle est 1,5 fois plus rapide.", "Ici, la version parallèle est <rapport mesuré>."),
            ("En parallèle : <durée> ms, soit 231 fois plus lent", "En parallèle : <durée> ms, soit <rapport mesuré>"),
            (
                "Pour 16 tâches, passer le tableau par valeur a pris 4,4 fois plus de temps que de le passer par son ObjectRef.",
                "Pour 16 tâches, passer le tableau par valeur a pris <rapport mesuré> que de le passer par son ObjectRef.",
            ),
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
        keeps=["la version parallèle est plus lente", "accélération idéale : 2", "divise la durée par deux", "soit 2 tâches", "a pris 3 s"],
    ),
    Mask(
        # Which idle worker runs each task of a chain is Ray's choice: how many processes the traced additions used
        # varies from run to run (seen: the linear chain in one, then in two). What the page states about them, how
        # many ran at once, is asserted where they are measured.
        "processus utilisés",
        re.compile(rf"(?m)(?<= additions, dans )\d+(?={SPACE}processus worker, terminée en )"),
        "<n>",
        changes=[
            (
                "  linéaire : 7 additions, dans 2 processus worker, terminée en 1,79 s",
                "  linéaire : 7 additions, dans <n> processus worker, terminée en 1,79 s",
            ),
        ],
        keeps=["Avant le chronométrage : 2 processus worker", "7 additions, dans 2 processus"],
    ),
]


def mask(text: str) -> str:
    for each in MASKS:
        text = each.pattern.sub(each.replacement, text)
    return text
