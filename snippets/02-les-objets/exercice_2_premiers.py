# --8<-- [start:preambule]
import logging
import time

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:calcule]
@ray.remote
def calcule(secondes):
    """Une tâche qui dure `secondes` ; elle renvoie sa durée et l'instant où elle a fini."""
    time.sleep(secondes)
    return secondes, time.time()
# --8<-- [end:calcule]


# --8<-- [start:premiers]
def premiers(refs, k):
    prets, _ = ray.wait(refs, num_returns=k)  # rend la main dès que k résultats sont prêts
    return sorted(ray.get(prets), key=lambda resultat: resultat[1])  # dans l'ordre où les tâches ont fini
# --8<-- [end:premiers]


# --8<-- [start:verification_premiers]
assert "premiers" in globals(), "premiers n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
durees = [1.5, 0.1, 0.8, 0.3, 0.5]
refs = [calcule.remote(s) for s in durees]
obtenus = premiers(refs, 2)
pretes, _ = ray.wait(refs, num_returns=len(refs), timeout=0)  # où en sont les tâches quand premiers rend la main
assert obtenus is not None, "premiers ne renvoie rien : renvoyez la liste des k premiers résultats."
assert len(obtenus) == 2, f"premiers(refs, 2) doit renvoyer 2 résultats, pas {len(obtenus)}"
assert len(pretes) < len(refs), "premiers a attendu toutes les tâches : rendez la main dès que k résultats sont prêts."
tous = sorted(ray.get(refs), key=lambda resultat: resultat[1])  # tous les résultats, par instant de fin
assert obtenus == tous[:2], (
    f"premiers(refs, 2) devrait renvoyer les résultats des deux tâches qui ont fini les premières, "
    f"dans l'ordre : {[s for s, _ in tous[:2]]}, pas {[r[0] if isinstance(r, tuple) else r for r in obtenus]}"
)
print("✓ premiers renvoie les deux premiers résultats, dans l'ordre où leurs tâches ont fini, sans attendre les autres.")
# --8<-- [end:verification_premiers]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
