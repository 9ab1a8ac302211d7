# --8<-- [start:connexion]
import logging

import ray

ray.init(logging_level=logging.ERROR)  # Ray n'affiche que ses messages d'erreur
# --8<-- [end:connexion]

# --8<-- [start:tache]
@ray.remote
def carre(x: int) -> int:
    return x * x


# Huit tâches lancées aussitôt, sans attendre leurs résultats :
references = [carre.remote(i) for i in range(8)]
# ray.get attend les résultats et les rapatrie :
carres = ray.get(references)
print(carres)
assert carres == [i * i for i in range(8)]
# --8<-- [end:tache]

# --8<-- [start:machine]
cpu = ray.cluster_resources()["CPU"]
print(f"Ray {ray.__version__}, {len(ray.nodes())} nœud(s), {cpu:g} CPU logiques")
# --8<-- [end:machine]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
