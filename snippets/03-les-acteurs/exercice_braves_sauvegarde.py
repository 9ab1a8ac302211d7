# --8<-- [start:preambule]
import logging
import os
import shutil
import tempfile
from pathlib import Path

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:compteur_durable]
@ray.remote(max_restarts=1)
class CompteurDurable:
    def __init__(self, chemin):
        self.chemin = Path(chemin)
        # Au premier démarrage, pas de sauvegarde ; après une panne, on la relit.
        self.valeur = int(self.chemin.read_text()) if self.chemin.exists() else 0

    def incrementer(self):
        self.valeur += 1
        provisoire = self.chemin.with_suffix(".tmp")
        provisoire.write_text(str(self.valeur))
        provisoire.replace(self.chemin)  # remplace l'ancienne sauvegarde d'un seul coup
        return self.valeur  # répondre seulement une fois l'état sauvegardé

    def planter(self):
        os._exit(1)
# --8<-- [end:compteur_durable]


# --8<-- [start:verification_compteur_durable]
assert "CompteurDurable" in globals(), "CompteurDurable n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
assert hasattr(CompteurDurable, "remote"), "CompteurDurable doit être une classe d'acteur : décorez-la par @ray.remote(max_restarts=1)."
dossier = Path(tempfile.mkdtemp())
durable = CompteurDurable.remote(dossier / "compteur.txt")
try:
    try:
        avant = [ray.get(durable.incrementer.remote(), timeout=60) for _ in range(3)]
    except NotImplementedError:
        raise AssertionError("CompteurDurable.incrementer n'est pas encore écrite.") from None
    assert avant == [1, 2, 3], f"trois appels de incrementer devraient renvoyer [1, 2, 3], pas {avant}"
    try:
        ray.get(durable.planter.remote(), timeout=60)
    except ray.exceptions.RayActorError:
        pass  # la panne attendue
    try:
        apres = ray.get(durable.incrementer.remote(), timeout=60)
    except ray.exceptions.RayActorError:
        raise AssertionError("L'acteur n'a pas redémarré après la panne : avez-vous donné max_restarts=1 ?") from None
finally:
    ray.kill(durable)
    shutil.rmtree(dossier)
assert apres == 4, f"après la panne, incrementer renvoie {apres} au lieu de 4 : l'état sauvegardé n'a pas été relu"
print("✓ CompteurDurable a survécu à la panne : sa valeur a été relue dans la sauvegarde.")
# --8<-- [end:verification_compteur_durable]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
