# --8<-- [start:preambule]
import logging
import time

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:outils]
ESPACE = "cours-ray-chapitre-3"  # l'espace de noms des acteurs nommés de cette section


@ray.remote
class Compteur:
    def __init__(self):
        self.valeur = 0

    def incrementer(self):
        self.valeur += 1
        return self.valeur

    def attendre(self, secondes):
        time.sleep(secondes)


def existe(nom):
    """Un acteur de ce nom est-il vivant dans l'espace de noms ESPACE ?"""
    try:
        ray.get_actor(nom, namespace=ESPACE)
        return True
    except ValueError:  # ce que lève ray.get_actor pour un nom inconnu
        return False


def attendre_disparition(nom, delai=30):
    """Attend au plus `delai` secondes que l'acteur `nom` ait disparu ; renvoie True s'il a disparu."""
    fin = time.monotonic() + delai
    while existe(nom) and time.monotonic() < fin:
        time.sleep(0.1)
    return not existe(nom)
# --8<-- [end:outils]


# --8<-- [start:portee]
ephemere = Compteur.options(name="ephemere", namespace=ESPACE).remote()
ray.get(ephemere.incrementer.remote())
avant = existe("ephemere")
del ephemere  # la seule poignée de l'acteur disparaît
apres = attendre_disparition("ephemere")
print(f"Avant del : l'acteur existe ? {avant}. Après del : il a disparu ? {apres}")
assert avant and apres
# --8<-- [end:portee]

# --8<-- [start:kill]
compteur = Compteur.remote()
ray.get(compteur.incrementer.remote())
en_cours = compteur.attendre.remote(30)  # un appel de 30 s
ray.kill(compteur)  # demande l'arrêt de l'acteur, sans attendre la fin de cet appel
erreurs = []
for ref in [en_cours, compteur.incrementer.remote()]:  # l'appel en cours, puis un nouvel appel
    try:
        ray.get(ref, timeout=60)
    except ray.exceptions.RayActorError as erreur:
        erreurs.append(erreur)
print(f"L'appel en cours, puis un nouvel appel : {[type(erreur).__name__ for erreur in erreurs]}")
print(f"Dernière ligne du message : {str(erreurs[-1]).splitlines()[-1]}")
assert len(erreurs) == 2 and all(isinstance(erreur, ray.exceptions.ActorDiedError) for erreur in erreurs)
# --8<-- [end:kill]

# --8<-- [start:noms]
a = Compteur.options(name="partage", namespace=ESPACE, get_if_exists=True).remote()
b = Compteur.options(name="partage", namespace=ESPACE, get_if_exists=True).remote()  # le même acteur
c = ray.get_actor("partage", namespace=ESPACE)  # encore lui, retrouvé par son nom
valeurs = ray.get([poignee.incrementer.remote() for poignee in (a, b, c)])
print(f"Trois poignées, un seul compteur : {valeurs}")
try:
    Compteur.options(name="partage", namespace=ESPACE).remote()  # sans get_if_exists
except ValueError as erreur:
    doublon = erreur
print(f"Un second acteur du même nom : {type(doublon).__name__}")
try:
    ray.get_actor("partage")  # sans namespace= : cherché dans l'espace de noms du driver
    trouve = True
except ValueError:
    trouve = False
print(f"Sans namespace=, ray.get_actor le trouve ? {trouve}")
assert valeurs == [1, 2, 3] and isinstance(doublon, ray.exceptions.ActorAlreadyExistsError) and not trouve
nommes = [x["name"] for x in ray.util.list_named_actors(all_namespaces=True) if x["namespace"] == ESPACE]
print(f"Acteurs nommés de l'espace {ESPACE} : {nommes}")
ray.kill(a)
# --8<-- [end:noms]


# --8<-- [start:detache]
@ray.remote
def creer(nom, **options):
    """Crée un acteur nommé, attend qu'il réponde, et se termine : la poignée de la tâche disparaît."""
    acteur = Compteur.options(name=nom, namespace=ESPACE, **options).remote()
    return ray.get(acteur.incrementer.remote())


try:
    ray.get([creer.remote("ordinaire"), creer.remote("durable", lifetime="detached")])
    print(f"La tâche est terminée. « ordinaire » a disparu ? {attendre_disparition('ordinaire')}")
    print(f"« durable » (détaché) existe encore ? {existe('durable')}")
    assert not existe("ordinaire") and existe("durable")
    durable = ray.get_actor("durable", namespace=ESPACE)
    print(f"On l'appelle encore : {ray.get(durable.incrementer.remote())}")
finally:
    if existe("durable"):
        ray.kill(ray.get_actor("durable", namespace=ESPACE))  # un acteur détaché ne s'arrête pas seul
print(f"Après ray.kill, « durable » existe ? {not attendre_disparition('durable')}")
assert [x for x in ray.util.list_named_actors(all_namespaces=True) if x["namespace"] == ESPACE] == []
# --8<-- [end:detache]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
