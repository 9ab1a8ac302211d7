# --8<-- [start:preambule]
import logging
import time
from collections import Counter

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]

# --8<-- [start:machine]
nombre_de_cpus = int(ray.cluster_resources()["CPU"])
# ray.nodes() liste aussi les nœuds arrêtés : on ne compte que les nœuds vivants
nombre_de_noeuds = sum(1 for noeud in ray.nodes() if noeud["Alive"])
print(
    f"Page construite avec Ray {ray.__version__} sur un cluster de "
    f"{nombre_de_noeuds} nœud{'s' if nombre_de_noeuds > 1 else ''} "
    f"et {nombre_de_cpus} CPU logiques."
)
# --8<-- [end:machine]


# --8<-- [start:fonction_normale]
def regular_function():
    return 1
# --8<-- [end:fonction_normale]


# --8<-- [start:fonction_distante]
@ray.remote
def remote_function():
    return 1
# --8<-- [end:fonction_distante]


# --8<-- [start:appel_normal]
try:
    res = regular_function()
    print(res)
except Exception as e:
    print(f"{type(e).__name__}: {e}")
# --8<-- [end:appel_normal]

# --8<-- [start:appel_direct]
try:
    res = remote_function()
    print(res)
except Exception as e:
    print(f"{type(e).__name__}: {e}")
# --8<-- [end:appel_direct]

# --8<-- [start:objectref]
ref = remote_function.remote()
print(ref)
print(type(ref).__name__)
assert isinstance(ref, ray.ObjectRef)
# --8<-- [end:objectref]

# --8<-- [start:ray_get]
print(ray.get(remote_function.remote()))
# --8<-- [end:ray_get]


# --8<-- [start:soumission_immediate]
@ray.remote
def slow_function():
    time.sleep(1)
    return 1


debut = time.perf_counter()
ref = slow_function.remote()  # la tâche est soumise : .remote() n'attend pas
duree_soumission = time.perf_counter() - debut

valeur = ray.get(ref)  # ray.get attend la fin de la tâche, puis récupère le résultat
duree_totale = time.perf_counter() - debut

ms = f"{duree_soumission * 1000:.1f}".replace(".", ",")  # virgule décimale
s = f"{duree_totale:.2f}".replace(".", ",")
print(f"Retour de .remote()   : {ms} ms")
print(f"Retour de ray.get()   : {s} s (valeur : {valeur})")
assert duree_totale >= 1
# --8<-- [end:soumission_immediate]

# --8<-- [start:en_serie]
debut = time.perf_counter()
result = 0
for _ in range(10):
    result += regular_function()
duree_serie = time.perf_counter() - debut
assert result == 10
print(f"En série : {duree_serie * 1e6:.0f} µs")
# --8<-- [end:en_serie]

# --8<-- [start:en_parallele]
debut = time.perf_counter()
results = []
for _ in range(10):
    results.append(remote_function.remote())
assert sum(ray.get(results)) == 10
duree_parallele = time.perf_counter() - debut
ms = f"{duree_parallele * 1e3:.1f}".replace(".", ",")
print(f"En parallèle : {ms} ms")
if duree_parallele > duree_serie:
    print(f"Ici, la version parallèle est {duree_parallele / duree_serie:.0f} fois plus lente.")
else:
    rapport = f"{duree_serie / duree_parallele:.1f}".replace(".", ",")
    print(f"Ici, la version parallèle est {rapport} fois plus rapide.")
# --8<-- [end:en_parallele]


# --8<-- [start:ou_tournent]
@ray.remote
def node_of_task():
    time.sleep(0.05)
    return ray.get_runtime_context().get_node_id()  # le nœud qui exécute la tâche


# SPREAD : répartir les tâches entre les nœuds plutôt que de remplir d'abord un nœud
tache = node_of_task.options(scheduling_strategy="SPREAD")
refs = [tache.remote() for _ in range(20)]
taches_par_noeud = Counter(ray.get(refs, timeout=60))

nombre = len(taches_par_noeud)
print(f"Tâches exécutées sur {nombre} nœud{'s' if nombre > 1 else ''}")
for node_id, taches in taches_par_noeud.most_common():
    print(f"  nœud {node_id[:8]} : {taches} tâche{'s' if taches > 1 else ''}")
assert sum(taches_par_noeud.values()) == 20
# --8<-- [end:ou_tournent]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
