"""Chapter 1's claims, as tests that can fail. The functions tested are the chapter's own, taken from the
snippet sections the page shows (tests/course.py exec's them through pymdownx.snippets), and the numbers
the page states are read from the page itself. tests/README.md maps each sentence to its test.

The claims about the page's own measurements are asserted where they are measured, at build time (the
« Ce que vérifie la page » blocks, re-measured by the build when noise breaks them); the tests here check that
those asserts say what the prose says. The few timing tests left check Ray's own behaviour, as physical bounds or
robust ratios (`slow`).
"""

from __future__ import annotations

import ast
import math
import os
import random
import re
import shutil
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import course

PAGE = "docs/01-les-taches.md"
TACHES = "snippets/01-les-taches/taches_en_parallele.py"
BASES = "snippets/01-les-taches/erreurs_attente_ressources.py"
MATRICES = "snippets/01-les-taches/exercice_1_matrices.py"
FIBONACCI = "snippets/01-les-taches/exercice_2_fibonacci.py"
DEPENDANCES = "snippets/01-les-taches/exercice_3_dependances.py"
TRI = "snippets/01-les-taches/exercice_braves_tri_a_bulles.py"
CHAPTER_SNIPPETS = tuple(course.snippets_of(PAGE))
pytestmark = pytest.mark.timeout(180)  # a blocked ray.get inside the chapter's own functions can't hang the run

page_text = partial(course.page_prose, PAGE)
stated = partial(course.stated, PAGE)
asserts_of = course.asserts_of
number = course.number
sleeps_of = course.sleeps_of


# --- reading the page ------------------------------------------------------------------------------------


# --- section 1: calling tasks ---------------------------------------------------------------------------


def test_page_lists_the_arguments_of_ray_init():
    listed = stated(r"Les (\w+) arguments : - `([^`]+)` : .*? - `([^`]+)` :")
    for snippet in CHAPTER_SNIPPETS:
        code, _ = course.section_code(snippet, "preambule")
        calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and ast.unparse(n.func) == "ray.init"]
        assert len(calls) == 1, f"{snippet} : un seul ray.init attendu dans le préambule"
        arguments = [f"{k.arg}={ast.unparse(k.value)}" for k in calls[0].keywords]
        assert len(arguments) == number(listed[1]), f"{snippet} : la page annonce {listed[1]} arguments, le code en a {len(arguments)}"
        assert arguments == [listed[2], listed[3]], snippet
        assert "if not ray.is_initialized():" in code, f"{snippet} : la page dit que le préambule ne se reconnecte pas s'il est connecté"


def test_regular_function_returns_one_and_remote_function_cannot_be_called_directly():
    stated(r"renvoie le résultat de la fonction \(1\)")
    stated(r"On ne l'appelle plus directement \(Ray lève une `TypeError`\)")
    namespace = course.exec_sections(TACHES, "fonction_normale", "fonction_distante", namespace=course.preamble_imports(TACHES))
    assert namespace["regular_function"]() == 1
    with pytest.raises(TypeError):
        namespace["remote_function"]()


def test_page_repetitions_match_the_loops():
    times = number(stated(r"et exécutons-la (\d+) fois")[1])
    for section_name in ("en_serie", "en_parallele"):
        code, _ = course.section_code(TACHES, section_name)
        assert re.findall(r"for _ in range\((\d+)\)", code) == [str(times)], section_name
    assert number(stated(r"\*\*En série\*\* : (\d+) appels")[1]) == times
    assert number(stated(r"\*\*En parallèle\*\* : (\d+) appels")[1]) == times
    assert number(stated(r"un seul appel à `ray.get` pour les (\d+) résultats")[1]) == times
    assert number(stated(r"Les (\d+) tâches sont toutes soumises")[1]) == times


