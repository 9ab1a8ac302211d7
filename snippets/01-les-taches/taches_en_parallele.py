# --8<-- [start:preambule]
import logging
import time

import ray

ray.init(
    ignore_reinit_error=True,
    logging_level=logging.ERROR,
    log_to_driver=False,
)
# --8<-- [end:preambule]

# --8<-- [start:machine]
nombre_de_cpus = int(ray.cluster_resources()["CPU"])
nombre_de_noeuds = len(ray.nodes())
print(
    f"Page construite avec Ray {ray.__version__} sur un cluster de "
    f"{nombre_de_noeuds} nœud(s) et {nombre_de_cpus} CPU logiques."
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
ref = slow_function.remote()  # la tâche est soumise et planifiée tout de suite
duree_soumission = time.perf_counter() - debut

valeur = ray.get(ref)  # ray.get attend la fin de la tâche, puis récupère le résultat
duree_totale = time.perf_counter() - debut

print(f"Retour de .remote()   : {duree_soumission * 1000:.1f} ms")
print(f"Retour de ray.get()   : {duree_totale:.2f} s (valeur : {valeur})")
assert duree_soumission < 0.5
assert duree_totale >= 1
# --8<-- [end:soumission_immediate]

# --8<-- [start:en_serie]
debut = time.perf_counter()
result = 0
for _ in range(10):
    result += regular_function()
duree_serie = time.perf_counter() - debut
assert result == 10
print(f"En série : {duree_serie * 1e6:.0f} µs")
# --8<-- [end:en_serie]

# --8<-- [start:en_parallele]
debut = time.perf_counter()
results = []
for _ in range(10):
    results.append(remote_function.remote())
assert sum(ray.get(results)) == 10
duree_parallele = time.perf_counter() - debut
print(f"En parallèle : {duree_parallele * 1e3:.1f} ms")
if duree_parallele > duree_serie:
    print(f"Ici, le parallèle est {duree_parallele / duree_serie:.0f} fois plus lent.")
else:
    print(f"Ici, le parallèle est {duree_serie / duree_parallele:.1f} fois plus rapide.")
# --8<-- [end:en_parallele]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
