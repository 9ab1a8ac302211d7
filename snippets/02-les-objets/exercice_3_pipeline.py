# --8<-- [start:preambule]
import logging
import time

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:carre]
@ray.remote
def carre(x):
    time.sleep(0.1)
    return x * x
# --8<-- [end:carre]


# --8<-- [start:traite_tout]
def traite_tout(elements, tache, max_en_vol):
    en_vol, resultats = [], []
    for x in elements:
        if len(en_vol) >= max_en_vol:  # déjà max_en_vol tâches soumises, dont le résultat n'a pas encore été lu
            prets, en_vol = ray.wait(en_vol, num_returns=1)
            resultats += ray.get(prets)
        en_vol.append(tache.remote(x))
    return resultats + ray.get(en_vol)
# --8<-- [end:traite_tout]


# --8<-- [start:verification_traite_tout]
assert "traite_tout" in globals(), "traite_tout n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."


@ray.remote
def chronometre(x):
    """Comme carre, mais renvoie aussi ses instants de début et de fin."""
    debut = time.time()
    time.sleep(0.1)
    return x * x, debut, time.time()


cpus = int(ray.cluster_resources()["CPU"])
for max_en_vol in [1, 2]:
    resultats = traite_tout(range(8), chronometre, max_en_vol)
    assert resultats is not None, "traite_tout ne renvoie rien : renvoyez la liste des résultats."
    assert sorted(r[0] for r in resultats) == [x * x for x in range(8)], "traite_tout doit renvoyer un résultat par élément"
    simultanees = max(sum(1 for _, d, f in resultats if d <= debut < f) for _, debut, _ in resultats)
    assert simultanees <= max_en_vol, f"avec max_en_vol = {max_en_vol}, {simultanees} tâches ont tourné en même temps"
    assert simultanees == min(max_en_vol, cpus), (
        f"avec max_en_vol = {max_en_vol}, les tâches ont tourné l'une après l'autre : soumettez-en jusqu'à max_en_vol "
        "avant d'attendre la première."
    )
print("✓ traite_tout traite tous les éléments, sans jamais dépasser max_en_vol tâches à la fois.")
# --8<-- [end:verification_traite_tout]

# --8<-- [start:demonstration]
debut = time.perf_counter()
resultats = traite_tout(range(20), carre, max_en_vol=4)
print(f"{len(resultats)} carrés, 4 tâches en vol au plus : {time.perf_counter() - debut:.1f} s".replace(".", ","))
# --8<-- [end:demonstration]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
