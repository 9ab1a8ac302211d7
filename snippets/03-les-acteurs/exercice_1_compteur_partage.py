# --8<-- [start:preambule]
import logging
import re
import time
from pathlib import Path

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


# --8<-- [start:client]
@ray.remote
class Compteur:
    def __init__(self):
        self.valeur = 0

    def incrementer(self):
        self.valeur += 1
        return self.valeur

    def lire(self):
        return self.valeur


@ray.remote
def client(compteur, k):
    """Une tâche qui reçoit la poignée d'un acteur, et appelle k fois sa méthode `incrementer`."""
    for _ in range(k):
        compteur.incrementer.remote()
    return ray.get(compteur.lire.remote())  # passe après les k appels de cette tâche


compteur = Compteur.remote()
vus = ray.get([client.remote(compteur, 100) for _ in range(4)])
print(f"Chaque tâche voit au moins ses 100 appels : {all(v >= 100 for v in vus)}")
print(f"Total : {ray.get(compteur.lire.remote())}")
assert all(v >= 100 for v in vus) and ray.get(compteur.lire.remote()) == 400
# --8<-- [end:client]


# --8<-- [start:donnees]
# Le dossier course-data : à la racine du dépôt pour ce script,
# à côté du cahier dans Jupyter (où __file__ n'existe pas)
if "__file__" in globals():
    RACINE = Path(__file__).resolve().parents[2]
else:
    RACINE = Path.cwd()
DONNEES = RACINE / "course-data" / "03-les-acteurs"
if not DONNEES.is_dir():
    raise FileNotFoundError(
        f"Dossier de données introuvable : {DONNEES}. Dans Jupyter, décompressez "
        "course-data.zip dans le dossier du cahier : le dossier course-data doit être "
        "juste à côté du cahier (et pas dans un autre dossier course-data)."
    )
# --8<-- [end:donnees]

# --8<-- [start:lignes]
lignes = (DONNEES / "phrases.txt").read_text(encoding="utf-8").splitlines()


def mots(ligne):
    """Les mots d'une ligne, en minuscules : « L'union fait la force. » -> ['l', 'union', 'fait', 'la', 'force']"""
    return re.findall(r"\w+", ligne.lower())


print(f"{len(lignes)} lignes, dont la première : {lignes[0]!r} -> {mots(lignes[0])}")
# --8<-- [end:lignes]


# --8<-- [start:total]
@ray.remote
class Total:
    def __init__(self):
        self.somme = 0

    def ajouter(self, n):
        self.somme += n
        return self.somme

    def valeur(self):
        return self.somme
# --8<-- [end:total]


# --8<-- [start:verification_total]
assert "Total" in globals(), "Total n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
assert hasattr(Total, "remote"), "Total doit être une classe d'acteur : décorez-la par @ray.remote."
essai = Total.remote()
try:
    valeurs = ray.get([essai.ajouter.remote(n) for n in (3, 4, 5)], timeout=60)
    finale = ray.get(essai.valeur.remote(), timeout=60)
except NotImplementedError:
    raise AssertionError("Les méthodes de Total ne sont pas encore toutes écrites.") from None
finally:
    ray.kill(essai)
assert valeurs == [3, 7, 12], f"ajouter(3), ajouter(4), ajouter(5) devraient renvoyer [3, 7, 12], pas {valeurs}"
assert finale == 12, f"valeur() devrait renvoyer 12 après ces trois appels, pas {finale}"
print("✓ Total additionne bien ce qu'on lui ajoute, et garde la somme.")
# --8<-- [end:verification_total]


# --8<-- [start:compter_mots]
@ray.remote
def compter_mots(ligne, total):
    n = len(mots(ligne))
    ray.get(total.ajouter.remote(n))  # attendre que l'ajout soit fait
    return n
# --8<-- [end:compter_mots]


# --8<-- [start:verification_compter_mots]
assert "compter_mots" in globals(), "compter_mots n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
assert hasattr(compter_mots, "remote"), "compter_mots doit être une tâche Ray : décorez-la par @ray.remote."


@ray.remote
class TotalLent:
    """Comme Total, mais chaque ajout prend 1 s."""

    def __init__(self):
        self.somme = 0

    def ajouter(self, n):
        time.sleep(1)
        self.somme += n
        return self.somme

    def valeur(self):
        return self.somme


essai = TotalLent.remote()
try:
    ray.get(essai.valeur.remote(), timeout=60)  # l'acteur est prêt
    debut = time.perf_counter()
    comptes = ray.get([compter_mots.remote(ligne, essai) for ligne in ["un deux trois", "quatre cinq"]], timeout=60)
    duree = time.perf_counter() - debut  # deux ajouts d'une seconde chacun, l'un après l'autre
    ajoutes = ray.get(essai.valeur.remote(), timeout=60)
except NotImplementedError:
    raise AssertionError("compter_mots n'est pas encore écrite.") from None
finally:
    ray.kill(essai)
assert duree >= 2, "les tâches ont fini avant leurs ajouts : compter_mots doit attendre le sien (ray.get)"
assert comptes == [3, 2], f"compter_mots devrait renvoyer le nombre de mots de sa ligne : [3, 2], pas {comptes}"
assert ajoutes == 5, f"deux lignes de 3 et 2 mots : le total devrait valoir 5, pas {ajoutes}"
print("✓ compter_mots ajoute au total partagé le nombre de mots de sa ligne, attend l'ajout, et renvoie ce nombre.")
# --8<-- [end:verification_compter_mots]