def test_page_sleep_durations_match_the_code():
    # soumission_immediate submits a task as soon as it runs: only its definition is read here.
    code, _ = course.section_code(TACHES, "soumission_immediate")
    slow = ast.parse(code).body[0]
    assert isinstance(slow, ast.FunctionDef) and slow.name == "slow_function"
    sleeps = [ast.unparse(n.args[0]) for n in ast.walk(slow) if isinstance(n, ast.Call) and ast.unparse(n.func) == "time.sleep"]
    assert sleeps == [str(number(stated(r"Chronométrons une tâche qui dort (\w+) seconde")[1]))]

    namespace = course.exec_sections(DEPENDANCES, "add", "sleep_court", namespace=course.preamble_imports(DEPENDANCES))
    assert sleeps_of(namespace["add"], 1, 2) == [number(stated(r"un appel à `time.sleep\((\d+)\)`, qui dure une seconde")[1])] == [1]
    short = number(stated(r"une version plus courte de `add`, qui dort ([\d,]+) seconde")[1])
    assert sleeps_of(namespace["add_short"], 1, 2) == [short]
    assert course.literal_assignments(DEPENDANCES, "mesure_dependances")["DUREE"] == short
    traced = course.exec_definitions(DEPENDANCES, "add_traced", "add_traced", namespace=course.preamble_imports(DEPENDANCES))
    assert sleeps_of(traced["add_traced"], 1, 2) == [number(stated(r"`add_traced` fait la même addition que `add`, en ([\d,]+) s")[1])]


# --- exercise 1: the matrices --------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_matrix_sum_equals_numpy_sum_of_data_files(ray_driver):
    namespace = course.exec_sections(MATRICES, "preambule", "donnees", "read_array", "add_array", "chemins")
    left, right = namespace["left_matrix_path"], namespace["right_matrix_path"]
    assert left.parent == course.ROOT / "course-data" / "01-les-taches"
    total = ray_driver.get(namespace["add_array"].remote(namespace["read_array"].remote(left), namespace["read_array"].remote(right)), timeout=60)
    expected = np.loadtxt(left, dtype=int) + np.loadtxt(right, dtype=int)
    assert total.dtype.kind == "i"
    assert np.array_equal(total, expected)
    assert total.sum() == np.loadtxt(left).sum() + np.loadtxt(right).sum()


def run_data_section_as_in_a_notebook() -> dict:
    """The `donnees` section the way Jupyter runs it: no __file__, the notebook's folder as working directory."""
    code, _ = course.section_code(MATRICES, "donnees")
    namespace = {"__name__": "__main__", "Path": Path}
    exec(code, namespace)  # noqa: S102
    return namespace


def test_notebook_finds_the_data_next_to_it_or_says_which_folder_is_missing(tmp_path, monkeypatch):
    stated(r"Si le dossier\s+`course-data` manque, le programme s'arrête sur un message qui donne le chemin attendu")
    monkeypatch.chdir(tmp_path)
    expected = tmp_path / "course-data" / "01-les-taches"
    with pytest.raises(FileNotFoundError, match=re.escape(str(expected))):
        run_data_section_as_in_a_notebook()
    shutil.copytree(course.ROOT / "course-data" / "01-les-taches", expected)  # the archive, extracted here
    assert run_data_section_as_in_a_notebook()["DONNEES"] == expected


# --- exercise 2: Fibonacci -----------------------------------------------------------------------------


