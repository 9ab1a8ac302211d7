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


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


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
    """Se fait passer pour une fonction distante, sans Ray : .remote(x, y) renvoie, pour deux
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
    print(f"✓ {strategie.__name__} calcule la bonne somme, avec la profondeur attendue.")


verifier_agregation(sum_linear, lambda n: n - 1)
# --8<-- [end:verification_sum_linear]


# --8<-- [start:demo_lineaire]
debut = time.perf_counter()
result_ref = sum_linear(values, add)  # revient aussitôt : les tâches sont soumises
result = ray.get(result_ref)
duree = time.perf_counter() - debut
print(f"Agrégation linéaire : {result} en {fr(duree)} s")
assert result == 36 and duree >= 7  # 7 additions d'une seconde, l'une après l'autre
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
result_ref = sum_pairwise(values, add)  # revient aussitôt : les tâches sont soumises
result = ray.get(result_ref)
duree = time.perf_counter() - debut
print(f"Agrégation par paires : {result} en {fr(duree)} s")
assert result == 36 and duree >= 3  # au moins les 3 niveaux du graphe
# --8<-- [end:demo_par_paires]


# --8<-- [start:profondeur]
class DepthOnly:
    """Se fait passer pour une fonction distante : .remote(x, y) renvoie la profondeur
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


# --8<-- [start:add_traced]
@ray.remote
def add_traced(x, y):
    """Comme add, en 0,25 s ; chaque résultat emporte la trace de ses additions : (processus, début, fin)."""
    debut = time.time()
    time.sleep(0.25)
    (vx, tx), (vy, ty) = [v if isinstance(v, tuple) else (v, []) for v in (x, y)]
    return vx + vy, tx + ty + [(os.getpid(), debut, time.time())]


traces = {}
for nom, strategie in [("linéaire", sum_linear), ("par paires", sum_pairwise)]:
    debut = time.time()
    somme, trace = ray.get(strategie(values, add_traced), timeout=60)
    assert somme == 36 and len(trace) == len(values) - 1
    traces[nom] = [(pid, t0 - debut, t1 - debut) for pid, t0, t1 in trace]
    print(f"{nom:>10} : {len(trace)} additions, dans {len({pid for pid, _, _ in trace})} processus worker, "
          f"terminée en {fr(max(t1 for _, _, t1 in traces[nom]))} s")


def simultanees(trace):
    """Le plus grand nombre d'additions en cours au même instant."""
    return max(sum(1 for _, d, f in trace if d <= debut < f) for _, debut, _ in trace)


cpus = int(ray.cluster_resources()["CPU"])
assert simultanees(traces["linéaire"]) == 1 and simultanees(traces["par paires"]) == min(cpus, 4)  # le texte ci-dessous
# --8<-- [end:add_traced]

# --8<-- [start:graphique_chronologie]
fig, axes = plt.subplots(
    2, 1, sharex=True, figsize=(7, 3.6),
    num="Chronologie des additions des agrégations linéaire et par paires de 8 valeurs : une ligne par "
    "processus worker, une barre par addition, de son début à sa fin, mesurée à la construction de la page",
)
for ax, (nom, trace) in zip(axes, traces.items()):
    lignes = {pid: i for i, pid in enumerate(dict.fromkeys(pid for pid, _, _ in sorted(trace, key=lambda t: t[1])))}
    for pid, t0, t1 in trace:
        ax.barh(lignes[pid], t1 - t0, left=t0, height=0.6, color="C0" if nom == "linéaire" else "C1")
    ax.set_yticks(list(lignes.values()), [f"worker {i + 1}" for i in lignes.values()])
    ax.set_ylim(-0.7, max(len(lignes), 2) - 0.3)
    ax.set_title(f"Agrégation {nom}", fontsize="medium")
axes[-1].set_xlabel("temps depuis la soumission (s)")
axes[-1].set_xlim(left=0)
axes[-1].xaxis.set_major_formatter(lambda x, _: f"{x:g}".replace(".", ","))  # virgule décimale
fig.tight_layout()
plt.show()
# --8<-- [end:graphique_chronologie]


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


def warm_up(tache, nombre, timeout=60):
    """Relance `nombre` tâches simultanées jusqu'à ce qu'elles tournent dans autant de processus worker distincts."""
    debut = time.perf_counter()
    while time.perf_counter() - debut < timeout:
        processus = set(ray.get([tache.remote() for _ in range(nombre)], timeout=timeout))
        if len(processus) == nombre:
            break
    return len(processus), time.perf_counter() - debut
