# --8<-- [start:preambule]
import logging
import math
import os
import time

import matplotlib.pyplot as plt
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:add]
@ray.remote
def add(x, y):
    time.sleep(1)
    return x + y
# --8<-- [end:add]


# --8<-- [start:values]
values = list(range(1, 9))
print(f"{len(values)} valeurs : {values}, somme attendue : {sum(values)}")
# --8<-- [end:values]


# --8<-- [start:sum_linear]
def sum_linear(values, add_task):
    futures = list(values)
    while len(futures) > 1:
        futures = [add_task.remote(futures[0], futures[1])] + futures[2:]
    return futures[0]
# --8<-- [end:sum_linear]


# --8<-- [start:verification_sum_linear]
class AdditionSimulee:
    """Se fait passer pour une tâche Ray, sans Ray : .remote(x, y) renvoie, pour deux
    couples (valeur, profondeur), la somme et la profondeur de son résultat."""

    def __init__(self):
        self.appels = 0

    def remote(self, x, y):
        self.appels += 1
        assert self.appels < 10_000, "la boucle ne s'arrête pas : chaque tour doit raccourcir la liste"
        return (x[0] + y[0], 1 + max(x[1], y[1]))


def verifier_agregation(strategie, profondeur_attendue):
    for n in [1, 2, 5, 8]:
        addition = AdditionSimulee()
        try:
            somme, profondeur = strategie([(v, 0) for v in range(1, n + 1)], addition)
        except NotImplementedError:
            raise AssertionError(f"{strategie.__name__} n'est pas encore complétée : écrivez le corps de la boucle.") from None
        assert somme == n * (n + 1) // 2, f"{strategie.__name__} sur les valeurs 1 à {n} : {somme} au lieu de {n * (n + 1) // 2}"
        assert addition.appels == n - 1, f"{n} valeurs demandent {n - 1} additions, pas {addition.appels}"
        assert profondeur == profondeur_attendue(n), (
            f"{n} valeurs : profondeur {profondeur}, au lieu de {profondeur_attendue(n)} pour cette stratégie"
        )
    print(f"✅ {strategie.__name__} calcule la bonne somme, avec la profondeur attendue.")


verifier_agregation(sum_linear, lambda n: n - 1)
# --8<-- [end:verification_sum_linear]


# --8<-- [start:demo_lineaire]
debut = time.perf_counter()
result_ref = sum_linear(values, add)  # revient aussitôt : les tâches sont soumises
result = ray.get(result_ref)
duree = f"{time.perf_counter() - debut:.2f}".replace(".", ",")  # virgule décimale
print(f"Agrégation linéaire : {result} en {duree} s")
assert result == 36
# --8<-- [end:demo_lineaire]


# --8<-- [start:sum_pairwise]
def sum_pairwise(values, add_task):
    futures = list(values)
    while len(futures) > 1:
        futures = futures[2:] + [add_task.remote(futures[0], futures[1])]
    return futures[0]
# --8<-- [end:sum_pairwise]


# --8<-- [start:verification_sum_pairwise]
verifier_agregation(sum_pairwise, lambda n: math.ceil(math.log2(n)))
# --8<-- [end:verification_sum_pairwise]


# --8<-- [start:demo_par_paires]
debut = time.perf_counter()
result_ref = sum_pairwise(values, add)  # revient aussitôt : les tâches sont soumises
result = ray.get(result_ref)
duree = f"{time.perf_counter() - debut:.2f}".replace(".", ",")
print(f"Agrégation par paires : {result} en {duree} s")
assert result == 36
# --8<-- [end:demo_par_paires]


# --8<-- [start:profondeur]
class DepthOnly:
    """Se fait passer pour une tâche Ray : .remote(x, y) renvoie la profondeur
    du résultat (1 + la plus grande profondeur de ses deux entrées)."""

    def remote(self, x, y):
        return 1 + max(x, y)


print(f"{'n':>5} | {'profondeur linéaire':>19} | {'profondeur par paires':>21}")
for n in [2, 3, 5, 8, 100, 1000]:
    feuilles = [0] * n  # les valeurs de départ sont de profondeur 0
    lineaire = sum_linear(feuilles, DepthOnly())
    par_paires = sum_pairwise(feuilles, DepthOnly())
    print(f"{n:>5} | {lineaire:>19} | {par_paires:>21}")

for n in range(2, 257):
    assert sum_linear([0] * n, DepthOnly()) == n - 1
    assert sum_pairwise([0] * n, DepthOnly()) == math.ceil(math.log2(n))
# --8<-- [end:profondeur]


# --8<-- [start:sleep_court]
@ray.remote
def add_short(x, y):
    time.sleep(0.1)
    return x + y
# --8<-- [end:sleep_court]


