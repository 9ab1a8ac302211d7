# --8<-- [start:connexion]
import logging

import ray

ray.init(logging_level=logging.ERROR)  # le journal « ray » du driver n'affiche que les erreurs
# --8<-- [end:connexion]

# --8<-- [start:tache]
@ray.remote
def carre(x: int) -> int:
    return x * x


# Huit tâches soumises aussitôt, sans attendre leurs résultats :
references = [carre.remote(i) for i in range(8)]
# ray.get attend les résultats et les rapatrie :
carres = ray.get(references)
print(carres)
assert carres == [i * i for i in range(8)]
# --8<-- [end:tache]

# --8<-- [start:machine]
cpu = int(ray.cluster_resources()["CPU"])
noeuds = sum(1 for noeud in ray.nodes() if noeud["Alive"])  # ray.nodes() liste aussi les nœuds arrêtés
print(f"Ray {ray.__version__} : {'un seul nœud' if noeuds == 1 else f'{noeuds} nœuds'}, {cpu} CPU")
# --8<-- [end:machine]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
