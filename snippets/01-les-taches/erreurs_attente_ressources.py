# --8<-- [start:preambule]
import logging
import time
from collections import Counter

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:erreur]
@ray.remote
def racine_carree(x):
    if x < 0:
        raise ValueError(f"pas de racine carrée réelle pour {x}")
    return x**0.5


ref = racine_carree.remote(-4)  # .remote() ne sait pas encore que la tâche échouera
try:
    ray.get(ref)
except ValueError as erreur:  # l'exception de la tâche, levée de nouveau par ray.get
    print(f"Classe de l'exception : {type(erreur).__name__}")
    print(f"C'est une ValueError : {isinstance(erreur, ValueError)}")
    print(f"C'est une RayTaskError : {isinstance(erreur, ray.exceptions.RayTaskError)}")
    print(f"L'exception d'origine : {erreur.cause!r}")
# --8<-- [end:erreur]


# --8<-- [start:copies]
valeurs = [1, 2, 3]
compteur = 0


@ray.remote
def modifie(liste):
    global compteur
    compteur += 1  # la variable du processus worker, pas celle du driver
    liste.append(4)  # la copie que la tâche a reçue
    return liste


print(f"Renvoyé par la tâche : {ray.get(modifie.remote(valeurs))}")
print(f"Dans le driver : valeurs = {valeurs}, compteur = {compteur}")
# --8<-- [end:copies]


# --8<-- [start:attente]
@ray.remote
def dort(secondes):
    time.sleep(secondes)
    return secondes


refs = [dort.remote(s) for s in [1.5, 0.2, 0.8]]
pretes, en_cours = ray.wait(refs, num_returns=1)  # rend la main dès qu'un résultat est prêt
print(f"Première tâche terminée : celle de {fr(ray.get(pretes[0]), 1)} s ; {len(en_cours)} encore en cours")
print(f"Tous les résultats, dans l'ordre de la liste : {[fr(s, 1) for s in ray.get(refs)]}")
# --8<-- [end:attente]

# --8<-- [start:delai]
ref = dort.remote(2)
try:
    ray.get(ref, timeout=0.5)
except ray.exceptions.GetTimeoutError:
    print("Pas de résultat au bout de 0,5 s : ray.get lève GetTimeoutError")
print(f"La tâche, elle, a continué : ray.get renvoie ensuite {ray.get(ref)}")
# --8<-- [end:delai]


# --8<-- [start:ressources]
@ray.remote(num_cpus=1)  # la valeur par défaut, écrite ici explicitement
def occupe(secondes):
    time.sleep(secondes)
    return secondes


cpus = int(ray.cluster_resources()["CPU"])
debut = time.perf_counter()
ray.get([occupe.remote(0.5) for _ in range(2 * cpus)])
duree = time.perf_counter() - debut
print(f"{2 * cpus} tâches de 0,5 s, d'un CPU chacune, sur {cpus} CPU : {fr(duree)} s")
assert duree >= 1  # deux vagues de 0,5 s au moins : jamais plus de tâches à la fois que de CPU
# --8<-- [end:ressources]

# --8<-- [start:infaisable]
trop_gros = occupe.options(num_cpus=cpus + 1)  # plus de CPU qu'aucun nœud n'en a
ref = trop_gros.remote(0.1)
try:
    ray.get(ref, timeout=2)
except ray.exceptions.GetTimeoutError:
    print(f"Au bout de 2 s, la tâche n'a pas démarré : aucun nœud n'a {cpus + 1} CPU.")
ray.cancel(ref)  # sans quoi elle attendrait un tel nœud indéfiniment
# --8<-- [end:infaisable]


# --8<-- [start:ou_tournent]
@ray.remote
def node_of_task():
    time.sleep(0.5)
    return ray.get_runtime_context().get_node_id()  # le nœud qui exécute la tâche


for strategie in ["DEFAULT", "SPREAD"]:
    tache = node_of_task.options(scheduling_strategy=strategie)
    refs = [tache.remote() for _ in range(cpus)]  # autant de tâches que de CPU
    par_noeud = Counter(ray.get(refs, timeout=60))
    repartition = ", ".join(f"{n} sur le nœud {node_id[:8]}" for node_id, n in sorted(par_noeud.items()))
    print(f"{strategie:>7} : {repartition}")
# --8<-- [end:ou_tournent]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
