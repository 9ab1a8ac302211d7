# --8<-- [start:preambule]
import asyncio
import logging
import threading
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


# --8<-- [start:acteurs_qui_attendent]
@ray.remote
class Attente:
    def attendre(self, secondes):
        time.sleep(secondes)  # un appel qui attend : réseau, disque, autre service...
        return threading.get_ident()  # le fil d'exécution qui a traité l'appel


@ray.remote
class AttenteAsync:
    async def attendre(self, secondes):
        await asyncio.sleep(secondes)  # rend la main à la boucle d'événements pendant l'attente
        return threading.get_ident()


@ray.remote
class AttenteAsyncBloquante:
    async def attendre(self, secondes):
        time.sleep(secondes)  # erreur : bloque la boucle d'événements, donc tout l'acteur
        return threading.get_ident()
# --8<-- [end:acteurs_qui_attendent]


# --8<-- [start:mesure_concurrence]
APPELS = 4
ATTENTE = 0.5  # secondes
variantes = {
    "ordinaire": Attente.remote(),
    "max_concurrency=4": Attente.options(max_concurrency=4).remote(),
    "async": AttenteAsync.remote(),
    "async avec time.sleep": AttenteAsyncBloquante.remote(),
}
durees, fils = {}, {}
for nom, acteur in variantes.items():
    ray.get(acteur.attendre.remote(0))  # l'acteur est prêt
    debut = time.perf_counter()
    fils[nom] = len(set(ray.get([acteur.attendre.remote(ATTENTE) for _ in range(APPELS)])))
    durees[nom] = time.perf_counter() - debut
    print(f"{nom:>21} : {APPELS} appels de {fr(ATTENTE, 1)} s en {fr(durees[nom])} s, "
          f"par {fils[nom]} fil(s) d'exécution")
    ray.kill(acteur)
# --8<-- [end:mesure_concurrence]

# --8<-- [start:verification_concurrence]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
assert durees["ordinaire"] >= APPELS * ATTENTE, "l'acteur ordinaire a traité deux appels à la fois"
assert durees["async avec time.sleep"] >= APPELS * ATTENTE, "time.sleep n'a pas bloqué l'acteur async"
assert durees["max_concurrency=4"] < 2 * ATTENTE, "les appels de l'acteur à 4 fils ne se sont pas recouverts"
assert durees["async"] < 2 * ATTENTE, "les appels de l'acteur async ne se sont pas recouverts"
assert fils["ordinaire"] == fils["async"] == fils["async avec time.sleep"] == 1, "un acteur ordinaire ou async a utilisé plusieurs fils"
assert 1 < fils["max_concurrency=4"] <= 4, "l'acteur à 4 fils n'a pas utilisé de 2 à 4 fils"
# --8<-- [end:verification_concurrence]


# --8<-- [start:calcul]
def calculer(n):
    """Du calcul en Python pur : il garde le verrou global de l'interpréteur (GIL)."""
    total = 0
    for i in range(n):
        total += i * i
    return total


@ray.remote
class Calculateur:
    def calculer(self, n):
        return calculer(n)


calculateur = Calculateur.options(max_concurrency=2).remote()
ray.get(calculateur.calculer.remote(10))  # l'acteur est prêt


def meilleure_duree(appels, repetitions=3):
    """Plus petite durée de `appels` appels simultanés de l'acteur, sur plusieurs essais."""
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        ray.get([calculateur.calculer.remote(3_000_000) for _ in range(appels)])
        durees.append(time.perf_counter() - debut)
    return min(durees)


un_appel, deux_appels = meilleure_duree(1), meilleure_duree(2)
print(f"Un calcul : {fr(un_appel)} s ; deux calculs à la fois, dans deux fils : {fr(deux_appels)} s")
assert deux_appels >= 1.5 * un_appel  # les deux fils calculent chacun à leur tour
ray.kill(calculateur)
# --8<-- [end:calcul]


# --8<-- [start:course_critique]
@ray.remote
class CompteurNaif:
    def __init__(self):
        self.valeur = 0

    def incrementer(self):
        valeur = self.valeur  # lire...
        time.sleep(0.2)  # ... attendre (un appel réseau, par exemple)...
        self.valeur = valeur + 1  # ... puis écrire

    def lire(self):
        return self.valeur


finales = {}
for nom, options in [("ordinaire", {}), ("max_concurrency=8", {"max_concurrency": 8})]:
    naif = CompteurNaif.options(**options).remote()
    ray.get([naif.incrementer.remote() for _ in range(8)])
    finales[nom] = ray.get(naif.lire.remote())
    print(f"{nom:>17} : 8 appels d'incrementer, le compteur vaut {finales[nom]}")
    ray.kill(naif)
assert finales["ordinaire"] == 8 and finales["max_concurrency=8"] < 8
# --8<-- [end:course_critique]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
