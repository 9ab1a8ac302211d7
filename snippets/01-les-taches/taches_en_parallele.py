# --8<-- [start:preambule]
import logging
import time

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:machine]
cpus = int(ray.cluster_resources()["CPU"])
# ray.nodes() liste aussi les nœuds arrêtés : on ne compte que les nœuds vivants
noeuds = sum(1 for noeud in ray.nodes() if noeud["Alive"])
print(f"Cluster Ray {ray.__version__} : {'un seul nœud' if noeuds == 1 else f'{noeuds} nœuds'}, {cpus} CPU")
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
print(regular_function())
# --8<-- [end:appel_normal]

# --8<-- [start:appel_direct]
try:
    remote_function()
except TypeError as erreur:
    print(f"TypeError : {erreur}")
# --8<-- [end:appel_direct]

# --8<-- [start:objectref]
ref = remote_function.remote()
print(ref)
print(type(ref).__name__)
# --8<-- [end:objectref]

# --8<-- [start:ray_get]
print(ray.get(ref))
# --8<-- [end:ray_get]


# --8<-- [start:soumission_immediate]
@ray.remote
def slow_function():
    time.sleep(1)
    return 1


debut = time.perf_counter()
ref = slow_function.remote()  # la tâche est soumise : .remote() n'attend pas
duree_soumission = time.perf_counter() - debut

valeur = ray.get(ref)  # ray.get attend la fin de la tâche, puis récupère le résultat
duree_totale = time.perf_counter() - debut

print(f"Retour de .remote() : {fr(duree_soumission * 1000, 1)} ms")
print(f"Retour de ray.get() : {fr(duree_totale)} s (valeur : {valeur})")
assert duree_soumission < 0.5 and duree_totale >= 1  # ce que dit le texte ci-dessous
# --8<-- [end:soumission_immediate]

# --8<-- [start:en_serie]
debut = time.perf_counter()
result = 0
for _ in range(10):
    result += regular_function()
duree_serie = time.perf_counter() - debut
print(f"En série : {fr(duree_serie * 1e6, 0)} µs")
# --8<-- [end:en_serie]

# --8<-- [start:en_parallele]
debut = time.perf_counter()
results = []
for _ in range(10):
    results.append(remote_function.remote())
total = sum(ray.get(results))
duree_parallele = time.perf_counter() - debut
print(f"En parallèle : {fr(duree_parallele * 1e3, 1)} ms, soit {fr(duree_parallele / duree_serie, 0)} fois plus lent")
assert total == 10 and duree_parallele > duree_serie  # ce que dit l'encadré ci-dessous
# --8<-- [end:en_parallele]


# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
