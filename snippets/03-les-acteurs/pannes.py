# --8<-- [start:preambule]
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:exception]
@ray.remote
class Calculatrice:
    def __init__(self):
        self.appels = 0

    def diviser(self, a, b):
        self.appels += 1
        return a / b

    def nombre_d_appels(self):
        return self.appels


calculatrice = Calculatrice.remote()
try:
    ray.get(calculatrice.diviser.remote(1, 0))
except ZeroDivisionError as erreur:  # la classe de l'exception d'origine
    division_par_zero = erreur
print(f"diviser(1, 0) lève {type(division_par_zero).__name__}")
quotient, appels = ray.get(calculatrice.diviser.remote(6, 3)), ray.get(calculatrice.nombre_d_appels.remote())
print(f"diviser(6, 3) renvoie {fr(quotient, 1)} après {appels} appels : l'acteur et son état sont intacts")
assert isinstance(division_par_zero, ray.exceptions.RayTaskError) and (quotient, appels) == (2, 2)
ray.kill(calculatrice)
# --8<-- [end:exception]


# --8<-- [start:fragile]
@ray.remote
class Compteur:
    def __init__(self):
        self.valeur = 0  # exécuté à la création de l'acteur, et à chaque redémarrage

    def incrementer(self):
        self.valeur += 1
        return self.valeur

    def planter(self):
        os._exit(1)  # arrête net le processus de l'acteur, comme une panne

    def planter_la_premiere_fois(self, marqueur):
        """Plante si le fichier marqueur n'existe pas (et le crée) ; sinon renvoie la valeur."""
        if not Path(marqueur).exists():
            Path(marqueur).touch()
            os._exit(1)
        return self.valeur


def appeler(ref):
    """La valeur que désigne ref, ou le nom de l'exception que lève ray.get."""
    try:
        return ray.get(ref, timeout=60)
    except ray.exceptions.RayActorError as erreur:
        return type(erreur).__name__
# --8<-- [end:fragile]


# --8<-- [start:sans_redemarrage]
fragile = Compteur.remote()  # max_restarts=0 : la valeur par défaut
avant = [appeler(fragile.incrementer.remote()) for _ in range(3)]
panne = appeler(fragile.planter.remote())
apres = appeler(fragile.incrementer.remote())
print(f"Avant la panne : {avant} ; planter() : {panne} ; puis incrementer() : {apres}")
assert (avant, panne, apres) == ([1, 2, 3], "ActorDiedError", "ActorDiedError")
time.sleep(1)  # la ligne « (raylet)… » arrive peu après la panne : qu'elle s'affiche dans cette cellule
# --8<-- [end:sans_redemarrage]

# --8<-- [start:avec_redemarrage]
robuste = Compteur.options(max_restarts=1).remote()  # un redémarrage permis
avant = [appeler(robuste.incrementer.remote()) for _ in range(3)]
print(f"Avant la panne : {avant}")
pannes = []
for numero in (1, 2):
    pannes.append((appeler(robuste.planter.remote()), appeler(robuste.incrementer.remote())))
    print(f"Panne {numero}, planter() : {pannes[-1][0]} ; puis incrementer() : {pannes[-1][1]}")
assert avant == [1, 2, 3]
assert pannes == [("ActorUnavailableError", 1), ("ActorDiedError", "ActorDiedError")]
time.sleep(1)  # la ligne « (raylet)… » arrive peu après la panne : qu'elle s'affiche dans cette cellule
# --8<-- [end:avec_redemarrage]

# --8<-- [start:reessais]
dossier = Path(tempfile.mkdtemp())  # pour le marqueur : le processus qui redémarre ne se souvient de rien
reessaye = Compteur.options(max_restarts=1, max_task_retries=1).remote()
valeurs = [
    appeler(reessaye.incrementer.remote()),
    appeler(reessaye.planter_la_premiere_fois.remote(dossier / "marqueur")),
    appeler(reessaye.incrementer.remote()),
]
print(f"incrementer() : {valeurs[0]} ; planter_la_premiere_fois() : {valeurs[1]} ; "
      f"incrementer() : {valeurs[2]}")
assert valeurs == [1, 0, 1]  # l'appel qui a planté a été refait, sur un état neuf
ray.kill(reessaye)
shutil.rmtree(dossier)
time.sleep(1)  # la ligne « (raylet)… » arrive peu après la panne : qu'elle s'affiche dans cette cellule
# --8<-- [end:reessais]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
