# --8<-- [start:connexion]
import ray

ray.init()
# --8<-- [end:connexion]

# --8<-- [start:tache]
@ray.remote
def carre(x: int) -> int:
    return x * x


references = [carre.remote(i) for i in range(8)]  # huit tâches lancées, sans attendre
carres = ray.get(references)  # attend les résultats et les rapatrie
print(carres)
assert carres == [i * i for i in range(8)]
# --8<-- [end:tache]

# --8<-- [start:machine]
ressources = ray.cluster_resources()
print(f"Ray {ray.__version__}, {len(ray.nodes())} nœud(s), {ressources['CPU']:g} CPU logiques")
# --8<-- [end:machine]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