# --8<-- [end:prechauffage]


# --8<-- [start:mesure_dependances]
DUREE = 0.1  # durée d'une addition (le time.sleep de add_short)
cpu_par_noeud = [n["Resources"]["CPU"] for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU")]
cpu_noeud = min(cpu_par_noeud)  # une tâche doit tenir sur un seul nœud : on part du plus petit
tailles = [2, 4, 8, 16]
degres = [8, 2]  # p : nombre maximal de tâches add_short simultanées sur le plus petit nœud

mesures = {}  # (stratégie, p) -> {n: durée}
simultanees = {}  # p -> tâches add_short qui peuvent tourner en même temps sur tout le cluster
for p in degres:
    demande = cpu_noeud / p
    simultanees[p] = sum(int(cpu // demande) for cpu in cpu_par_noeud)
    nombre, duree = warm_up(worker_id.options(num_cpus=demande), simultanees[p])
    print(f"p = {p} : {nombre} processus worker prêts (préchauffage : {fr(duree, 1)} s)")
    tache = add_short.options(num_cpus=demande)  # au plus p tâches à la fois sur le plus petit nœud
    for nom, strategie in [("par paires", sum_pairwise), ("linéaire", sum_linear)]:
        mesures[(nom, p)] = {}
        for n in sorted(tailles, reverse=True):  # du plus grand au plus petit
            debut = time.perf_counter()
            resultat = ray.get(strategie(list(range(1, n + 1)), tache), timeout=60)
            mesures[(nom, p)][n] = time.perf_counter() - debut
            assert resultat == n * (n + 1) // 2
# --8<-- [end:mesure_dependances]

# --8<-- [start:tableau_dependances]
colonnes = [f"{nom}, p = {p}" for nom, p in mesures]
print(f"{'n':>3} | {'(n − 1) · s':>11} | {'⌈log₂ n⌉ · s':>12} | " + " | ".join(colonnes))
for n in tailles:
    ligne = f"{n:>3} | {fr((n - 1) * DUREE, 1):>11} | {fr(math.ceil(math.log2(n)) * DUREE, 1):>12} | "
    print(ligne + " | ".join(f"{fr(mesures[cle][n]):>{len(c)}}" for cle, c in zip(mesures, colonnes)))
# --8<-- [end:tableau_dependances]

# --8<-- [start:graphique]
fig, ax = plt.subplots(
    num="Durée mesurée des agrégations linéaire et par paires en fonction du nombre "
    "de valeurs, pour deux degrés de parallélisme, à côté des durées idéales "
    "(n - 1) fois 0,1 s et log2(n) arrondi à l'entier supérieur fois 0,1 s",
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
ax.yaxis.set_major_formatter(lambda y, _: f"{y:g}".replace(".", ","))  # virgule décimale
ax.set_title(f"Agrégation de n valeurs, s = {fr(DUREE, 1)} s par addition")
ax.legend(fontsize="small")
plt.show()
# --8<-- [end:graphique]

# --8<-- [start:verification_mesures]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
for (nom, p), durees in mesures.items():
    for n, duree in durees.items():
        profondeur = n - 1 if nom == "linéaire" else math.ceil(math.log2(n))
        assert duree >= max((n - 1) / simultanees[p], profondeur) * DUREE, f"{nom}, p = {p}, n = {n} : sous la borne de Brent"
        if nom == "linéaire" or p == 8:  # « suit (n − 1) · s », « suit ⌈log₂ n⌉ · s avec p = 8 » : coût propre de Ray compris
            assert duree <= 1.5 * profondeur * DUREE + 0.3, f"{nom}, p = {p}, n = {n} : loin de {profondeur} · s"
n = max(tailles)
lineaire, paires = mesures[("linéaire", 8)][n], {p: mesures[("par paires", p)][n] for p in degres}
assert 0.75 < mesures[("linéaire", 2)][n] / lineaire < 1.33, "l'agrégation linéaire dépend de p"
assert paires[8] < lineaire / 2, "l'agrégation par paires ne bat pas nettement la linéaire avec p = 8"
assert paires[8] <= 1.1 * paires[2] and paires[2] < mesures[("linéaire", 2)][n], "par paires, p = 2, hors des deux courbes"
# --8<-- [end:verification_mesures]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