# --8<-- [start:prechauffage]
@ray.remote
def worker_id():
    time.sleep(0.1)
    # un processus worker est désigné par son nœud et son numéro de processus sur ce nœud
    return ray.get_runtime_context().get_node_id(), os.getpid()


def warm_up(p, cpu_noeud, timeout=60):
    """Relance p tâches simultanées jusqu'à ce qu'elles tournent dans p processus worker distincts."""
    tache = worker_id.options(num_cpus=cpu_noeud / p)
    debut = time.perf_counter()
    while time.perf_counter() - debut < timeout:
        processus = set(ray.get([tache.remote() for _ in range(p)], timeout=timeout))
        if len(processus) == p:
            break
    return len(processus), time.perf_counter() - debut
# --8<-- [end:prechauffage]


# --8<-- [start:mesure_dependances]
DUREE = 0.1  # durée d'une addition (le time.sleep de add_short)
# Une tâche doit tenir sur un seul nœud : on part des CPU du plus petit nœud vivant
cpu_noeud = min(
    noeud["Resources"]["CPU"]
    for noeud in ray.nodes()
    if noeud["Alive"] and noeud["Resources"].get("CPU")
)
tailles = [2, 4, 8, 16]
degres = [8, 2]  # p : nombre maximal de tâches add_short simultanées

mesures = {}  # (stratégie, p) -> {n: durée}
for p in degres:
    nombre, duree = warm_up(p, cpu_noeud)
    duree = f"{duree:.1f}".replace(".", ",")
    print(f"p = {p} : {nombre} processus worker prêts (préchauffage : {duree} s)")
    tache = add_short.options(num_cpus=cpu_noeud / p)  # au plus p tâches à la fois par nœud
    for nom, strategie in [("par paires", sum_pairwise), ("linéaire", sum_linear)]:
        mesures[(nom, p)] = {}
        for n in sorted(tailles, reverse=True):  # du plus grand au plus petit
            valeurs = list(range(1, n + 1))
            debut = time.perf_counter()
            resultat = ray.get(strategie(valeurs, tache), timeout=60)
            mesures[(nom, p)][n] = time.perf_counter() - debut
            assert resultat == n * (n + 1) // 2
# --8<-- [end:mesure_dependances]

# --8<-- [start:tableau_dependances]
colonnes = [f"{nom}, p={p}" for nom, p in mesures]
print(f"{'n':>3} | {'(n-1)·s':>7} | {'⌈log2 n⌉·s':>10} | " + " | ".join(colonnes))
for n in tailles:
    ligne = f"{n:>3} | {(n - 1) * DUREE:>7.1f} | {math.ceil(math.log2(n)) * DUREE:>10.1f} | "
    ligne += " | ".join(f"{mesures[cle][n]:>{len(c)}.2f}" for cle, c in zip(mesures, colonnes))
    print(ligne.replace(".", ","))  # virgule décimale

# Intervalle de Brent pour la plus grande taille : max(W/p, D)·s <= T <= (W/p + D)·s
n = max(tailles)
travail = n - 1
print(f"\nÀ n = {n}, durée mesurée et intervalle de Brent :")
for (nom, p), durees in mesures.items():
    profondeur = n - 1 if nom == "linéaire" else math.ceil(math.log2(n))
    bas = max(travail / p, profondeur) * DUREE
    haut = (travail / p + profondeur) * DUREE
    ligne = f"  {nom:>10}, p = {p:>2} : {durees[n]:.2f} s, intervalle [{bas:.2f} s ; {haut:.2f} s]"
    print(ligne.replace(".", ","))
# --8<-- [end:tableau_dependances]

# --8<-- [start:graphique]
fig, ax = plt.subplots(
    num="Durée mesurée des agrégations linéaire et par paires en fonction du nombre "
    "de valeurs, pour deux degrés de parallélisme, à côté des durées idéales "
    "(n - 1) fois 0,1 s et log2(n) arrondi au-dessus fois 0,1 s",
    figsize=(7, 4),
)
ax.plot(tailles, [(n - 1) * DUREE for n in tailles], linestyle="--", color="gray",
        label="idéal linéaire : (n − 1) · s")
ax.plot(tailles, [math.ceil(math.log2(n)) * DUREE for n in tailles], linestyle=":",
        color="gray", label="idéal par paires : ⌈log₂ n⌉ · s")
for (nom, p), durees in mesures.items():
    ax.plot(tailles, [durees[n] for n in tailles], marker="o", label=f"{nom}, p = {p} (mesuré)")
ax.set_xscale("log", base=2)
ax.set_xticks(tailles, [str(n) for n in tailles])
ax.set_xlabel("nombre de valeurs n")
ax.set_ylabel("durée (s)")
ax.set_title(f"Agrégation de n valeurs, s = {DUREE:g} s par addition".replace(".", ","))
ax.legend(fontsize="small")
plt.show()
# --8<-- [end:graphique]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