# --8<-- [start:comptage]
total = Total.remote()
ray.get([compter_mots.remote(ligne, total) for ligne in lignes])  # une tâche par ligne
print(f"Total des mots, compté par {len(lignes)} tâches : {ray.get(total.valeur.remote())}")
print(f"Le même, compté par le driver seul : {sum(len(mots(ligne)) for ligne in lignes)}")
assert ray.get(total.valeur.remote()) == sum(len(mots(ligne)) for ligne in lignes)
# --8<-- [end:comptage]


# --8<-- [start:goulot]
@ray.remote
class CompteurLent:
    def __init__(self):
        self.valeur = 0

    def ajouter(self, travail):
        time.sleep(travail)  # le travail que demande chaque mise à jour
        self.valeur += 1
        return self.valeur


@ray.remote
def mise_a_jour(travail):
    time.sleep(travail)  # le même travail, dans une tâche
    return 1


N = 100  # mises à jour par mesure
TRAVAUX = [0, 0.001, 0.002, 0.005, 0.01, 0.02]  # travail de chaque mise à jour, en secondes
cpus = int(ray.cluster_resources()["CPU"])
acteur = CompteurLent.remote()
ray.get([acteur.ajouter.remote(0)] + [mise_a_jour.remote(0) for _ in range(cpus)])  # processus démarrés

durees = {"acteur": [], "tâches": []}
for travail in TRAVAUX:
    debut = time.perf_counter()
    ray.get([acteur.ajouter.remote(travail) for _ in range(N)])
    durees["acteur"].append(time.perf_counter() - debut)
    debut = time.perf_counter()
    assert sum(ray.get([mise_a_jour.remote(travail) for _ in range(N)])) == N
    durees["tâches"].append(time.perf_counter() - debut)
assert ray.get(acteur.ajouter.remote(0)) == N * len(TRAVAUX) + 2  # aucune mise à jour perdue
# --8<-- [end:goulot]

# --8<-- [start:tableau_goulot]
print(f"{'travail (ms)':>12} | {'acteur (s)':>10} | {'tâches (s)':>10}")
for i, travail in enumerate(TRAVAUX):
    print(f"{fr(travail * 1000, 0):>12} | {fr(durees['acteur'][i]):>10} | {fr(durees['tâches'][i]):>10}")
# --8<-- [end:tableau_goulot]

# --8<-- [start:graphique_goulot]
fig, ax = plt.subplots(
    num="Débit de 100 mises à jour, en mises à jour par seconde, selon le travail que demande chacune : "
    "par un seul acteur et par des tâches, mesuré à la construction de la page, à côté des débits maximaux "
    "d'un acteur, 1 divisé par le travail, et des tâches, le nombre de CPU divisé par le travail",
    figsize=(7, 4),
)
avec_travail = [t for t in TRAVAUX if t > 0]
ax.plot([t * 1000 for t in avec_travail], [1 / t for t in avec_travail], linestyle="--", color="C0",
        label="au plus, pour un acteur : 1 / travail")
ax.plot([t * 1000 for t in avec_travail], [cpus / t for t in avec_travail], linestyle=":", color="C1",
        label=f"au plus, pour des tâches : {cpus} CPU / travail")
for nom, couleur in [("acteur", "C0"), ("tâches", "C1")]:
    debits = [N / d for t, d in zip(TRAVAUX, durees[nom]) if t > 0]
    ax.plot([t * 1000 for t in avec_travail], debits, marker="o", color=couleur, label=f"{nom} (mesuré)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks([t * 1000 for t in avec_travail], [fr(t * 1000, 0) for t in avec_travail])
ax.set_xticks([], minor=True)
ax.set_xlabel("travail de chaque mise à jour (ms)")
ax.set_ylabel("mises à jour par seconde")
ax.set_title(f"{N} mises à jour, un acteur ou des tâches, {cpus} CPU")
ax.legend(fontsize="small")
plt.show()
# --8<-- [end:graphique_goulot]

# --8<-- [start:conclusion_goulot]
plus_rapides = [d_t < d_a for d_a, d_t in zip(durees["acteur"], durees["tâches"])]
seuil = next((t for i, t in enumerate(TRAVAUX) if all(plus_rapides[i:])), None)  # None : jamais plus rapides
print(f"Sans travail : l'acteur en {fr(durees['acteur'][0])} s, les tâches en {fr(durees['tâches'][0])} s.")
if seuil is None:
    print("Les tâches n'ont pas été plus rapides que l'acteur, même avec le plus de travail.")
else:
    print(f"Les tâches vont plus vite que l'acteur dès {fr(seuil * 1000, 0)} ms de travail par mise à jour ; "
          f"avec {fr(TRAVAUX[-1] * 1000, 0)} ms, l'acteur met {fr(durees['acteur'][-1])} s, les tâches {fr(durees['tâches'][-1])} s.")
# --8<-- [end:conclusion_goulot]

# --8<-- [start:verification_goulot]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
for i, travail in enumerate(TRAVAUX):
    assert durees["acteur"][i] >= N * travail, "l'acteur a fait plusieurs mises à jour à la fois"
    assert durees["tâches"][i] >= N * travail / cpus, "plus de tâches à la fois que de CPU"
assert durees["acteur"][0] < 1.5 * durees["tâches"][0], "sans travail, l'acteur est distancé par les tâches"
assert durees["tâches"][-1] < durees["acteur"][-1], "avec le plus de travail, les tâches ne battent pas l'acteur"
# --8<-- [end:verification_goulot]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