def fibonacci_reference(k: int) -> int:
    """F(k) with F(0) = 0, F(1) = 1, by fast doubling (independent of the course's loop)."""

    def pair(k: int) -> tuple[int, int]:
        if k == 0:
            return 0, 1
        a, b = pair(k // 2)
        c, d = a * (2 * b - a), a * a + b * b
        return (d, c + d) if k % 2 else (c, d)

    return pair(k)[0]


@pytest.fixture(scope="module")
def fibonacci():
    return course.exec_sections(FIBONACCI, "generate_fibonacci", namespace=course.preamble_imports(FIBONACCI))


def test_fibonacci_prefix_stated_by_page(fibonacci):
    prefix = [int(x) for x in stated(r"suite de Fibonacci \(([\d, ]+)…\)")[1].split(",")]
    assert [fibonacci["generate_fibonacci"](size) for size in range(1, len(prefix) + 1)] == prefix


@pytest.mark.parametrize("size", [*range(1, 60), 100, 1_000, 10_000, 50_000])
def test_generate_fibonacci_returns_the_last_of_size_terms(fibonacci, size):
    assert fibonacci["generate_fibonacci"](size) == fibonacci_reference(size - 1)


def test_fibonacci_terms_have_thousands_of_digits_at_the_page_size(fibonacci):
    stated(r"des entiers de milliers de chiffres")
    size = number(stated(r"Chronométrons-la avec une taille de ([\d ]+\d)")[1])
    code, _ = course.section_code(FIBONACCI, "chrono_local")
    assert re.search(rf"run_local\({size:_}\)", code), f"chrono_local n'utilise plus la taille {size} annoncée"
    assert len(str(fibonacci["generate_fibonacci"](size))) >= 1000


@pytest.mark.timeout(120)
def test_run_local_and_run_remote_compute_one_result_per_cpu_of_the_cluster(ray_driver):
    stated(r"On lancera autant de calculs que le cluster a de CPU : le nombre que donne `ray.cluster_resources\(\)`")
    namespace = course.exec_sections(FIBONACCI, "preambule", "generate_fibonacci", "generate_fibonacci_distributed", "number_of_tasks", "run_local", "run_remote")
    cpus = int(ray_driver.cluster_resources()["CPU"])
    assert namespace["number_of_tasks"] == cpus
    local = namespace["run_local"](2_000)
    assert local == [fibonacci_reference(1_999)] * cpus
    assert namespace["run_remote"](2_000) == local
    refs = [namespace["generate_fibonacci_distributed"].remote(size) for size in (1, 2, 30, 5_000)]
    assert ray_driver.get(refs, timeout=60) == [fibonacci_reference(size - 1) for size in (1, 2, 30, 5_000)]


# --- exercise 3: dependencies, work and depth ----------------------------------------------------------


class Value:
    """What a fake add task returns: the sum, its depth in the task graph, and who consumed it."""

    def __init__(self, value: int, depth: int = 0, inputs: tuple = ()) -> None:
        self.value, self.depth, self.inputs, self.consumer = value, depth, inputs, None


class FakeAdd:
    """Stands for `add`: `.remote(x, y)` returns at once a value one level deeper than its deepest input."""

    def __init__(self) -> None:
        self.tasks: list[Value] = []

    def remote(self, x: Value, y: Value) -> Value:
        result = Value(x.value + y.value, 1 + max(x.depth, y.depth), (x, y))
        x.consumer = y.consumer = result
        self.tasks.append(result)
        return result


@pytest.fixture(scope="module")
def strategies():
    return course.exec_sections(DEPENDANCES, "sum_linear", "sum_pairwise", namespace=course.preamble_imports(DEPENDANCES))


def aggregate(strategies, name: str, n: int) -> tuple[Value, FakeAdd, list[Value]]:
    leaves, add = [Value(v) for v in range(1, n + 1)], FakeAdd()
    return strategies[name](leaves, add), add, leaves


def test_page_states_the_depths_tested_below():
    stated(r"Profondeur : D = n − 1, en O\(n\)")
    stated(r"Profondeur : D = ⌈log₂ n⌉, en O\(log n\)")
    stated(r"il faut n − 1 additions pour n'en garder qu'un, \*\*dans les deux versions\*\*")


@pytest.mark.parametrize("n", range(2, 34))
def test_linear_aggregation_has_depth_n_minus_1(strategies, n):
    result, add, _ = aggregate(strategies, "sum_linear", n)
    assert result.value == n * (n + 1) // 2
    assert len(add.tasks) == n - 1  # work
    assert result.depth == n - 1  # critical path


@pytest.mark.parametrize("n", range(2, 34))
def test_pairwise_aggregation_has_depth_ceil_log2_n(strategies, n):
    result, add, leaves = aggregate(strategies, "sum_pairwise", n)
    assert result.value == n * (n + 1) // 2
    assert len(add.tasks) == n - 1  # same work as the linear version
    assert result.depth == math.ceil(math.log2(n))
    # « le premier niveau compte n / 2 additions indépendantes »
    assert sum(1 for task in add.tasks if task.depth == 1) == n // 2
    # « après k niveaux, il en reste ⌈n / 2^k⌉ »
    for k in range(result.depth + 1):
        left = [v for v in leaves + add.tasks if v.depth <= k and (v.consumer is None or v.consumer.depth > k)]
        assert len(left) == math.ceil(n / 2**k), f"k = {k}"


def greedy_schedule(tasks: list[Value], p: int | None) -> tuple[int, int]:
    """Tasks of one time unit each on p workers (None: as many as needed), run by a scheduler that never leaves a
    worker idle while a task is ready (in submission order, like Ray's queue): (time units, most tasks ready at once)."""
    done: set[int] = set()
    remaining, steps, most_ready = list(tasks), 0, 0
    while remaining:
        ready = [t for t in remaining if all(not i.inputs or id(i) in done for i in t.inputs)]
        most_ready = max(most_ready, len(ready))
        done.update(id(t) for t in ready[:p])
        remaining = [t for t in remaining if id(t) not in done]
        steps += 1
    return steps, most_ready


@pytest.mark.parametrize("n", range(2, 34))
def test_brent_bounds_hold_for_a_scheduler_that_never_idles(strategies, n):
    stated(r"un planificateur qui ne laisse jamais un worker inoccupé quand une tâche est prête termine en un temps T tel que max\(W / p, D\) · s ≤ T ≤ \(W / p \+ D\) · s")
    for strategy in ("sum_linear", "sum_pairwise"):
        result, add, _ = aggregate(strategies, strategy, n)
        work, depth = len(add.tasks), result.depth
        for p in range(1, 17):
            steps, _ = greedy_schedule(add.tasks, p)
            assert max(math.ceil(work / p), depth) <= steps <= work / p + depth, (strategy, p)
            if strategy == "sum_linear":
                assert steps == n - 1  # « T = (n − 1) · s quel que soit p »


@pytest.mark.parametrize("n", range(2, 34))
def test_pairwise_with_floor_n_over_2_workers_lasts_its_depth(strategies, n):
    stated(r"il n'y en a donc jamais plus de ⌊n / 2⌋ à la fois\) : la durée vaut ⌈log₂ n⌉ · s")
    _, add, _ = aggregate(strategies, "sum_pairwise", n)
    steps, most_ready = greedy_schedule(add.tasks, None)
    assert most_ready <= n // 2
    assert greedy_schedule(add.tasks, n // 2)[0] == steps == math.ceil(math.log2(n))
    # « elle reste en O(log n) tant que p est au moins de l'ordre de n / log₂ n »
    p = max(1, math.ceil(n / math.log2(n)))
    assert greedy_schedule(add.tasks, p)[0] <= 2 * math.ceil(math.log2(n))


@pytest.mark.parametrize("n", [4, 8, 16, 32])
def test_pairwise_with_fewer_workers_is_longer_when_n_is_a_power_of_2(strategies, n):
    stated(r"Avec moins de workers, elle peut être plus longue, et elle l'est toujours quand n est une puissance de 2")
    _, add, _ = aggregate(strategies, "sum_pairwise", n)
    for p in range(1, n // 2):
        assert greedy_schedule(add.tasks, p)[0] > math.log2(n), p


def test_page_states_how_many_values_are_aggregated():
    namespace = course.exec_sections(DEPENDANCES, "values")
    values = namespace["values"]
    assert number(stated(r"nous allons agréger (\d+) valeurs")[1]) == len(values)
    assert number(stated(r"les deux approches que nous allons comparer, pour (\d+) valeurs")[1]) == len(values)
    many, first, last = map(number, stated(r"Les valeurs à additionner sont les (\d+) entiers de (\d+) à (\d+)").groups())
    assert values == list(range(first, last + 1)) and len(values) == many
    additions, seconds = stated(r"Les (\d+) additions durent chacune (\w+) seconde").groups()
    assert number(additions) == len(values) - 1  # the work W = n - 1 of both strategies


def mermaid_graphs() -> list[dict]:
    """The page's mermaid graphs as {node: (value, [inputs])}, from « a --> b » lines and their labels."""
    text = (course.ROOT / PAGE).read_text(encoding="utf-8")
    graphs = []
    for block in re.findall(r"```mermaid\n(.*?)```", text, re.S):
        nodes: dict[str, list] = {}
        for line in block.split("\n"):
            if "-->" not in line:
                continue
            for name, leaf, total in re.findall(r"(\w+)(?:\(\((\d+)\)\)|\[\"add → (\d+)\"\])?", line.replace("-->", " ")):
                node = nodes.setdefault(name, [None, []])
                if leaf or total:
                    node[0] = int(leaf or total)
            source, target = (re.match(r"\s*(\w+)", side)[1] for side in line.split("-->"))
            nodes[target][1].append(source)
        graphs.append(nodes)
    return graphs


@pytest.mark.parametrize("strategy", ["sum_linear", "sum_pairwise"])
def test_mermaid_graph_of_page_is_the_one_the_function_builds(strategies, strategy):
    """Each « add → v » of the page's diagram adds the two values that point to it, and the diagram has
    exactly the additions (inputs → result) that the chapter's function submits for the 8 values."""
    graphs = [g for g in mermaid_graphs() if any(v[0] == 36 for v in g.values())]
    assert len(graphs) == 2, "deux diagrammes d'agrégation attendus (linéaire, par paires)"
    graph = graphs[0 if strategy == "sum_linear" else 1]
    shown = sorted((tuple(sorted(graph[i][0] for i in inputs)), value) for value, inputs in graph.values() if inputs)
    _, add, _ = aggregate(strategies, strategy, 8)
    built = sorted((tuple(sorted(v.value for v in task.inputs)), task.value) for task in add.tasks)
    assert shown == built


def test_page_states_depth_and_first_level_for_8_values(strategies):
    values, depth, first_level, cpus = map(number, stated(
        r"Avec (\d+) valeurs, la profondeur (\d+) n'est atteinte que si les (\d+) additions du premier niveau "
        r"peuvent tourner ensemble : si le cluster a moins de (\d+) CPU"
    ).groups())
    result, add, _ = aggregate(strategies, "sum_pairwise", values)
    assert result.depth == depth
    assert sum(1 for task in add.tasks if task.depth == 1) == first_level == cpus


def test_measurement_plan_stated_by_page():
    sizes, p_high, p_low = stated(r"pour n = ([\d, ]+ et \d+), avec p = (\d+) \(au moins n / 2 workers pour tous ces n\) et p = (\d+)").groups()
    p_high, p_low = number(p_high), number(p_low)
    plan = course.literal_assignments(DEPENDANCES, "mesure_dependances")
    assert plan["tailles"] == [number(n) for n in re.split(r", | et ", sizes)]
    assert plan["degres"] == [p_high, p_low]
    assert p_high >= max(plan["tailles"]) / 2


# --- the brave exercise: bubble sort -------------------------------------------------------------------


class Counted:
    """A number that counts the `>` comparisons made on it (bubble sort's only comparison)."""

    count = 0

    def __init__(self, value: float) -> None:
        self.value = value

    def __gt__(self, other: Counted) -> bool:
        Counted.count += 1
        return self.value > other.value

    def __lt__(self, other: Counted) -> bool:  # heapq.merge's comparison, not counted
        return self.value < other.value


@pytest.fixture(scope="module")
def sorts():
    namespace = course.exec_assignments(TRI, "preambule", "generateur", namespace=course.preamble_imports(TRI))
    return course.exec_sections(TRI, "bubble_sort", "decoupage", namespace=namespace)


def random_lists(count: int, seed: int = 1):
    rng = random.Random(seed)
    for _ in range(count):
        size = rng.choice([0, 1, 2, 3, rng.randint(4, 60)])
        yield [rng.choice([rng.randint(-5, 5), rng.random()]) for _ in range(size)]


def test_bubble_sort_sorts_random_lists(sorts):
    for values in random_lists(300):
        copy = list(values)
        assert sorts["bubble_sort"](values) == sorted(values)
        assert values == copy, "bubble_sort doit renvoyer une nouvelle liste"


def test_split_makes_k_neighbouring_chunks_in_order(sorts):
    rng = random.Random(2)
    for values in random_lists(200):
        k = rng.randint(1, 8)
        chunks = sorts["split"](values, k)
        assert len(chunks) == k and sum(chunks, []) == values
        assert max(map(len, chunks)) - min(map(len, chunks)) <= 1


def test_chunked_local_sort_sorts_random_lists(sorts):
    rng = random.Random(3)
    for values in random_lists(200):
        assert sorts["bubble_sort_chunked_local"](values, rng.randint(1, 8)) == sorted(values)


@pytest.mark.parametrize("n", [10, 101, 400])
def test_bubble_sort_makes_about_n_squared_over_2_comparisons(sorts, n):
    stated(r"environ n² / 2 comparaisons pour n éléments")
    Counted.count = 0
    sorts["bubble_sort"]([Counted(v) for v in range(n, 0, -1)])  # worst case
    assert Counted.count == n * (n - 1) // 2 <= n * n / 2
    Counted.count = 0
    sorts["bubble_sort"]([Counted(v) for v in range(n)])  # sorted: one pass, then stops
    assert Counted.count == n - 1


@pytest.mark.parametrize(("n", "k"), [(400, 2), (400, 4), (1000, 8)])
def test_chunking_divides_comparisons_by_k(sorts, n, k):
    stated(r"k · \(n / k\)² / 2 = n² / \(2k\) comparaisons, au lieu de n² / 2")
    Counted.count = 0
    sorts["bubble_sort_chunked_local"]([Counted(v) for v in range(n, 0, -1)], k)
    chunk = n / k
    assert Counted.count == k * chunk * (chunk - 1) / 2 <= n * n / (2 * k)


def exec_definitions_of_mesure(namespace: dict, *names: str) -> dict:
    """Runs only the statements of the sort's `mesure` section that define `names` (not the measurement)."""
    return course.exec_definitions(TRI, "mesure", *names, namespace=namespace)


@pytest.mark.timeout(120)
def test_distributed_sort_sorts_random_lists(ray_driver):
    namespace = course.exec_sections(TRI, "preambule", "bubble_sort", "decoupage", "version_ray")
    exec_definitions_of_mesure(namespace, "k")
    assert namespace["k"] == int(ray_driver.cluster_resources()["CPU"])  # « un morceau par CPU du cluster »
    rng = random.Random(4)
    for values in random_lists(8, seed=5):
        assert namespace["bubble_sort_distributed"](values, rng.randint(1, 4)) == sorted(values)


# --- the page's measurements: each bound the prose states is asserted where it is measured, at build time ---


def test_submission_returns_at_once_while_ray_get_waits_as_asserted_at_build():
    stated(r"`.remote\(\)` rend la main en moins d'une demi-seconde, alors que la tâche dure une seconde")
    assert "duree_soumission < 0.5 and duree_totale >= 1" in asserts_of(TACHES, "soumission_immediate")


def test_tiny_parallel_version_is_slower_as_asserted_at_build():
    stated(r"Pour une fonction aussi petite, la version parallèle est la plus lente")
    assert "total == 10 and duree_parallele > duree_serie" in asserts_of(TACHES, "en_parallele")


def test_tasks_of_one_cpu_never_outnumber_the_cpus_as_asserted_at_build():
    stated(r"des tâches d'un CPU qui n'attendent pas d'autres tâches ne sont jamais plus nombreuses à s'exécuter en même temps que les CPU du cluster")
    code, _ = course.section_code(BASES, "ressources")
    assert "for _ in range(2 * cpus)" in code and "occupe.remote(0.5)" in code
    assert "duree >= 1" in asserts_of(BASES, "ressources")  # two rounds of 0.5 s at least


def test_fibonacci_last_keeps_two_terms_against_the_whole_sequence_as_asserted_at_build():
    stated(r"`generate_fibonacci` écrit en mémoire toute la suite, des milliers de grands entiers ; `fibonacci_last` n'en garde que deux")
    code, _ = course.section_code(FIBONACCI, "memoire")
    assert "tracemalloc.get_traced_memory()" in code and "pic_memoire(fonction, 50000)" in ast.unparse(ast.parse(code))
    assert "pics['fibonacci_last'] < pics['generate_fibonacci'] / 1000" in asserts_of(FIBONACCI, "memoire")


def test_speedup_bound_and_tiny_tasks_are_asserted_at_build():
    stated(r"Elle ne peut pas dépasser, aux fluctuations de mesure près, le nombre de tâches qui s'exécutent vraiment en même temps, au plus `min\(number_of_tasks, nombre de CPU\)`")
    stated(r"on verra rarement une accélération avec des tâches de moins d'une dizaine de millisecondes")
    checks = asserts_of(FIBONACCI, "verification_mesures")
    assert "max(accelerations) <= 1.1 * acceleration_ideale" in checks
    assert "accelerations[0] < 1" in checks
    stated(r"quand elles grossissent, il pèse de moins en moins et l'accélération monte")
    assert "accelerations[-1] > accelerations[0]" in checks
    code, _ = course.section_code(FIBONACCI, "croisement")
    assert "acceleration_ideale = min(number_of_tasks, int(ray.cluster_resources()['CPU']))" in ast.unparse(ast.parse(code))


def test_aggregation_durations_are_asserted_at_build():
    stated(r"Les 7 additions durent chacune une seconde")
    assert "result == 36 and duree >= 7" in asserts_of(DEPENDANCES, "demo_lineaire")
    assert "result == 36 and duree >= 3" in asserts_of(DEPENDANCES, "demo_par_paires")
    stated(r"L'agrégation linéaire suit \(n − 1\) · s pour les deux valeurs de p\. L'agrégation par paires suit ⌈log₂ n⌉ · s avec p = 8, et se place entre les deux courbes avec p = 2")
    checks = asserts_of(DEPENDANCES, "verification_mesures")
    assert "duree >= max((n - 1) / simultanees[p], profondeur) * DUREE" in checks  # Brent's lower bound, measured
    assert "0.75 < mesures['linéaire', 2][n] / lineaire < 1.33" in checks  # linear does not depend on p
    assert "paires[8] < lineaire / 2" in checks
    assert "paires[8] <= 1.1 * paires[2] and paires[2] < mesures['linéaire', 2][n]" in checks  # between the curves


def test_sort_gain_bound_and_small_lists_are_asserted_at_build():
    stated(r"la version Ray ne peut gagner, aux fluctuations de mesure près, qu'un facteur d'au plus k, le nombre de morceaux triés en même temps\.")
    stated(r"Pour les petites listes, la version découpée locale est la plus rapide")
    checks = asserts_of(TRI, "verification_mesures")
    assert "part_parallelisme <= 1.25 * k" in checks
    assert "temps['locale découpée'][0] < min(temps['locale'][0], temps['Ray'][0])" in checks


def test_the_timeline_shows_one_addition_at_a_time_for_the_linear_aggregation(strategies):
    """« L'agrégation linéaire n'a jamais qu'une addition en cours » : each addition needs the previous one."""
    stated(r"L'agrégation linéaire n'a jamais qu'une addition en cours : chacune attend la précédente")
    stated(r"L'agrégation par paires en exécute plusieurs à la fois, autant que le cluster a de CPU, tant qu'au moins autant d'additions sont prêtes")
    _, add, _ = aggregate(strategies, "sum_linear", 8)
    assert greedy_schedule(add.tasks, None)[1] == 1  # never more than one addition ready at once
    _, add, _ = aggregate(strategies, "sum_pairwise", 8)
    assert greedy_schedule(add.tasks, None)[1] == 4  # the first level: 4 additions ready at once
    checks = asserts_of(DEPENDANCES, "add_traced")
    assert "simultanees(traces['linéaire']) == 1 and simultanees(traces['par paires']) == min(cpus, 4)" in checks


# --- Ray's own behaviour, as the page describes it -----------------------------------------------------


def test_page_describes_the_default_strategy_as_rays_hybrid_policy():
    """The DEFAULT strategy keeps tasks on the local node while it is under half busy (scheduler_spread_threshold,
    0.5, in hybrid_scheduling_policy), then prefers the least loaded nodes: it does not fill the local node first.
    Its behaviour on two nodes is checked by tests/test_multinode.py."""
    stated(r"`\"DEFAULT\"`, la stratégie par défaut, envoie une tâche sur le nœud qui détient déjà ses arguments rangés dans le magasin d'objets s'il a les ressources libres, sinon la garde sur le nœud local tant qu'il est occupé à moins de la moitié, puis l'envoie sur les nœuds les moins chargés")
    stated(r"Un nœud occupé à moins de 50 % \(le réglage `scheduler_spread_threshold`\) compte comme inoccupé \(taux 0\)")
    assert "remplit d'abord" not in page_text()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_node_starts_one_worker_per_cpu_when_its_first_driver_connects():
    """« quand le premier driver se connecte à un nœud, celui-ci démarre un worker par CPU »: a fresh private Ray
    (its keeper is its first driver), and the worker processes it starts by itself, without any task."""
    stated(r"quand le premier driver se connecte à un nœud, celui-ci démarre un worker par CPU")
    from cours_ray.cluster import LocalRay, ray_pids_under

    def children(pid: int) -> list[int]:
        return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == pid]

    with LocalRay() as cluster:
        raylet = next(pid for pid in ray_pids_under(cluster.temp_dir) if b"raylet/raylet" in Path(f"/proc/{pid}/cmdline").read_bytes())
        deadline, workers = time.monotonic() + 30, []
        while time.monotonic() < deadline:  # a worker renames itself « ray::IDLE » once started
            workers = [pid for pid in children(raylet) if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::IDLE")]
            if len(workers) >= cluster.description["cpus"]:
                break
            time.sleep(0.2)
        assert len(workers) == cluster.description["cpus"]


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_task_whose_worker_dies_is_retried_max_retries_times_but_an_exception_is_not(ray_driver, tmp_path):
    stated(r"Ray soumet la tâche de nouveau, jusqu'à `max_retries` fois \(3 par défaut\) ; si c'est le moniteur de mémoire de Ray qui l'a arrêté, faute de mémoire, il la soumet de nouveau sans limite de nombre \(sauf avec `max_retries=0`\). Une exception levée par la fonction elle-même n'est pas retentée, sauf avec `retry_exceptions=True`")

    @ray_driver.remote
    def attempt(name: str, fault: str):
        with open(tmp_path / name, "a") as attempts:
            attempts.write("x")
        if fault == "worker":
            os._exit(1)  # the worker process dies mid-task
        raise ValueError(name)

    def attempts_of(name: str, fault: str, expected, **options) -> int:
        with pytest.raises(expected):
            ray_driver.get(attempt.options(**options).remote(name, fault), timeout=90)
        return len((tmp_path / name).read_text())

    assert attempts_of("worker", "worker", ray_driver.exceptions.WorkerCrashedError) == 1 + 3
    assert attempts_of("exception", "exception", ValueError) == 1
    assert attempts_of("retried", "exception", ValueError, retry_exceptions=True, max_retries=2) == 1 + 2


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_fractional_num_cpus_admits_proportionally_more_tasks_at_once(ray_driver):
    """« num_cpus=cpu_noeud / p … au plus p tâches simultanées sur ce nœud, même si p dépasse le nombre de ses
    cœurs » (the sum of the requests of a node's tasks never exceeds its CPUs): measured by the overlap of tasks."""
    stated(r"on autorise au plus p tâches simultanées sur ce nœud, même si p dépasse le nombre de ses cœurs ; un nœud qui a plus de CPU en admet proportionnellement plus, car c'est la somme des demandes de ses tâches qui ne peut dépasser ses CPU")

    @ray_driver.remote
    def interval():
        start = time.time()
        time.sleep(0.3)
        return start, time.time()

    cpus = int(ray_driver.cluster_resources()["CPU"])
    for p in (cpus, 4 * cpus):
        task = interval.options(num_cpus=cpus / p)
        ray_driver.get([task.remote() for _ in range(p)], timeout=60)  # warm p workers
        spans = ray_driver.get([task.remote() for _ in range(2 * p)], timeout=60)
        overlap = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
        assert overlap <= p, f"p = {p} : {overlap} tâches à la fois"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_one_task_per_batch_beats_one_task_per_element(ray_driver):
    stated(r"une tâche qui traite un lot de mille éléments plutôt que mille tâches d'un élément chacune")

    @ray_driver.remote
    def square(x):
        return x * x

    @ray_driver.remote
    def squares(xs):
        return [x * x for x in xs]

    ray_driver.get([square.remote(0), squares.remote([0])], timeout=30)
    start = time.perf_counter()
    one_each = ray_driver.get([square.remote(x) for x in range(1000)], timeout=60)
    per_element = time.perf_counter() - start
    start = time.perf_counter()
    batched = ray_driver.get(squares.remote(list(range(1000))), timeout=60)
    per_batch = time.perf_counter() - start
    assert one_each == batched
    assert per_element > 5 * per_batch


# --- written for the learner ---------------------------------------------------------------------------


def test_main_path_reads_in_about_40_minutes():
    """Proofs, derivations and measurement plumbing are folded: the main path stays under 3 600 words."""
    words = course.main_path_words(PAGE)
    assert words <= 3600, f"{words} mots de prose hors des encadrés repliés (au plus 3 600)"


def test_no_visible_block_is_mostly_presentation():
    """Tables and plots are folded (« Code du tableau », « Code du graphique »): the code a reader sees first is the
    lesson."""

    shown = course.visible_presentation_blocks(PAGE)
    assert not shown, f"blocs de présentation visibles sans être repliés : {shown}"
