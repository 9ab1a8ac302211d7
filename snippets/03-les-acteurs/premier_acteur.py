# --8<-- [start:preambule]
import logging
import os
import time

import matplotlib.pyplot as plt
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:compteur]
@ray.remote
class Compteur:
    def __init__(self):
        self.valeur = 0  # l'état de l'acteur, que garde son processus

    def incrementer(self):
        self.valeur += 1
        return self.valeur

    def lire(self):
        return self.valeur

    def processus(self):
        return os.getpid()
# --8<-- [end:compteur]


# --8<-- [start:creation]
compteur = Compteur.remote()  # crée l'acteur : un processus worker qui lui est dédié
print(f"Compteur.remote() renvoie un objet {type(compteur).__name__}")
# --8<-- [end:creation]

# --8<-- [start:appels]
refs = [compteur.incrementer.remote() for _ in range(5)]
print(f"Chaque appel renvoie un {type(refs[0]).__name__}")
print(f"Leurs valeurs : {ray.get(refs)}")
print(f"L'état, lu par un nouvel appel : {ray.get(compteur.lire.remote())}")
assert ray.get(refs) == [1, 2, 3, 4, 5] and ray.get(compteur.lire.remote()) == 5
# --8<-- [end:appels]

# --8<-- [start:processus]
pids = set(ray.get([compteur.processus.remote() for _ in range(10)]))
print(f"10 appels, exécutés par {len(pids)} processus ; est-ce le driver ? {os.getpid() in pids}")
assert len(pids) == 1 and os.getpid() not in pids
# --8<-- [end:processus]


# --8<-- [start:ordre_un_appelant]
@ray.remote
def plus_tard(valeur, secondes):
    """Renvoie valeur au bout de quelques secondes : un argument qui n'est pas encore prêt."""
    time.sleep(secondes)
    return valeur


@ray.remote
class Journal:
    def __init__(self):
        self.entrees = []

    def ecrire(self, entree):
        self.entrees.append(entree)

    def lire(self):
        return list(self.entrees)


journal = Journal.remote()
journal.ecrire.remote(plus_tard.remote("premier appel", 1))  # son argument sera prêt dans 1 s
journal.ecrire.remote("second appel")  # son argument est prêt tout de suite
ordre = ray.get(journal.lire.remote())
print(f"Ordre d'exécution : {ordre}")
assert ordre == ["premier appel", "second appel"]  # un seul appelant : l'ordre de soumission
# --8<-- [end:ordre_un_appelant]


# --8<-- [start:deux_appelants]
@ray.remote
def ecrire_depuis_une_tache(journal, entree):
    ray.get(journal.ecrire.remote(entree))  # la tâche est un autre appelant que le driver


journal = Journal.remote()
ref_driver = journal.ecrire.remote(plus_tard.remote("appel du driver", 1))  # soumis le premier
ref_tache = ecrire_depuis_une_tache.remote(journal, "appel de la tâche")  # soumis ensuite
ray.get([ref_driver, ref_tache])
ordre = ray.get(journal.lire.remote())
print(f"Ordre d'exécution : {ordre}")
if ordre[0] == "appel de la tâche":
    print("L'appel de la tâche, soumis après celui du driver, a été exécuté avant lui.")
else:
    print("Cette fois, les appels ont été exécutés dans l'ordre de leur soumission : rien ne le garantissait.")
assert sorted(ordre) == ["appel de la tâche", "appel du driver"]
# --8<-- [end:deux_appelants]


# --8<-- [start:trace]
def travail(i):
    """0,2 s de travail, et sa trace : (numéro, début, fin, processus)."""
    debut = time.time()
    time.sleep(0.2)
    return i, debut, time.time(), os.getpid()


@ray.remote
class Travailleur:
    def etape(self, i):
        return travail(i)


@ray.remote
def etape(i):
    return travail(i)


cpus = int(ray.cluster_resources()["CPU"])
travailleur = Travailleur.remote()
ray.get([travailleur.etape.remote(0)] + [etape.remote(0) for _ in range(cpus)])  # processus démarrés
traces = {}
for nom, soumettre in [("acteur", travailleur.etape.remote), ("tâches", etape.remote)]:
    debut = time.time()
    resultats = ray.get([soumettre(i) for i in range(6)])
    traces[nom] = [(pid, t0 - debut, t1 - debut) for _, t0, t1, pid in resultats]
    processus, fin = len({pid for pid, _, _ in traces[nom]}), max(t1 for _, _, t1 in traces[nom])
    print(f"{nom:>7} : 6 appels de 0,2 s, dans {processus} processus, terminés en {fr(fin)} s")
# --8<-- [end:trace]

# --8<-- [start:graphique_chronologie]
fig, axes = plt.subplots(
    2, 1, sharex=True, figsize=(7, 3.6),
    num="Chronologie de six appels de 0,2 s : ceux d'un acteur, sur une seule ligne, l'un après l'autre, "
    "et les mêmes en tâches, sur une ligne par processus worker, mesurée à la construction de la page",
)
for ax, (nom, trace) in zip(axes, traces.items()):
    lignes = {pid: i for i, pid in enumerate(dict.fromkeys(pid for pid, _, _ in sorted(trace, key=lambda t: t[1])))}
    for pid, t0, t1 in trace:
        ax.barh(lignes[pid], t1 - t0, left=t0, height=0.6, color="C0" if nom == "acteur" else "C1")
    ax.set_yticks(list(lignes.values()), [f"processus {i + 1}" for i in lignes.values()])
    ax.set_ylim(-0.7, max(len(lignes), 2) - 0.3)
    ax.set_title(f"Six appels, {nom}", fontsize="medium")
axes[-1].set_xlabel("temps depuis la soumission (s)")
axes[-1].set_xlim(left=0)
axes[-1].xaxis.set_major_formatter(lambda x, _: f"{x:g}".replace(".", ","))  # virgule décimale
fig.tight_layout()
plt.show()
# --8<-- [end:graphique_chronologie]

# --8<-- [start:verification_chronologie]
# Ce que dit le texte, vérifié sur les traces ci-dessus (la construction les refait si elles le contredisent)
acteur = sorted(traces["acteur"], key=lambda t: t[1])
assert len({pid for pid, _, _ in acteur}) == 1, "les appels de l'acteur ont changé de processus"
assert all(suivant[1] >= precedent[2] for precedent, suivant in zip(acteur, acteur[1:])), "deux appels de l'acteur se chevauchent"
assert acteur[-1][2] >= 6 * 0.2, "six appels de 0,2 s l'un après l'autre durent au moins 1,2 s"
en_meme_temps = max(sum(1 for _, t0, t1 in traces["tâches"] if t0 <= debut < t1) for _, debut, _ in traces["tâches"])
assert en_meme_temps <= cpus, "plus de tâches à la fois que de CPU"
# --8<-- [end:verification_chronologie]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
